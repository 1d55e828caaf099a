"""The cross-server reads of a home consultation's digest (issue 16): its linked servers, their copies of
the home drafts, people counted once across servers, and feedback.csv's lines with their server.

A linked server keeps its own copies of the home drafts (``recommendation_mirrors``), its own posts and
reactions. The kept pair counts (``bot.data.reaction_pairs``) are per post, so they cannot say whether
the member who tagged an area on one server is the one who tagged it on another: "distinct people across
servers" needs the members themselves. ``member_ids`` hands them over compactly (one text of ids per post
and emoji, read along the reactions' primary key with no sorting); ``bot.digest.server_counts`` counts
them. Only a consultation with linked servers comes here: a server on its own keeps the pair counts' path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import to_db
from bot.data.digest import Reads

# One bit per scoping area (by its place among the home server's areas), the stances above them.
STANCE_BITS = {"support": 1 << 40, "oppose": 1 << 41, "needs_work": 1 << 42}
MAX_AREAS = 40


@dataclass(frozen=True, slots=True)
class LinkedServer:
    """A server that joined the home consultation, whatever its link's status now."""

    guild_id: int
    status: str  # active, left, removed
    health: str  # ok, bot_removed, channel_missing, permission_missing
    health_detail: str | None


def _values(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> tuple[str, list[Any]]:
    """A VALUES list with typed placeholders (PostgreSQL cannot infer a bare parameter's type there)."""
    one = "(" + ", ".join(f"CAST(? AS {kind})" for kind in types) + ")"
    return ", ".join([one] * len(rows)), [value for row in rows for value in row]


class ServerDigestRepository:
    """The reads of a digest that spans servers, through the digest's reader."""

    def __init__(self, reads: Reads) -> None:
        self.reads = reads

    async def linked(self, home_guild_id: int) -> list[LinkedServer]:
        """Every server that joined, in joining order: those that left or were removed keep their data."""
        rows = await self.reads.fetchall(
            "SELECT guild_id, status, health, health_detail FROM linked_servers WHERE home_guild_id = ?"
            " ORDER BY joined_at, guild_id",
            (home_guild_id,),
        )
        return [LinkedServer(row[0], row[1], row[2], row[3]) for row in rows]

    async def copies(self, home_guild_id: int) -> dict[int, dict[int, int]]:
        """{server: {home draft id: that server's copy id}} for every copy of the home's drafts."""
        rows = await self.reads.fetchall(
            "SELECT r.guild_id, m.home_recommendation_id, m.recommendation_id FROM recommendation_mirrors m"
            " JOIN recommendations h ON h.id = m.home_recommendation_id"
            " JOIN recommendations r ON r.id = m.recommendation_id"
            " WHERE h.guild_id = ? ORDER BY r.guild_id, m.home_recommendation_id",
            (home_guild_id,),
        )
        found: dict[int, dict[int, int]] = {}
        for guild_id, home_id, copy_id in rows:
            found.setdefault(guild_id, {})[home_id] = copy_id
        return found

    async def emoji(self, guild_ids: Sequence[int]) -> list[tuple[int, str, int | None, str | None]]:
        """(server, emoji, area number or None, stance key or None) of every server's areas and stances."""
        marks = ", ".join("?" * len(guild_ids))
        rows = await self.reads.fetchall(
            f"SELECT guild_id, emoji, number, NULL FROM scoping_areas WHERE guild_id IN ({marks})"
            f" UNION ALL SELECT guild_id, emoji, NULL, key FROM stances WHERE guild_id IN ({marks})",
            [*guild_ids, *guild_ids],
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def member_ids(
        self, drafts: Sequence[tuple[int, int]], joined_ids: str
    ) -> list[tuple[int, int, str, str | None]]:
        """(server, home draft, emoji, the ids of its members joined by commas) of every emoji on the live
        posts of ``drafts`` ((a recommendation id on any server, the home draft it is or copies));
        ``joined_ids``: ``Database.joined_ids("r.user_id")``.

        The emoji present on a post are its kept counts' (post, e, e) rows (``reaction_pairs``); each
        one's members are one range of the reactions' primary key (post, emoji, member), read in order
        with no sorting and handed over as one text: ~3 bytes a reaction instead of a row each.
        """
        if not drafts:
            return []
        draft_values, draft_params = _values(drafts, ("BIGINT", "BIGINT"))
        rows = await self.reads.fetchall(
            f"WITH d (rec, home) AS (VALUES {draft_values})"
            " SELECT p.guild_id, d.home, c.emoji_a,"
            f"  (SELECT {joined_ids} FROM reactions r"
            "    WHERE r.message_id = c.message_id AND r.emoji = c.emoji_a)"
            " FROM d CROSS JOIN posts p CROSS JOIN reaction_pairs c"
            " WHERE p.recommendation_id = d.rec AND p.status = 'live' AND c.message_id = p.message_id"
            " AND c.emoji_a = c.emoji_b AND c.emoji_a <> '' AND c.members <> 0",
            draft_params,
        )
        return [(int(row[0]), int(row[1]), row[2], row[3]) for row in rows]

    async def feedback_figures(
        self, guild_ids: Sequence[int], since: datetime | None, beside: Reads | None = None
    ) -> list[tuple[int, int, int | None, str | None, int, int, int, int]]:
        """(server, recommendation id, area id, language, in the period, in all, answered in the period,
        answered in all): every server's active, visible feedback counted as
        ``DigestRepository.feedback_figures`` counts one server's, in two statements for all servers (the
        answered count scans ``feedback_responses`` once, not once per server); with ``beside`` (another
        reader) the two run at once, one on each connection."""
        marks = ", ".join("?" * len(guild_ids))
        params = [to_db(since) if since else "", *guild_ids]
        select = (
            "SELECT f.guild_id, f.recommendation_id, f.scoping_area_id, f.language,"
            " SUM(CASE WHEN f.created_at > ? THEN 1 ELSE 0 END), COUNT(*)"
        )
        where = (
            f" WHERE f.guild_id IN ({marks}) AND f.status = 'active' AND f.hidden = 0"
            " GROUP BY f.guild_id, f.recommendation_id, f.scoping_area_id, f.language"
        )
        counted, answered = await asyncio.gather(
            self.reads.fetchall(f"{select} FROM feedback f{where}", params),
            (beside or self.reads).fetchall(
                f"{select} FROM (SELECT DISTINCT feedback_id FROM feedback_responses) r"
                f" JOIN feedback f ON f.id = r.feedback_id{where}",
                params,
            ),
        )
        done = {tuple(row[:4]): (row[4], row[5]) for row in answered}
        return [(*row[:4], row[4], row[5], *done.get(tuple(row[:4]), (0, 0))) for row in counted]
