"""Servers linked into one consultation (issue 16): join codes, joining, leaving, removal, health.

The home server's working group makes a join code (``invite``); an administrator of another server
joins with it (``join``: every refusal a distinct sentence, the code spent by a conditional UPDATE in the
same transaction that stores the server's channel and roles and the link). Events after each commit:
``consultation_server_linked(home, guild)`` and ``consultation_server_unlinked(home, guild, status)``,
and ``consultation_server_health(home, guild, health)`` when a linked server's health changes;
copying the drafts is the ``drafts`` capability's answer to the first.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.content import Content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.links import HEALTH, Invite, JoinSettings, JoinState, Link, LinkRepository, ServerFigures
from bot.errors import UserError

log = logging.getLogger(__name__)

# Readable codes: no 0/O, 1/I/L; 12 characters of 31 (~59 bits) shown as XXXX-XXXX-XXXX.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
DEFAULT_HOURS = 24
MAX_HOURS = 30 * 24

Audit = Callable[[int, int | None, str, str | None], Awaitable[object]]
Dispatch = Callable[..., None]


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


@dataclass(frozen=True, slots=True)
class NewInvite:
    code: str  # shown once: only its hash is stored
    invite: Invite


@dataclass(frozen=True, slots=True)
class LinkedServer:
    link: Link
    figures: ServerFigures


class LinkService:
    def __init__(
        self,
        db: Database,
        guilds: GuildRepository,
        clock: Clock,
        content: Content,
        *,
        audit: Audit,
        dispatch: Dispatch,
        server_name: Callable[[int], str] = str,
    ) -> None:
        self.db = db
        self.repo = LinkRepository(db)
        self.guilds = guilds
        self.clock = clock
        self.content = content
        self.audit = audit
        self.dispatch = dispatch
        self.server_name = server_name  # "name (id)" of a server, for sentences and the audit log

    # -- join codes -----------------------------------------------------------------------------

    async def invite(
        self, home_guild_id: int, actor_id: int, *, hours: int = DEFAULT_HOURS, uses: int | None = 1
    ) -> NewInvite:
        """A new join code (``uses`` None: unlimited), valid ``hours``; audited without the code."""
        if not 1 <= hours <= MAX_HOURS:
            raise UserError("links.invite.bad_hours", limit=MAX_HOURS)
        if uses is not None and uses < 1:
            raise UserError("links.invite.bad_uses")
        home = await self.repo.home_of(home_guild_id)
        if home is not None:
            raise UserError("links.invite.joined", home=self.server_name(home))
        now = self.clock.now()
        await self.guilds.ensure(home_guild_id, self.content, now)
        code = new_code()
        invite = await self.repo.create_invite(
            home_guild_id, code, actor_id, now, now + timedelta(hours=hours), uses
        )
        await self.audit(home_guild_id, actor_id, "links.invite", f"#{invite.id}")
        return NewInvite(code, invite)

    async def invites(self, home_guild_id: int) -> list[Invite]:
        return await self.repo.invites(home_guild_id)

    async def revoke(self, home_guild_id: int, invite_id: int | None, actor_id: int) -> int:
        """Revoke one code (or, ``invite_id`` None, every usable code): how many were revoked."""
        now = self.clock.now()
        if invite_id is None:
            count = await self.repo.revoke_all(home_guild_id, actor_id, now)
        else:
            count = int(await self.repo.revoke_invite(home_guild_id, invite_id, actor_id, now))
            if not count:
                raise UserError("links.revoke.unknown", invite=invite_id)
        if count:
            target = "*" if invite_id is None else f"#{invite_id}"
            await self.audit(home_guild_id, actor_id, "links.revoke", target)
        return count

    # -- joining ------------------------------------------------------------------------------

    def refusal(self, guild_id: int, state: JoinState) -> UserError | None:
        """Why ``guild_id`` may not join with the code, one sentence per reason; ``None``: it may."""
        invite, now = state.invite, self.clock.now()
        if invite is None:
            return UserError("links.join.unknown_code")
        if invite.home_guild_id == guild_id:
            return UserError("links.join.own_code")
        if invite.revoked_at is not None:
            return UserError("links.join.revoked")
        if invite.expires_at is not None and now >= invite.expires_at:
            return UserError("links.join.expired")
        if invite.max_uses is not None and invite.uses >= invite.max_uses:
            return UserError("links.join.used")
        home = self.server_name(invite.home_guild_id)
        if state.home_of_guild == invite.home_guild_id:
            return UserError("links.join.already", home=home)
        if state.home_of_guild is not None:
            return UserError("links.join.other_consultation", home=self.server_name(state.home_of_guild))
        if state.linked_to_guild:
            return UserError("links.join.has_linked", count=state.linked_to_guild)
        if state.own_posts:
            return UserError("links.join.published", count=state.own_posts)
        if state.home_of_inviter is not None:
            return UserError("links.join.inviter_joined", home=home)
        return None

    async def offer(self, guild_id: int, code: str) -> int:
        """The home server the code would join ``guild_id`` to, or the refusal (nothing is changed)."""
        async with self.db.transaction() as tx:
            state = await self.repo.join_state(tx, guild_id, code)
        refused = self.refusal(guild_id, state)
        if refused is not None:
            raise refused
        assert state.invite is not None
        return state.invite.home_guild_id

    async def join(self, guild_id: int, code: str, actor_id: int, settings: JoinSettings) -> Link:
        """Check everything again, spend one use of the code, store the server's channel and roles and
        the link, all in one transaction; then audit in both servers and tell the other capabilities."""
        if settings.channel_kind not in ("forum", "text"):
            raise ValueError(settings.channel_kind)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            state = await self.repo.join_state(tx, guild_id, code)
            refused = self.refusal(guild_id, state)
            if refused is not None:
                raise refused
            assert state.invite is not None
            invite, home_guild_id = state.invite, state.invite.home_guild_id
            if not await self.repo.use_invite(tx, invite.id, now):  # another server took the last use
                raise UserError("links.join.used")
            title = await tx.fetchval(
                "SELECT consultation_title FROM guild_settings WHERE guild_id = ?", (home_guild_id,)
            )
            await self.repo.store_settings(tx, guild_id, title or self.content.title, settings, now)
            await self.repo.join(tx, guild_id, home_guild_id, invite.id, actor_id, now)
        link = await self.repo.link(guild_id)
        assert link is not None
        await self.audit(home_guild_id, actor_id, "links.joined", self.server_name(guild_id))
        await self.audit(guild_id, actor_id, "links.joined", self.server_name(home_guild_id))
        log.info("Server %s joined the consultation of %s (code #%s)", guild_id, home_guild_id, invite.id)
        self.dispatch("consultation_server_linked", home_guild_id, guild_id)
        return link

    # -- leaving and removal ------------------------------------------------------------------

    async def joined_home(self, guild_id: int) -> int:
        """The home server ``guild_id`` joined, or the sentence saying it joined none."""
        home = await self.repo.home_of(guild_id)
        if home is None:
            raise UserError("links.leave.not_joined")
        return home

    async def leave(self, guild_id: int, actor_id: int) -> int:
        """The joined server's administrator ends the link (its data so far is kept): the home's id."""
        home = await self.joined_home(guild_id)
        if not await self.repo.end(guild_id, "left", actor_id, self.clock.now()):
            raise UserError("links.leave.not_joined")
        await self.audit(home, actor_id, "links.left", self.server_name(guild_id))
        await self.audit(guild_id, actor_id, "links.left", self.server_name(home))
        self.dispatch("consultation_server_unlinked", home, guild_id, "left")
        return home

    async def remove(self, home_guild_id: int, guild_id: int, actor_id: int) -> None:
        """The home working group removes a linked server (its data so far is kept)."""
        link = await self.repo.link(guild_id)
        if link is None or link.home_guild_id != home_guild_id or not link.active:
            raise UserError("links.remove.unknown", server=guild_id)
        if not await self.repo.end(guild_id, "removed", actor_id, self.clock.now()):
            raise UserError("links.remove.unknown", server=guild_id)
        await self.audit(home_guild_id, actor_id, "links.removed", self.server_name(guild_id))
        await self.audit(guild_id, actor_id, "links.removed", self.server_name(home_guild_id))
        self.dispatch("consultation_server_unlinked", home_guild_id, guild_id, "removed")

    # -- reading ------------------------------------------------------------------------------

    async def servers(self, home_guild_id: int, *, active_only: bool = False) -> list[LinkedServer]:
        """The home's linked servers (those that left or were removed too, unless ``active_only``)
        with their figures; on a joined server, the sentence naming its home."""
        home = await self.repo.home_of(home_guild_id)
        if home is not None:
            raise UserError("links.servers.joined", home=self.server_name(home))
        links = await self.repo.links(home_guild_id, active_only=active_only)
        return [LinkedServer(link, await self.repo.figures(link.guild_id)) for link in links]

    async def consultation_servers(self, guild_id: int) -> list[int]:
        """Every server of the consultation ``guild_id`` takes part in: the home first, then each
        active linked server (just ``[guild_id]`` for a consultation of its own)."""
        home = await self.repo.home_of(guild_id)
        return await self.repo.consultation_guilds(home if home is not None else guild_id)

    async def link(self, guild_id: int) -> Link | None:
        return await self.repo.link(guild_id)

    # -- health -------------------------------------------------------------------------------

    async def found_health(self, guild_id: int, health: str, detail: str | None = None) -> bool:
        """Record what the bot found on a linked server (any status); a change on an active link is
        audited at home. Whether it changed; nothing for a server that never joined."""
        if health not in HEALTH:
            raise ValueError(health)
        link = await self.repo.link(guild_id)
        if link is None:
            return False
        await self.repo.set_health(guild_id, health, detail, self.clock.now())
        changed = (link.health, link.health_detail) != (health, detail)
        if changed and link.active:
            log.info("Linked server %s: health %s -> %s (%s)", guild_id, link.health, health, detail)
            target = self.server_name(guild_id)
            await self.audit(link.home_guild_id, None, f"links.health.{health}", target)
        if changed:
            self.dispatch("consultation_server_health", link.home_guild_id, guild_id, health)
        return changed

    async def channel_deleted(self, guild_id: int, channel_id: int) -> bool:
        """A channel was deleted: a linked server's consultation channel gone is ``channel_missing``."""
        settings = await self.guilds.get(guild_id)
        if settings is None or settings.channel_id != channel_id:
            return False
        return await self.found_health(guild_id, "channel_missing", f"<#{channel_id}>")
