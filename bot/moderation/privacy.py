"""Members' data requests: everything stored about a member (export) and erasure ("forget").

A forgotten member is remembered only as a salted hash of (guild, member), so the reaction tally can
refuse to count them again (live events and the catch-up after downtime) without keeping their id.
The salt is random, made once per database, and kept in ``bot_state``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.data.audit import AuditRepository
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.moderation import MemberReaction, ModerationRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.people import PeopleRepository
from bot.data.reactions import ReactionRepository
from bot.officehours.service import OfficeHoursService

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

SALT_KEY = "privacy.salt"
ACTIVE_SIGNUP = ("confirmed", "waitlisted")


def member_mac(salt: bytes, guild_id: int, user_id: int) -> bytes:
    return hmac.new(salt, f"{guild_id}:{user_id}".encode(), hashlib.sha256).digest()


def pseudonym(salt: bytes, guild_id: int, user_id: int) -> int:
    """A member's pseudonym: a negative 64-bit integer from the salted hash of (guild, member).

    It fits every column that holds a member id (SQLite INTEGER, PostgreSQL BIGINT) and can never be
    a real member: Discord's snowflakes are positive. The same member gets the same pseudonym in every
    table; two members colliding has odds of about n^2 / 2^64 (retention checks it anyway).
    """
    return -1 - (int.from_bytes(member_mac(salt, guild_id, user_id)[:8], "big") >> 1)


async def privacy_salt(guilds: GuildRepository) -> bytes:
    """The database's one random salt, made at its first use (a forget request or retention)."""
    salt = await guilds.get_state(SALT_KEY)
    if salt is None:
        salt = secrets.token_hex(32)
        await guilds.set_state(SALT_KEY, salt)
    return bytes.fromhex(salt)


class ForgottenRegistry:
    """The salted hashes of forgotten members, in memory for the reaction path and in the database."""

    def __init__(self, repo: ModerationRepository, guilds: GuildRepository) -> None:
        self.repo = repo
        self.guilds = guilds
        self._salt: bytes | None = None
        self._hashes: set[tuple[int, str]] = set()

    async def load(self) -> None:
        """Read only: the salt is made at the first request, so start-up never writes."""
        salt = await self.guilds.get_state(SALT_KEY)
        self._salt = bytes.fromhex(salt) if salt else None
        self._hashes = await self.repo.forgotten_hashes() if self._salt else set()

    def digest(self, guild_id: int, user_id: int) -> str:
        if self._salt is None:
            raise RuntimeError("no salt yet: nobody was forgotten")
        return member_mac(self._salt, guild_id, user_id).hex()

    def pseudonym(self, guild_id: int, user_id: int) -> int | None:
        """The member's pseudonym (what retention wrote instead of their id); None before any salt."""
        return None if self._salt is None else pseudonym(self._salt, guild_id, user_id)

    async def ensure_salt(self) -> bytes:
        if self._salt is None:
            self._salt = await privacy_salt(self.guilds)
        return self._salt

    def contains(self, guild_id: int, user_id: int) -> bool:
        """Cheap when nobody was forgotten: the reaction path asks this for every event."""
        return bool(self._hashes) and (guild_id, self.digest(guild_id, user_id)) in self._hashes

    async def register(self, guild_id: int, user_id: int, clock: Clock) -> None:
        await self.ensure_salt()
        member_hash = self.digest(guild_id, user_id)
        self._hashes.add((guild_id, member_hash))
        await self.repo.forget_hash(guild_id, member_hash, clock.now())


@dataclass
class ErasureReport:
    feedback: int = 0
    signups: int = 0
    reactions: list[MemberReaction] = field(default_factory=list)
    freed_sessions: list[int] = field(default_factory=list)  # sessions whose seat went to the waitlist
    promoted: int = 0
    pseudonymised_reactions: int = 0  # rows retention had already pseudonymised, erased too


