"""The SQL of servers linked into one consultation: join codes, linked servers, mirrored drafts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Database, Row, Transaction

LINK_STATUSES = ("active", "left", "removed")
HEALTH = ("ok", "bot_removed", "channel_missing", "permission_missing")


def code_hash(code: str) -> str:
    """What is stored of a join code: codes are compared case-insensitively, spaces ignored."""
    normalised = "".join(code.split()).upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    home_guild_id: int
    created_by: int
    created_at: datetime
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        if self.expires_at is not None and now >= self.expires_at:
            return False
        return self.max_uses is None or self.uses < self.max_uses


@dataclass(frozen=True, slots=True)
class Link:
    guild_id: int
    home_guild_id: int
    joined_by: int
    joined_at: datetime
    status: str
    ended_by: int | None
    ended_at: datetime | None
    health: str
    health_detail: str | None

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class JoinState:
    """What decides whether a server may join with a code, read in one transaction."""

    invite: Invite | None
    home_of_guild: int | None  # the consultation the joining server takes part in now (None: its own)
    home_of_inviter: int | None  # the inviting server has itself joined another consultation
    linked_to_guild: int  # servers active in the joining server's own consultation
    own_posts: int  # live posts on the joining server that are not copies of this home's drafts


@dataclass(frozen=True, slots=True)
class ServerFigures:
    """A linked server's share of the consultation."""

    reactions: int
    members_reacting: int
    feedback: int
    signups: int


@dataclass(frozen=True, slots=True)
class JoinSettings:
    """The joined server's own channel and roles (the options of /consultation setup)."""

    channel_id: int
    channel_kind: str  # "forum" or "text"
    working_group_role_id: int | None = None
    moderator_role_id: int | None = None
    digest_channel_id: int | None = None


_INVITE = "id, home_guild_id, created_by, created_at, expires_at, max_uses, uses, revoked_at"
_LINK = "guild_id, home_guild_id, joined_by, joined_at, status, ended_by, ended_at, health, health_detail"


def _invite(row: Row) -> Invite:
    return Invite(
        row[0], row[1], row[2], from_db(row[3]), from_db(row[4]) if row[4] else None, row[5], row[6],
        from_db(row[7]) if row[7] else None,
    )  # fmt: skip


def _link(row: Row) -> Link:
    return Link(
        row[0], row[1], row[2], from_db(row[3]), row[4], row[5], from_db(row[6]) if row[6] else None,
        row[7], row[8],
    )  # fmt: skip


class LinkRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- join codes -----------------------------------------------------------------------------

    async def create_invite(
        self, home_guild_id: int, code: str, created_by: int, now: datetime,
        expires_at: datetime | None, max_uses: int | None,
    ) -> Invite:  # fmt: skip
        invite_id = await self.db.execute(
            "INSERT INTO link_invites"
            " (home_guild_id, code_hash, created_by, created_at, expires_at, max_uses)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (home_guild_id, code_hash(code), created_by, to_db(now),
             to_db(expires_at) if expires_at else None, max_uses),
        )  # fmt: skip
        invite = await self.invite(invite_id)
        assert invite is not None
        return invite

    async def invite(self, invite_id: int) -> Invite | None:
        row = await self.db.fetchone(f"SELECT {_INVITE} FROM link_invites WHERE id = ?", (invite_id,))
        return _invite(row) if row else None

    async def invite_by_code(self, code: str) -> Invite | None:
        row = await self.db.fetchone(
            f"SELECT {_INVITE} FROM link_invites WHERE code_hash = ?", (code_hash(code),)
        )
        return _invite(row) if row else None

    async def revoke_all(self, home_guild_id: int, actor_id: int, now: datetime) -> int:
        """Revoke every code of the home server still usable: how many."""
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "UPDATE link_invites SET revoked_at = ?, revoked_by = ? WHERE home_guild_id = ?"
                " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
                " AND (max_uses IS NULL OR uses < max_uses)",
                (to_db(now), actor_id, home_guild_id, to_db(now)),
            )

    async def invites(self, home_guild_id: int) -> list[Invite]:
        rows = await self.db.fetchall(
            f"SELECT {_INVITE} FROM link_invites WHERE home_guild_id = ? ORDER BY id", (home_guild_id,)
        )
        return [_invite(row) for row in rows]

    async def revoke_invite(self, home_guild_id: int, invite_id: int, actor_id: int, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE link_invites SET revoked_at = ?, revoked_by = ?"
                " WHERE id = ? AND home_guild_id = ? AND revoked_at IS NULL",
                (to_db(now), actor_id, invite_id, home_guild_id),
            )
        return changed == 1

    @staticmethod
    async def use_invite(tx: Transaction, invite_id: int, now: datetime) -> bool:
        """Count one use, only while the code is usable: two servers racing for a single-use code get
        one ``True`` between them (the condition is re-checked by the UPDATE itself)."""
        changed = await tx.execute_rowcount(
            "UPDATE link_invites SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > ?) AND (max_uses IS NULL OR uses < max_uses)",
            (invite_id, to_db(now)),
        )
        return changed == 1

    # -- linked servers -------------------------------------------------------------------------

    async def link(self, guild_id: int) -> Link | None:
        """The server's link row, whatever its status."""
        row = await self.db.fetchone(f"SELECT {_LINK} FROM linked_servers WHERE guild_id = ?", (guild_id,))
        return _link(row) if row else None

    async def home_of(self, guild_id: int) -> int | None:
        """The home server whose consultation this server takes part in; ``None``: its own."""
        return await self.db.fetchval(
            "SELECT home_guild_id FROM linked_servers WHERE guild_id = ? AND status = 'active'", (guild_id,)
        )

    async def links(self, home_guild_id: int, *, active_only: bool = True) -> list[Link]:
        rows = await self.db.fetchall(
            f"SELECT {_LINK} FROM linked_servers WHERE home_guild_id = ?"
            " AND (? = 0 OR status = 'active') ORDER BY joined_at, guild_id",
            (home_guild_id, 1 if active_only else 0),
        )
        return [_link(row) for row in rows]

    async def consultation_guilds(self, home_guild_id: int) -> list[int]:
        """The home server first, then every active linked server."""
        rows = await self.db.fetchall(
            "SELECT guild_id FROM linked_servers WHERE home_guild_id = ? AND status = 'active'"
            " ORDER BY joined_at, guild_id",
            (home_guild_id,),
        )
        return [home_guild_id, *(row[0] for row in rows)]

    @staticmethod
    async def join(
        tx: Transaction, guild_id: int, home_guild_id: int, invite_id: int, actor_id: int, now: datetime
    ) -> None:
        """Link (or link again) ``guild_id`` to the home consultation, in the caller's transaction."""
        await tx.execute(
            "INSERT INTO linked_servers (guild_id, home_guild_id, invite_id, joined_by, joined_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
            " home_guild_id = excluded.home_guild_id, invite_id = excluded.invite_id,"
            " joined_by = excluded.joined_by, joined_at = excluded.joined_at, status = 'active',"
            " ended_by = NULL, ended_at = NULL, health = 'ok', health_detail = NULL",
            (guild_id, home_guild_id, invite_id, actor_id, to_db(now)),
        )

    @staticmethod
    async def join_state(tx: Transaction, guild_id: int, code: str) -> JoinState:
        """Everything a join is refused for, read inside the joining transaction."""
        row = await tx.fetchone(f"SELECT {_INVITE} FROM link_invites WHERE code_hash = ?", (code_hash(code),))
        invite = _invite(row) if row else None
        active = "SELECT home_guild_id FROM linked_servers WHERE guild_id = ? AND status = 'active'"
        inviter = await tx.fetchval(active, (invite.home_guild_id,)) if invite else None
        return JoinState(
            invite=invite,
            home_of_guild=await tx.fetchval(active, (guild_id,)),
            home_of_inviter=inviter,
            linked_to_guild=await tx.fetchval(
                "SELECT COUNT(*) FROM linked_servers WHERE home_guild_id = ? AND status = 'active'",
                (guild_id,),
            ),
            own_posts=await tx.fetchval(
                "SELECT COUNT(*) FROM posts p WHERE p.guild_id = ? AND p.status = 'live'"
                " AND NOT EXISTS (SELECT 1 FROM recommendation_mirrors m"
                "   JOIN recommendations h ON h.id = m.home_recommendation_id"
                "   WHERE m.recommendation_id = p.recommendation_id AND h.guild_id = ?)",
                (guild_id, invite.home_guild_id if invite else 0),
            ),
        )

    @staticmethod
    async def store_settings(
        tx: Transaction, guild_id: int, title: str, settings: JoinSettings, now: datetime
    ) -> None:
        """The joined server's channel and roles, in the joining transaction (roles not given are kept)."""
        stamp = to_db(now)
        await tx.execute(
            "INSERT INTO guild_settings (guild_id, consultation_title, channel_id, channel_kind,"
            " working_group_role_id, moderator_role_id, digest_channel_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
            " channel_id = excluded.channel_id, channel_kind = excluded.channel_kind,"
            " working_group_role_id ="
            "   COALESCE(excluded.working_group_role_id, guild_settings.working_group_role_id),"
            " moderator_role_id = COALESCE(excluded.moderator_role_id, guild_settings.moderator_role_id),"
            " digest_channel_id = COALESCE(excluded.digest_channel_id, guild_settings.digest_channel_id),"
            " updated_at = excluded.updated_at",
            (guild_id, title, settings.channel_id, settings.channel_kind, settings.working_group_role_id,
             settings.moderator_role_id, settings.digest_channel_id, stamp, stamp),
        )  # fmt: skip

    async def figures(self, guild_id: int) -> ServerFigures:
        """Reactions (and the members giving them), active feedback and active sign-ups on a server."""
        reactions = await self.db.fetchone(
            "SELECT COUNT(*), COUNT(DISTINCT r.user_id) FROM reactions r"
            " JOIN posts p ON p.message_id = r.message_id WHERE p.guild_id = ?",
            (guild_id,),
        )
        feedback = await self.db.fetchval(
            "SELECT COUNT(*) FROM feedback WHERE guild_id = ? AND status = 'active'", (guild_id,)
        )
        signups = await self.db.fetchval(
            "SELECT COUNT(*) FROM signups s JOIN office_hours o ON o.id = s.session_id"
            " WHERE o.guild_id = ? AND s.status IN ('confirmed', 'waitlisted')",
            (guild_id,),
        )
        assert reactions is not None
        return ServerFigures(reactions[0], reactions[1], feedback, signups)

    async def end(self, guild_id: int, status: str, actor_id: int, now: datetime) -> bool:
        """``status``: 'left' (the server's administrator) or 'removed' (the home working group)."""
        if status not in ("left", "removed"):
            raise ValueError(status)
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE linked_servers SET status = ?, ended_by = ?, ended_at = ?"
                " WHERE guild_id = ? AND status = 'active'",
                (status, actor_id, to_db(now), guild_id),
            )
        return changed == 1

    async def set_health(self, guild_id: int, health: str, detail: str | None, now: datetime) -> None:
        if health not in HEALTH:
            raise ValueError(health)
        await self.db.execute(
            "UPDATE linked_servers SET health = ?, health_detail = ?, health_checked_at = ?"
            " WHERE guild_id = ?",
            (health, detail, to_db(now), guild_id),
        )

    # -- mirrored drafts ------------------------------------------------------------------------

    @staticmethod
    async def add_mirror(tx: Transaction, recommendation_id: int, home_recommendation_id: int) -> None:
        await tx.execute(
            "INSERT INTO recommendation_mirrors (recommendation_id, home_recommendation_id) VALUES (?, ?)",
            (recommendation_id, home_recommendation_id),
        )

    async def mirrors(self, home_recommendation_id: int) -> list[tuple[int, int]]:
        """``(guild_id, recommendation_id)`` of every copy of a home draft."""
        rows = await self.db.fetchall(
            "SELECT r.guild_id, m.recommendation_id FROM recommendation_mirrors m"
            " JOIN recommendations r ON r.id = m.recommendation_id"
            " WHERE m.home_recommendation_id = ? ORDER BY r.guild_id",
            (home_recommendation_id,),
        )
        return [(row[0], row[1]) for row in rows]

    async def home_recommendation(self, recommendation_id: int) -> int | None:
        """The home draft a linked server's copy mirrors; ``None``: not a copy."""
        return await self.db.fetchval(
            "SELECT home_recommendation_id FROM recommendation_mirrors WHERE recommendation_id = ?",
            (recommendation_id,),
        )
