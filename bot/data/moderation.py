"""The SQL of moderation and members' data requests: forgotten members, a member's sign-ups and
reactions for export and erasure, and the ids that only point at a member (anonymised on erasure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Database


@dataclass(frozen=True, slots=True)
class MemberSignup:
    session_id: int
    session_title: str
    starts_at: datetime
    status: str
    question: str | None
    dm_reminders: bool
    locale: str | None
    display_name: str | None
    signed_up_at: datetime


@dataclass(frozen=True, slots=True)
class MemberReaction:
    message_id: int
    channel_id: int
    recommendation_number: int
    emoji: str
    reacted_at: datetime


@dataclass(frozen=True, slots=True)
class ErasedCounts:
    signups: int
    notices: int
    anonymised: int


class ModerationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- forgotten members (salted hashes only) ----------------------------------------------

    async def forget_hash(self, guild_id: int, member_hash: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO forgotten_members (guild_id, member_hash, forgotten_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, member_hash) DO NOTHING",
            (guild_id, member_hash, to_db(now)),
        )

    async def forgotten_hashes(self) -> set[tuple[int, str]]:
        rows = await self.db.fetchall("SELECT guild_id, member_hash FROM forgotten_members")
        return {(row[0], row[1]) for row in rows}

    # -- a member's rows ---------------------------------------------------------------------

    async def signups_of(self, guild_id: int, user_id: int) -> list[MemberSignup]:
        rows = await self.db.fetchall(
            "SELECT s.*, o.title, o.starts_at FROM signups s JOIN office_hours o ON o.id = s.session_id"
            " WHERE o.guild_id = ? AND s.user_id = ? ORDER BY o.starts_at, s.id",
            (guild_id, user_id),
        )
        return [
            MemberSignup(
                session_id=row["session_id"],
                session_title=row["title"],
                starts_at=from_db(row["starts_at"]),
                status=row["status"],
                question=row["question"],
                dm_reminders=bool(row["dm_reminders"]),
                locale=row["locale"],
                display_name=row["display_name"],
                signed_up_at=from_db(row["signed_up_at"]),
            )
            for row in rows
        ]

    async def reactions_of(self, guild_id: int, user_id: int) -> list[MemberReaction]:
        """The member's reaction rows on this guild's posts (live or deleted)."""
        rows = await self.db.fetchall(
            "SELECT x.message_id,"
            # a forum post's message is in its thread; a text post's in the channel (the thread hangs off it)
            " CASE WHEN p.kind = 'text' THEN p.channel_id ELSE COALESCE(p.thread_id, p.channel_id) END,"
            " r.number, x.emoji,"
            " x.reacted_at FROM reactions x JOIN posts p ON p.message_id = x.message_id"
            " JOIN recommendations r ON r.id = p.recommendation_id"
            " WHERE p.guild_id = ? AND x.user_id = ? ORDER BY r.number, x.emoji",
            (guild_id, user_id),
        )
        return [MemberReaction(row[0], row[1], row[2], row[3], from_db(row[4])) for row in rows]

    async def erase_member(self, guild_id: int, user_id: int) -> ErasedCounts:
        """Delete the member's sign-ups and notices; blank the ids that only point at them.

        Their feedback and reaction rows are erased by their own repositories. Rows that record what
        the member did for others (an audit entry, a response, a hidden item) are kept without the id.
        """
        async with self.db.transaction() as tx:
            sessions = "SELECT id FROM office_hours WHERE guild_id = :guild"
            params = {"guild": guild_id, "user": user_id}
            notices = await tx.execute_rowcount(
                f"DELETE FROM officehours_notices WHERE user_id = :user AND session_id IN ({sessions})",
                params,
            )
            signups = await tx.execute_rowcount(
                f"DELETE FROM signups WHERE user_id = :user AND session_id IN ({sessions})", params
            )
            anonymised = 0
            for statement in (
                "UPDATE audit_log SET actor_id = NULL WHERE guild_id = :guild AND actor_id = :user",
                "UPDATE feedback SET hidden_by = NULL WHERE guild_id = :guild AND hidden_by = :user",
                "UPDATE feedback_responses SET responder_id = 0 WHERE responder_id = :user"
                " AND feedback_id IN (SELECT id FROM feedback WHERE guild_id = :guild)",
                "UPDATE recommendation_versions SET author_id = NULL WHERE author_id = :user"
                " AND recommendation_id IN (SELECT id FROM recommendations WHERE guild_id = :guild)",
                "UPDATE office_hours SET host_id = NULL WHERE guild_id = :guild AND host_id = :user",
                "UPDATE office_hours SET created_by = 0 WHERE guild_id = :guild AND created_by = :user",
            ):
                anonymised += await tx.execute_rowcount(statement, params)
        return ErasedCounts(signups, notices, anonymised)
