"""Personal data on a schedule: ``days`` after a consultation closes, member ids become pseudonyms.

Pseudonyms come from the same salted hash as ``/privacy forget`` (``bot.moderation.privacy``): the
same member gets the same pseudonym in feedback, sign-ups and reactions, distinct members stay
distinct, so every tally and count is exactly what it was; texts are kept, names are erased. A member
who asks to be forgotten later is still found (their pseudonym is computed again from their id).

The job runs on the moderation keeper's minute loop with the bot's clock. It is done once per
closing: the transaction that writes the pseudonyms also records the closing it processed, so a
restart neither repeats nor skips it. Reopening and closing again makes a new closing (new data may
have come in); rows already pseudonymised are never touched twice (their ids are negative).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.data.audit import AuditEntry
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.retention import DueRetention, PseudonymisedCounts, RetentionRepository, RetentionSetting
from bot.errors import UserError
from bot.i18n import t
from bot.moderation.privacy import ForgottenRegistry
from bot.sharding import ALL_SHARDS, ShardScope

log = logging.getLogger(__name__)

MIN_DAYS = 1
MAX_DAYS = 3650  # ten years: past that, "retention" means keeping


@dataclass(frozen=True, slots=True)
class RetentionRun:
    guild_id: int
    counts: PseudonymisedCounts
    entry: AuditEntry


def parse_days(days: int) -> int | None:
    """The setting from what a moderator typed: 0 is off (None), else MIN_DAYS..MAX_DAYS."""
    if days == 0:
        return None
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise UserError("moderation.retention.out_of_range", days=days, low=MIN_DAYS, high=MAX_DAYS)
    return days


class RetentionService:
    def __init__(self, db: Database, guilds: GuildRepository, clock: Clock) -> None:
        self.repo = RetentionRepository(db)
        self.guilds = guilds
        self.clock = clock

    async def set_days(self, guild_id: int, days: int) -> int | None:
        if await self.guilds.get(guild_id) is None:
            raise UserError("errors.not_set_up")
        setting = parse_days(days)
        await self.repo.set_days(guild_id, setting)
        return setting

    async def setting(self, guild_id: int) -> RetentionSetting | None:
        return await self.repo.get(guild_id)

    async def due_at(self, guild_id: int) -> datetime | None:
        """When this guild's ids are replaced next; None when retention is off or the consultation is
        not closed (then it is ``days`` after the closing) or this closing was processed."""
        for candidate in await self.repo.candidates():
            if candidate.guild_id == guild_id:
                return candidate.closed_at + timedelta(days=candidate.days)
        return None

    async def due(self, scope: ShardScope = ALL_SHARDS) -> list[DueRetention]:
        """Closings of guilds of ``scope`` whose retention period has passed."""
        now = self.clock.now()
        return [
            c
            for c in await self.repo.candidates()
            if scope.owns(c.guild_id) and c.closed_at + timedelta(days=c.days) <= now
        ]

    async def run(self, due: DueRetention, registry: ForgottenRegistry) -> RetentionRun:
        """Replace the guild's member ids by pseudonyms (the salt is made if nobody made it yet)."""
        salt_ready = await registry.ensure_salt()
        assert salt_ready
        now = self.clock.now()
        real = await self.repo.member_ids(due.guild_id, now)
        aliases = {user_id: registry.pseudonym(due.guild_id, user_id) for user_id in real}
        if len(set(aliases.values())) != len(aliases):  # odds ~ n^2/2^64; never merge two people
            raise RuntimeError(
                f"two members of guild {due.guild_id} share a pseudonym; retention not applied"
            )
        counts, entry = await self.repo.pseudonymise(
            due.guild_id,
            {user: alias for user, alias in aliases.items() if alias is not None},
            due.closed_at,
            now,
            lambda c: t(
                "moderation.retention.audit_reason",
                days=due.days,
                members=c.members,
                feedback=c.feedback,
                signups=c.signups,
                reactions=c.reactions,
            ),
        )
        log.info(
            "Retention in guild %s: %d members pseudonymised (%d feedback, %d sign-ups, %d reactions)",
            due.guild_id,
            counts.members,
            counts.feedback,
            counts.signups,
            counts.reactions,
        )
        return RetentionRun(due.guild_id, counts, entry)
