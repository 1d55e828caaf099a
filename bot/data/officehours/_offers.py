"""Office hours offered on linked servers (issue 16): the SQL of each server's offer of a home session.

A session scheduled at home with ``offered_everywhere`` gets a 'pending' offer per active linked server
(in the transaction that creates it, or when a server links later); the process owning that server
claims it ('active') before it posts the card and the event there; a server that leaves gets its offers
'withdrawn' (its sign-ups stay, and keep their seats).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import to_db
from bot.data.database import Database, Transaction
from bot.data.leases import CLAIMER, free, until
from bot.data.officehours._rows import (
    MAX_SESSION_MINUTES,
    SUMMARY_SQL,
    Offer,
    SessionSummary,
    offer_row,
    summary_row,
)
from bot.sharding import ALL_SHARDS, ShardScope

# An offer is good for sign-ups while it is active and its server is still actively linked to the
# session's home (a link that ended is enough, even before the offer is withdrawn).
OFFERED = (
    "SELECT f.guild_id FROM officehours_offers f"
    " JOIN office_hours o ON o.id = f.session_id"
    " JOIN linked_servers l ON l.guild_id = f.guild_id AND l.home_guild_id = o.guild_id"
    " AND l.status = 'active'"
    " WHERE f.session_id = ? AND f.status = 'active'"
)


async def offer_everywhere(tx: Transaction, session_id: int, home_guild_id: int, stamp: str) -> int:
    """A pending offer of a new session on every server actively linked to its home; how many."""
    return await tx.execute_rowcount(
        "INSERT INTO officehours_offers (session_id, guild_id, status, created_at, updated_at)"
        " SELECT ?, guild_id, 'pending', ?, ? FROM linked_servers"
        " WHERE home_guild_id = ? AND status = 'active'"
        " ON CONFLICT (session_id, guild_id) DO NOTHING",
        (session_id, stamp, stamp, home_guild_id),
    )


async def offered_guilds(tx: Transaction, session_id: int) -> frozenset[int]:
    """The linked servers where a member may sign up for the session now (inside a booking)."""
    rows = await tx.fetchall(OFFERED, (session_id,))
    return frozenset(row[0] for row in rows)


class OfferQueries:
    db: Database

    async def offer_to(self, guild_id: int, home_guild_id: int, now: datetime) -> list[int]:
        """A server (re)linked to ``home_guild_id``: pending offers of every upcoming session scheduled
        there for everywhere (a withdrawn offer is offered again). Returns the session ids."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT o.id FROM office_hours o WHERE o.guild_id = ? AND o.offered_everywhere = 1"
                " AND o.status = 'scheduled' AND o.starts_at > ?"
                " AND EXISTS (SELECT 1 FROM linked_servers l WHERE l.guild_id = ?"
                "   AND l.home_guild_id = o.guild_id AND l.status = 'active')"
                " AND NOT EXISTS (SELECT 1 FROM officehours_offers f WHERE f.session_id = o.id"
                "   AND f.guild_id = ? AND f.status IN ('pending', 'active'))"
                " ORDER BY o.starts_at, o.id",
                (home_guild_id, stamp, guild_id, guild_id),
            )
            ids = [row[0] for row in rows]
            await tx.executemany(
                "INSERT INTO officehours_offers (session_id, guild_id, status, created_at, updated_at)"
                " VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (session_id, guild_id) DO UPDATE SET"
                " status = 'pending', card_channel_id = NULL, card_message_id = NULL, thread_id = NULL,"
                " scheduled_event_id = NULL, problem = NULL, updated_at = excluded.updated_at",
                [(session_id, guild_id, stamp, stamp) for session_id in ids],
            )
        return ids

    async def claim_pending_offers(
        self, now: datetime, scope: ShardScope = ALL_SHARDS, guild_id: int | None = None
    ) -> list[Offer]:
        """Offers of servers of ``scope`` (of one server if given) whose session is still ahead and whose
        card is to be posted: pending ones, and active ones left without a card (nor a problem) by a
        claimer whose lease ran out. Each is claimed ('active', leased) before its card is posted."""
        shards, params = scope.where("f.guild_id")
        only = " AND f.guild_id = ?" if guild_id is not None else ""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT f.* FROM officehours_offers f JOIN office_hours o ON o.id = f.session_id"
                " WHERE (f.status = 'pending' OR (f.status = 'active' AND f.card_message_id IS NULL"
                f" AND f.problem IS NULL AND {free('f')}))"
                " AND o.status = 'scheduled' AND o.starts_at > ?"
                + only
                + shards
                + " ORDER BY f.session_id, f.guild_id"
                + tx.skip_locked("f"),
                (stamp, stamp, *((guild_id,) if guild_id is not None else ()), *params),
            )
            await tx.executemany(
                "UPDATE officehours_offers SET status = 'active', claimed_by = ?, lease_until = ?,"
                " updated_at = ? WHERE session_id = ? AND guild_id = ?",
                [(CLAIMER, until(now), stamp, row["session_id"], row["guild_id"]) for row in rows],
            )
        return [offer_row(row) for row in rows]

    async def attach_offer(
        self,
        session_id: int,
        guild_id: int,
        *,
        card_channel_id: int | None = None,
        card_message_id: int | None = None,
        thread_id: int | None = None,
        scheduled_event_id: int | None = None,
        problem: str | None = None,
    ) -> None:
        """Remember the Discord objects of an offer (only the ones given) and what went wrong."""
        await self.db.execute(
            "UPDATE officehours_offers SET card_channel_id = COALESCE(?, card_channel_id),"
            " card_message_id = COALESCE(?, card_message_id), thread_id = COALESCE(?, thread_id),"
            " scheduled_event_id = COALESCE(?, scheduled_event_id), problem = COALESCE(?, problem)"
            " WHERE session_id = ? AND guild_id = ?",
            (card_channel_id, card_message_id, thread_id, scheduled_event_id, problem, session_id, guild_id),
        )

    async def offer(self, session_id: int, guild_id: int) -> Offer | None:
        row = await self.db.fetchone(
            "SELECT * FROM officehours_offers WHERE session_id = ? AND guild_id = ?", (session_id, guild_id)
        )
        return offer_row(row) if row else None

    async def offers(self, session_id: int, *, statuses: tuple[str, ...] = ("active",)) -> list[Offer]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self.db.fetchall(
            f"SELECT * FROM officehours_offers WHERE session_id = ? AND status IN ({marks})"
            " ORDER BY guild_id",
            (session_id, *statuses),
        )
        return [offer_row(row) for row in rows]

    async def is_offered(self, session_id: int, guild_id: int) -> bool:
        """True when a member of ``guild_id`` may sign up for the session there."""
        row = await self.db.fetchone(OFFERED + " AND f.guild_id = ?", (session_id, guild_id))
        return row is not None

    async def withdraw_offers(self, guild_id: int, home_guild_id: int, now: datetime) -> list[Offer]:
        """A server left or was removed: its offers of the home's sessions are withdrawn (sign-ups kept).
        Returns the offers that were posted (their card and event are to be withdrawn on Discord)."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT f.* FROM officehours_offers f JOIN office_hours o ON o.id = f.session_id"
                " WHERE f.guild_id = ? AND o.guild_id = ? AND f.status IN ('pending', 'active')"
                " ORDER BY f.session_id",
                (guild_id, home_guild_id),
            )
            await tx.executemany(
                "UPDATE officehours_offers SET status = 'withdrawn', updated_at = ?"
                " WHERE session_id = ? AND guild_id = ?",
                [(stamp, row["session_id"], guild_id) for row in rows],
            )
        return [offer_row(row) for row in rows if row["status"] == "active"]

    async def offered_upcoming(self, guild_id: int, now: datetime, limit: int = 25) -> list[SessionSummary]:
        """Home sessions offered on ``guild_id`` (a linked server) that have not ended, soonest first."""
        rows = await self.db.fetchall(
            SUMMARY_SQL + " JOIN officehours_offers f ON f.session_id = o.id AND f.guild_id = ?"
            " AND f.status = 'active' WHERE o.status = 'scheduled' AND o.starts_at > ?"
            " ORDER BY o.starts_at, o.id LIMIT ?",
            (guild_id, to_db(now - timedelta(minutes=MAX_SESSION_MINUTES)), limit + 50),
        )
        live = [summary_row(r) for r in rows]
        return [s for s in live if s.session.ends_at > now][:limit]
