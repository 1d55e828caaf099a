"""Form feedback written in groups: one transaction for a burst of submissions in one guild.

The service decides (phase, draft, text, area, cooldown) and writes through ``FormBatch``; the
cooldown's input is read inside the same transaction as the inserts, so a member cannot slip past it
by submitting twice at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Transaction
from bot.data.feedback._rows import _ITEM, Feedback, _feedback

IN_CHUNK = 400  # well under SQLite's limit on bound parameters


@dataclass(frozen=True, slots=True)
class NewForm:
    """One form item to store, as decided by the service."""

    guild_id: int
    recommendation_id: int
    version: int
    author_id: int
    body: str
    anonymous: bool
    scoping_area_id: int | None
    language: str | None
    locale: str | None
    channel_id: int | None


class FormBatch:
    """Statements of one group of form submissions inside one open transaction (SQL only)."""

    def __init__(self, tx: Transaction, now: datetime) -> None:
        self._tx = tx
        self._stamp = to_db(now)

    async def recent_form_times(
        self, guild_id: int, author_ids: Sequence[int], since: datetime
    ) -> dict[int, list[datetime]]:
        """When each member sent form feedback since ``since``, oldest first: the cooldown's input."""
        ids = list(dict.fromkeys(author_ids))
        found: dict[int, list[datetime]] = {author: [] for author in ids}
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            rows = await self._tx.fetchall(
                "SELECT author_id, created_at FROM feedback WHERE guild_id = ? AND source = 'form'"
                f" AND created_at >= ? AND author_id IN ({','.join('?' * len(chunk))})"
                " ORDER BY created_at, id",
                (guild_id, to_db(since), *chunk),
            )
            for row in rows:
                found[row[0]].append(from_db(row[1]))
        return found

    async def add(self, forms: Sequence[NewForm]) -> list[Feedback]:
        """Store the items in the given order (their ids follow it); the stored rows, in that order."""
        stored: list[Feedback] = []
        for start in range(0, len(forms), IN_CHUNK // 16):
            chunk = forms[start : start + IN_CHUNK // 16]
            rows = await self._tx.fetchall(
                "INSERT INTO feedback (guild_id, recommendation_id, version, scoping_area_id, author_id,"
                " anonymous, source, channel_id, body, language, locale, created_at, updated_at) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?, 'form', ?, ?, ?, ?, ?, ?)"] * len(chunk))
                + " RETURNING id",
                [
                    value
                    for f in chunk
                    for value in (
                        f.guild_id,
                        f.recommendation_id,
                        f.version,
                        f.scoping_area_id,
                        f.author_id,
                        int(f.anonymous),
                        f.channel_id,
                        f.body,
                        f.language,
                        f.locale,
                        self._stamp,
                        self._stamp,
                    )
                ],
            )
            ids = sorted(row[0] for row in rows)  # a multi-row VALUES inserts in order
            items = await self._tx.fetchall(
                f"{_ITEM} WHERE f.id IN ({','.join('?' * len(ids))}) ORDER BY f.id", ids
            )
            stored.extend(_feedback(row) for row in items)
        return stored