class PrivacyService:
    def __init__(self, db: Database, guilds: GuildRepository, clock: Clock) -> None:
        self.clock = clock
        self.guilds = guilds
        self.moderation = ModerationRepository(db)
        self.feedback = FeedbackRepository(db)
        self.reactions = ReactionRepository(db)
        self.officehours = OfficeHoursService(OfficeHoursRepository(db), guilds, clock)
        self.audit = AuditRepository(db)
        self.people = PeopleRepository(db)

    async def export(self, guild_id: int, user_id: int, alias: int | None = None) -> dict[str, Any]:
        """Everything the bot stores about the member in this guild, as plain JSON-ready data
        (with ``alias``, the rows retention pseudonymised too: they are still the member's)."""
        ids = [user_id] if alias is None else [user_id, alias]
        signups = [s for member in ids for s in await self.moderation.signups_of(guild_id, member)]
        reactions = [r for member in ids for r in await self.moderation.reactions_of(guild_id, member)]
        feedback = [f for member in ids for f in await self.feedback.export_author(guild_id, member)]
        audit = await self.audit.latest(guild_id, limit=10_000, actor_id=user_id)
        return {
            "guild_id": str(guild_id),
            "member_id": str(user_id),
            "display_name": await self.people.name(guild_id, user_id),
            "generated_at": self.clock.now().isoformat(),
            "feedback": feedback,
            "office_hours_signups": [
                {
                    "session": s.session_id,
                    "title": s.session_title,
                    "starts_at": s.starts_at.isoformat(),
                    "status": s.status,
                    "question": s.question,
                    "reminder_dms": s.dm_reminders,
                    "locale": s.locale,
                    "display_name": s.display_name,
                    "signed_up_at": s.signed_up_at.isoformat(),
                }
                for s in signups
            ],
            "reactions": [
                {
                    "recommendation": r.recommendation_number,
                    "emoji": r.emoji,
                    "message_id": str(r.message_id),
                    "reacted_at": r.reacted_at.isoformat(),
                }
                for r in reactions
            ],
            "audit_log_as_actor": [
                {
                    "action": e.action,
                    "target": e.target,
                    "reason": e.reason,
                    "at": e.created_at.isoformat(),
                }
                for e in audit
            ],
        }

    async def erase(self, guild_id: int, user_id: int, alias: int | None = None) -> ErasureReport:
        """Erase the member's rows (and, with ``alias``, those retention pseudonymised) and their name.

        Register them as forgotten (and flush the tally) before calling.

        A confirmed seat they held in an upcoming session goes to the first on its waitlist, exactly
        as if they had cancelled (the promoted member is told by the office-hours outbox).
        """
        report = ErasureReport()
        now = self.clock.now()
        for signup in await self.moderation.signups_of(guild_id, user_id):
            if signup.status not in ACTIVE_SIGNUP or signup.starts_at <= now:
                continue
            outcome = await self.officehours.release(guild_id, signup.session_id, user_id)
            if outcome.refused is None:
                report.freed_sessions.append(signup.session_id)
                report.promoted += outcome.promoted_user_id is not None
        report.reactions = await self.moderation.reactions_of(guild_id, user_id)
        report.feedback = await self.feedback.delete_author(guild_id, user_id)
        await self.reactions.delete_member(guild_id, user_id)
        erased = await self.moderation.erase_member(guild_id, user_id)
        report.signups = erased.signups
        await self.people.forget(guild_id, user_id)
        if alias is not None:  # rows retention pseudonymised are still theirs: the same salt finds them
            report.feedback += await self.feedback.delete_author(guild_id, alias)
            report.pseudonymised_reactions = await self.reactions.delete_member(guild_id, alias)
            report.signups += (await self.moderation.erase_member(guild_id, alias)).signups
        log.info(
            "Erased a member's data in guild %s: %d feedback, %d sign-ups, %d reactions",
            guild_id,
            report.feedback,
            report.signups,
            len(report.reactions),
        )
        return report
