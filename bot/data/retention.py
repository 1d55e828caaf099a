"""Retention: the per-guild setting, and the one transaction that replaces member ids by pseudonyms.

Member ids live in feedback (``author_id``), sign-ups (``user_id``, with the name seen at sign-up),
reactions (``user_id``) and the office-hours outbox; names in ``member_names``. Pseudonyms are negative
(Discord's ids are positive), so ``user_id > 0`` is "not pseudonymised yet" and a second run finds
nothing to do. Staff ids (audit log, responders, hiders, hosts) are accountability records and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.audit import AuditEntry
from bot.data.database import Database

RETENTION_ACTION = "privacy.retention"
SESSIONS_STARTED = "SELECT id FROM office_hours WHERE guild_id = :guild AND starts_at <= :now"
POSTS = "SELECT message_id FROM posts WHERE guild_id = :guild"


@dataclass(frozen=True, slots=True)
class RetentionSetting:
    guild_id: int
    days: int
    applied_for: datetime | None  # the closing already processed
    applied_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueRetention:
    guild_id: int
    days: int
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class PseudonymisedCounts:
    members: int
    feedback: int
    signups: int
    reactions: int
    names: int


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int) -> RetentionSetting | None:
        row = await self.db.fetchone("SELECT * FROM retention WHERE guild_id = ?", (guild_id,))
        if row is None:
            return None
        return RetentionSetting(
            row["guild_id"],
            row["days"],
            from_db(row["applied_for"]) if row["applied_for"] else None,
            from_db(row["applied_at"]) if row["applied_at"] else None,
        )

    async def set_days(self, guild_id: int, days: int | None) -> None:
        """``None`` turns retention off (what was already pseudonymised stays so)."""
        if days is None:
            await self.db.execute("DELETE FROM retention WHERE guild_id = ?", (guild_id,))
            return
        await self.db.execute(
            "INSERT INTO retention (guild_id, days) VALUES (?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET days = excluded.days",
            (guild_id, days),
        )

    async def candidates(self) -> list[DueRetention]:
        """Closed consultations with retention on whose closing was not processed yet (due or not)."""
        rows = await self.db.fetchall(
            "SELECT r.guild_id, r.days, g.phase_changed_at FROM retention r"
            " JOIN guild_settings g ON g.guild_id = r.guild_id"
            " WHERE g.phase = 'closed' AND g.phase_changed_at IS NOT NULL"
            " AND (r.applied_for IS NULL OR r.applied_for <> g.phase_changed_at)"
            " ORDER BY r.guild_id"
        )
        return [DueRetention(row[0], row[1], from_db(row[2])) for row in rows]

    async def member_ids(self, guild_id: int, now: datetime) -> set[int]:
        """Every real member id retention replaces in this guild."""
        params = {"guild": guild_id, "now": to_db(now)}
        rows = await self.db.fetchall(
            "SELECT author_id FROM feedback WHERE guild_id = :guild AND author_id > 0"
            f" UNION SELECT user_id FROM signups WHERE user_id > 0 AND session_id IN ({SESSIONS_STARTED})"
            f" UNION SELECT user_id FROM reactions WHERE user_id > 0 AND message_id IN ({POSTS})",
            params,
        )
        return {row[0] for row in rows}

    async def pseudonymise(
        self,
        guild_id: int,
        aliases: dict[int, int],
        closed_at: datetime,
        now: datetime,
        reason: Callable[[PseudonymisedCounts], str],
    ) -> tuple[PseudonymisedCounts, AuditEntry]:
        """Replace every id in ``aliases`` (real -> pseudonym), erase the names, mark the closing done
        and write the audit entry: all in one transaction, so a crash leaves all of it or none of it."""
        params = {"guild": guild_id, "now": to_db(now)}
        alias_of = "(SELECT alias FROM retention_aliases a WHERE a.real = {column})"
        async with self.db.transaction() as tx:
            await tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS retention_aliases (real INTEGER PRIMARY KEY, alias INTEGER)"
            )
            await tx.execute("DELETE FROM retention_aliases")
            await tx.executemany(
                "INSERT INTO retention_aliases (real, alias) VALUES (?, ?)", list(aliases.items())
            )
            feedback = await tx.execute_rowcount(
                f"UPDATE feedback SET author_id = {alias_of.format(column='feedback.author_id')}"
                " WHERE guild_id = :guild AND author_id IN (SELECT real FROM retention_aliases)",
                params,
            )
            signups = await tx.execute_rowcount(
                f"UPDATE signups SET user_id = {alias_of.format(column='signups.user_id')},"
                " display_name = NULL"
                f" WHERE session_id IN ({SESSIONS_STARTED})"
                " AND user_id IN (SELECT real FROM retention_aliases)",
                params,
            )
            # The outbox of sessions that took place: delivery records with a member id, no longer needed.
            await tx.execute(
                f"DELETE FROM officehours_notices WHERE session_id IN ({SESSIONS_STARTED})", params
            )
            reactions = await tx.execute_rowcount(
                f"UPDATE reactions SET user_id = {alias_of.format(column='reactions.user_id')}"
                f" WHERE message_id IN ({POSTS}) AND user_id IN (SELECT real FROM retention_aliases)",
                params,
            )
            names = await tx.execute_rowcount("DELETE FROM member_names WHERE guild_id = :guild", params)
            counts = PseudonymisedCounts(len(aliases), feedback, signups, reactions, names)
            await tx.execute("DELETE FROM retention_aliases")
            await tx.execute(
                "UPDATE retention SET applied_for = ?, applied_at = ? WHERE guild_id = ?",
                (to_db(closed_at), to_db(now), guild_id),
            )
            entry_id = await tx.execute(
                "INSERT INTO audit_log (guild_id, actor_id, action, target, reason, created_at)"
                " VALUES (?, NULL, ?, NULL, ?, ?)",
                (guild_id, RETENTION_ACTION, reason(counts), to_db(now)),
            )
        return counts, AuditEntry(entry_id, guild_id, None, RETENTION_ACTION, None, reason(counts), now)
