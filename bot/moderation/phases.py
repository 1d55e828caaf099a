"""Consultation phases per guild: ``draft`` -> ``open`` -> ``closed`` (and back, by a moderator).

Changing the phase is a settings change: callers dispatch ``consultation_settings_changed`` so the
tally stops (or resumes) counting at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.data.guilds import PHASES, GuildRepository, GuildSettings
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
    def __init__(self, guilds: GuildRepository, clock: Clock) -> None:
        self.guilds = guilds
        self.clock = clock

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
        before = await self.settings(guild_id)
        if before.phase == phase:
            raise UserError(ALREADY[phase])
        if phase == "draft" and published:
            raise UserError("moderation.phase.draft_after_publish")
        now = self.clock.now()
        after = await self.guilds.update(guild_id, now, phase=phase, phase_changed_at=now, closes_at=None)
        return PhaseChange(before, after)

    async def schedule_close(self, guild_id: int, at: datetime) -> GuildSettings:
        settings = await self.settings(guild_id)
        if settings.phase == "closed":
            raise UserError("moderation.phase.already_closed")
        if at <= self.clock.now():
            raise UserError("moderation.phase.close_in_past")
        return await self.guilds.update(guild_id, self.clock.now(), closes_at=at)

    async def cancel_scheduled_close(self, guild_id: int) -> GuildSettings:
        settings = await self.settings(guild_id)
        if settings.closes_at is None:
            raise UserError("moderation.phase.nothing_scheduled")
        return await self.guilds.update(guild_id, self.clock.now(), closes_at=None)

    async def due_closes(self, scope: ShardScope = ALL_SHARDS) -> list[int]:
        """Guilds of ``scope`` whose scheduled close has come and that are not closed yet."""
        now = self.clock.now()
        due = []
        for guild_id in filter(scope.owns, await self.guilds.guild_ids()):
            settings = await self.guilds.get(guild_id)
            if settings and settings.closes_at and settings.closes_at <= now and settings.phase != "closed":
                due.append(guild_id)
        return due
