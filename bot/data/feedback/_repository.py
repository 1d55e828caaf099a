"""The feedback capability's SQL (see the package's docstring for how anonymity is kept)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from bot.clock import from_db, to_db
from bot.data.database import Database
from bot.data.feedback._forms import FormBatch
from bot.data.feedback._rows import (
    _ITEM,
    _WG_ITEM,
    _WG_VISIBLE,
    SOURCES,
    STATUSES,
    Feedback,
    HistoryEntry,
    PendingResponse,
    Response,
    WorkingGroupItem,
    _feedback,
    _response,
    _wg_item,
)


def _working_group_filter(guild_id: int, recommendation_id: int | None) -> tuple[str, list[Any]]:
    """What the working group may see of a guild's feedback (of one draft, if given): WHERE and params."""
    where = f"f.guild_id = ? AND {_WG_VISIBLE}"
    params: list[Any] = [guild_id]
    if recommendation_id is not None:
        where += " AND f.recommendation_id = ?"
        params.append(recommendation_id)
    return where, params


class FeedbackRepository:
    """The SQL of the feedback capability; moderation, digest and privacy call it too."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing ----------------------------------------------------------------------------

    @asynccontextmanager
    async def submitting(self, now: datetime) -> AsyncIterator[FormBatch]:
        """One transaction for a group of form submissions (``BEGIN IMMEDIATE``)."""
        async with self.db.transaction() as tx:
            yield FormBatch(tx, now)

    async def add(
        self,
        *,
        guild_id: int,
        recommendation_id: int,
        version: int,
        author_id: int,
        body: str,
        source: str,
        now: datetime,
        anonymous: bool = False,
        scoping_area_id: int | None = None,
        language: str | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
        locale: str | None = None,
    ) -> Feedback:
        """Store one item; ``body`` is kept exactly as written."""
        if source not in SOURCES:
            raise ValueError(f"unknown feedback source {source!r}")
        stamp = to_db(now)
        feedback_id = await self.db.execute(
            "INSERT INTO feedback (guild_id, recommendation_id, version, scoping_area_id, author_id,"
            " anonymous, source, channel_id, message_id, body, language, locale, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                recommendation_id,
                version,
                scoping_area_id,
                author_id,
                int(anonymous),
                source,
                channel_id,
                message_id,
                body,
                language,
                locale,
                stamp,
                stamp,
            ),
        )
        item = await self.get(feedback_id)
        assert item is not None
        return item

    async def edit(self, feedback_id: int, body: str, now: datetime, *, language: str | None = None) -> bool:
        """Replace the text of an active item, keeping the previous text in its history."""
        async with self.db.transaction() as tx:
            old = await tx.fetchone(
                "SELECT body, language FROM feedback WHERE id = ? AND status = 'active'", (feedback_id,)
            )
            if old is None:
                return False
            if old["body"] == body:
                return True
            await tx.execute(
                "INSERT INTO feedback_history (feedback_id, body, replaced_at) VALUES (?, ?, ?)",
                (feedback_id, old["body"], to_db(now)),
            )
            await tx.execute(
                "UPDATE feedback SET body = ?, language = ?, updated_at = ? WHERE id = ?",
                (body, language if language is not None else old["language"], to_db(now), feedback_id),
            )
        return True

    async def set_status(self, feedback_id: int, status: str, now: datetime) -> bool:
        """Mark an active item ``deleted`` (its message was deleted) or ``withdrawn`` (by its author)."""
        if status not in STATUSES:
            raise ValueError(f"unknown feedback status {status!r}")
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE feedback SET status = ?, updated_at = ? WHERE id = ? AND status = 'active'",
                (status, to_db(now), feedback_id),
            )
        return changed > 0

    async def hide(self, feedback_id: int, by: int, reason: str | None, now: datetime) -> bool:
        """Moderation: keep the item but leave it out of every working-group view and digest."""
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE feedback SET hidden = 1, hidden_by = ?, hidden_reason = ?, updated_at = ?"
                " WHERE id = ? AND hidden = 0",
                (by, reason, to_db(now), feedback_id),
            )
        return changed > 0

    async def restore(self, feedback_id: int, now: datetime) -> bool:
        """Moderation: undo ``hide``."""
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE feedback SET hidden = 0, hidden_by = NULL, hidden_reason = NULL, updated_at = ?"
                " WHERE id = ? AND hidden = 1",
                (to_db(now), feedback_id),
            )
        return changed > 0

    # -- reading (author included) -----------------------------------------------------------

    async def get(self, feedback_id: int) -> Feedback | None:
        row = await self.db.fetchone(f"{_ITEM} WHERE f.id = ?", (feedback_id,))
        return _feedback(row) if row else None

    async def thread_replies(self, channel_id: int) -> dict[int, str]:
        """The active items captured from one thread's replies: {message id: text}."""
        rows = await self.db.fetchall(
            "SELECT message_id, body FROM feedback"
            " WHERE channel_id = ? AND source = 'thread' AND status = 'active' AND message_id IS NOT NULL",
            (channel_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def by_message(self, message_id: int) -> Feedback | None:
        row = await self.db.fetchone(f"{_ITEM} WHERE f.message_id = ?", (message_id,))
        return _feedback(row) if row else None

    async def for_author(self, guild_id: int, user_id: int, *, active_only: bool = True) -> list[Feedback]:
        """The member's own items, newest first (anonymous ones included: they are the author)."""
        status = " AND f.status = 'active'" if active_only else ""
        rows = await self.db.fetchall(
            f"{_ITEM} WHERE f.guild_id = ? AND f.author_id = ?{status} ORDER BY f.created_at DESC, f.id DESC",
            (guild_id, user_id),
        )
        return [_feedback(row) for row in rows]

    async def recent_form_times(self, guild_id: int, user_id: int, since: datetime) -> list[datetime]:
        """When the member sent form feedback since ``since`` (oldest first): the cooldown's input."""
        rows = await self.db.fetchall(
            "SELECT created_at FROM feedback WHERE guild_id = ? AND author_id = ? AND source = 'form'"
            " AND created_at >= ? ORDER BY created_at",
            (guild_id, user_id, to_db(since)),
        )
        return [from_db(row[0]) for row in rows]

    async def history(self, feedback_id: int) -> list[HistoryEntry]:
        rows = await self.db.fetchall(
            "SELECT body, replaced_at FROM feedback_history WHERE feedback_id = ? ORDER BY id",
            (feedback_id,),
        )
        return [HistoryEntry(row["body"], from_db(row["replaced_at"])) for row in rows]

    # -- the working group's views (anonymous authors blanked) --------------------------------

    async def for_working_group(
        self,
        guild_id: int,
        *,
        recommendation_id: int | None = None,
        limit: int = 5,
        offset: int = 0,
    ) -> list[WorkingGroupItem]:
        """Active, visible items, unanswered first, then oldest first."""
        where, params = _working_group_filter(guild_id, recommendation_id)
        rows = await self.db.fetchall(
            f"{_WG_ITEM} WHERE {where}"
            " ORDER BY (SELECT COUNT(*) > 0 FROM feedback_responses fr WHERE fr.feedback_id = f.id),"
            " f.created_at, f.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_wg_item(row) for row in rows]

    async def count_for_working_group(
        self, guild_id: int, *, recommendation_id: int | None = None
    ) -> tuple[int, int]:
        """(visible items, of which unanswered)."""
        where, params = _working_group_filter(guild_id, recommendation_id)
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS total, SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM feedback_responses fr"
            f" WHERE fr.feedback_id = f.id) THEN 1 ELSE 0 END) AS unanswered FROM feedback f WHERE {where}",
            params,
        )
        assert row is not None
        return row["total"], row["unanswered"] or 0

    async def working_group_item(self, guild_id: int, feedback_id: int) -> WorkingGroupItem | None:
        """One visible item of this guild, as the working group may see it."""
        row = await self.db.fetchone(
            f"{_WG_ITEM} WHERE f.guild_id = ? AND f.id = ? AND {_WG_VISIBLE}", (guild_id, feedback_id)
        )
        return _wg_item(row) if row else None

    # -- responses --------------------------------------------------------------------------

    async def add_response(self, feedback_id: int, responder_id: int, body: str, now: datetime) -> Response:
        response_id = await self.db.execute(
            "INSERT INTO feedback_responses (feedback_id, responder_id, body, created_at)"
            " VALUES (?, ?, ?, ?)",
            (feedback_id, responder_id, body, to_db(now)),
        )
        row = await self.db.fetchone("SELECT * FROM feedback_responses WHERE id = ?", (response_id,))
        assert row is not None
        return _response(row)

    async def responses(self, feedback_id: int) -> list[Response]:
        rows = await self.db.fetchall(
            "SELECT * FROM feedback_responses WHERE feedback_id = ? ORDER BY created_at, id", (feedback_id,)
        )
        return [_response(row) for row in rows]

    async def mark_delivered(self, response_ids: list[int], now: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE feedback_responses SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
                [(to_db(now), response_id) for response_id in response_ids],
            )

    async def take_undelivered(
        self, guild_id: int, user_id: int, limit: int, now: datetime
    ) -> list[PendingResponse]:
        """The author's oldest undelivered answers (at most ``limit``), marked delivered in the same
        transaction: two commands at once each get their own, never the same answer twice (the rows
        are locked on PostgreSQL; SQLite's writer lock does the same)."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT fr.id, fr.feedback_id, r.number AS recommendation_number, fr.body, fr.created_at"
                " FROM feedback_responses fr JOIN feedback f ON f.id = fr.feedback_id"
                " JOIN recommendations r ON r.id = f.recommendation_id"
                " WHERE f.guild_id = ? AND f.author_id = ? AND fr.delivered_at IS NULL"
                f" ORDER BY fr.created_at, fr.id LIMIT ?{tx.for_update('fr')}",
                (guild_id, user_id, limit),
            )
            taken = []
            for row in rows:
                if await tx.execute_rowcount(
                    "UPDATE feedback_responses SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
                    (to_db(now), row["id"]),
                ):
                    taken.append(
                        PendingResponse(
                            row["id"],
                            row["feedback_id"],
                            row["recommendation_number"],
                            row["body"],
                            from_db(row["created_at"]),
                        )
                    )
        return taken

    async def give_back(self, response_ids: list[int], delivered_at: datetime) -> None:
        """Undo ``take_undelivered`` for answers the member could not be shown after all."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE feedback_responses SET delivered_at = NULL WHERE id = ? AND delivered_at = ?",
                [(response_id, to_db(delivered_at)) for response_id in response_ids],
            )

    # -- privacy ----------------------------------------------------------------------------

    async def delete_author(self, guild_id: int, user_id: int) -> int:
        """Erase every item the member wrote in this guild, with its history and responses (cascade)."""
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "DELETE FROM feedback WHERE guild_id = ? AND author_id = ?", (guild_id, user_id)
            )

    async def export_author(self, guild_id: int, user_id: int) -> list[dict[str, Any]]:
        """Everything stored about the member's feedback, for their own "my data" request only."""
        items = await self.for_author(guild_id, user_id, active_only=False)
        exported = []
        for item in items:
            history = await self.history(item.id)
            responses = await self.responses(item.id)
            exported.append(
                {
                    "id": item.id,
                    "recommendation": item.recommendation_number,
                    "version": item.version,
                    "scoping_area": item.area_number,
                    "anonymous": item.anonymous,
                    "source": item.source,
                    "language": item.language,
                    "status": item.status,
                    "hidden": item.hidden,
                    "text": item.body,
                    "created_at": item.created_at.isoformat(),
                    "updated_at": item.updated_at.isoformat(),
                    "earlier_texts": [
                        {"text": h.body, "replaced_at": h.replaced_at.isoformat()} for h in history
                    ],
                    "responses": [
                        {"text": r.body, "created_at": r.created_at.isoformat()} for r in responses
                    ],
                }
            )
        return exported
