"""Consultation phases per guild: ``draft`` -> ``open`` -> ``closed`` (and back, by a moderator).

Changing the phase is a settings change: callers dispatch ``consultation_settings_changed`` so the
tally stops (or resumes) counting at once, and ``consultation_phase_changed`` so a home server's linked
servers follow (issue 16: the home's phase and scheduled close govern; a joined server cannot set its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.data.guilds import PHASES, GuildRepository, GuildSettings
from bot.data.links import LinkRepository
from bot.data.mirrors import MirrorRepository
from bot.errors import UserError
from bot.sharding import ALL_SHARDS, ShardScope

# The refusal when the consultation is already in the asked phase.
ALREADY = {
    "draft": "moderation.phase.already_draft",
    "open": "moderation.phase.already_open",
    "closed": "moderation.phase.already_closed",
}


@dataclass(frozen=True, slots=True)
class PhaseChange:
    before: GuildSettings
    after: GuildSettings

    @property
    def closed_now(self) -> bool:
        return self.after.phase == "closed" and self.before.phase != "closed"

    @property
    def reopened(self) -> bool:
        return self.before.phase == "closed" and self.after.phase != "closed"


class PhaseService:
    def __init__(self, guilds: GuildRepository, clock: Clock, namer: Callable[[int], str] = str) -> None:
        self.guilds = guilds
        self.clock = clock
        self.links = LinkRepository(guilds.db)
        self.mirrors = MirrorRepository(guilds.db)
        self.namer = namer  # a server's name, for the refusal on a joined server

    async def governed(self, guild_id: int) -> None:
        """A joined server's phase is its home's: refused with the home server's name."""
        home = await self.links.home_of(guild_id)
        if home is not None:
            raise UserError("mirrors.phase_from_home", home=self.namer(home))

    async def settings(self, guild_id: int) -> GuildSettings:
        settings = await self.guilds.get(guild_id)
        if settings is None:
            raise UserError("errors.not_set_up")
        return settings

    async def change(self, guild_id: int, phase: str, *, published: bool = False) -> PhaseChange:
        """Switch now; any scheduled close is dropped (a moderator decided).

        ``draft`` means only the working group sees the drafts, so it is refused once posts are public.
        """
        if phase not in PHASES:
            raise UserError("moderation.phase.unknown", phase=phase)
        await self.governed(guild_id)
        before = await self.settings(guild_id)
        if before.phase == phase:
            raise UserError(ALREADY[phase])
        if phase == "draft" and published:
            raise UserError("moderation.phase.draft_after_publish")
        now = self.clock.now()
        after = await self.guilds.update(guild_id, now, phase=phase, phase_changed_at=now, closes_at=None)
        return PhaseChange(before, after)

    async def schedule_close(self, guild_id: int, at: datetime) -> GuildSettings:
        await self.governed(guild_id)
        settings = await self.settings(guild_id)
        if settings.phase == "closed":
            raise UserError("moderation.phase.already_closed")
        if at <= self.clock.now():
            raise UserError("moderation.phase.close_in_past")
        return await self.guilds.update(guild_id, self.clock.now(), closes_at=at)

    async def cancel_scheduled_close(self, guild_id: int) -> GuildSettings:
        await self.governed(guild_id)
        settings = await self.settings(guild_id)
        if settings.closes_at is None:
            raise UserError("moderation.phase.nothing_scheduled")
        return await self.guilds.update(guild_id, self.clock.now(), closes_at=None)

    async def due_closes(self, scope: ShardScope = ALL_SHARDS) -> list[int]:
        """Guilds of ``scope`` whose scheduled close has come and that are not closed yet (a joined
        server's close is its home's: it follows, see ``follow``)."""
        now = self.clock.now()
        due = []
        joined = set(await self.mirrors.joined())
        for guild_id in filter(scope.owns, await self.guilds.guild_ids()):
            if guild_id in joined:
                continue
            settings = await self.guilds.get(guild_id)
            if settings and settings.closes_at and settings.closes_at <= now and settings.phase != "closed":
                due.append(guild_id)
        return due

    # -- one consultation across servers --------------------------------------------------------

    async def linked(self, home_guild_id: int) -> list[int]:
        """The active linked servers that follow this home's phase."""
        return (await self.links.consultation_guilds(home_guild_id))[1:]

    async def follow(self, guild_id: int) -> PhaseChange | None:
        """A joined server takes its home's phase and scheduled close; the change when its phase moved
        (``None``: nothing to do, or another follower got there first)."""
        home_id = await self.links.home_of(guild_id)
        home = await self.guilds.get(home_id) if home_id is not None else None
        before = await self.guilds.get(guild_id)
        if home is None or before is None:
            return None
        if (before.phase, before.closes_at) == (home.phase, home.closes_at):
            return None
        expected, target = (before.phase, before.closes_at), (home.phase, home.closes_at)
        if not await self.mirrors.follow_phase(guild_id, expected, target, self.clock.now()):
            return None
        after = await self.settings(guild_id)
        return PhaseChange(before, after) if after.phase != before.phase else None

    async def due_follows(self, scope: ShardScope = ALL_SHARDS) -> list[int]:
        """Joined servers of ``scope`` whose phase or close lags their home's (a missed propagation:
        a restart, or the home on another process's shards)."""
        return [guild_id for guild_id in await self.mirrors.lagging() if scope.owns(guild_id)]
