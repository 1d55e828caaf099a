"""The rules of the consultation itself: set-up, the drafts, their revisions, publishing and the tally.

``cogs/recommendations/_commands.py`` turns slash commands into these calls and renders the results;
every refusal is a ``UserError`` with a catalogue key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.audit import record_action
from bot.content import MAX_BODY, MAX_TITLE
from bot.data.guilds import GuildSettings, ScopingArea, Stance
from bot.data.reactions import AreaTally, ReactionRepository, StanceTally
from bot.data.recommendations import Recommendation, RecommendationRepository
from bot.errors import UserError
from bot.recommendations.mirrors import MirrorService
from bot.recommendations.publisher import Progress, Publisher, PublishPlan, PublishReport
from bot.recommendations.tally import TallyService

if TYPE_CHECKING:
    from bot.client import ConsultationBot


@dataclass(frozen=True, slots=True)
class Setup:
    """What an administrator chose in /consultation setup."""

    channel_id: int
    channel_kind: str  # "forum" or "text"
    working_group_role_id: int
    moderator_role_id: int | None = None
    digest_channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class Overview:
    settings: GuildSettings
    posts: int
    drafts: int


@dataclass(frozen=True, slots=True)
class Revision:
    recommendation: Recommendation
    post_updated: bool
    servers_updated: int = 0  # linked servers' posts that show the new version too
    title_delayed: float | None = None  # seconds until the thread's new title shows (Discord's limit)


@dataclass(frozen=True, slots=True)
class DraftTally:
    recommendation: Recommendation
    stances: StanceTally
    areas: list[AreaTally]


class ConsultationService:
    def __init__(
        self, bot: ConsultationBot, publisher: Publisher, tally: TallyService, mirrors: MirrorService
    ) -> None:
        self.bot = bot
        self.publisher = publisher
        self.tally = tally
        self.mirrors = mirrors
        self.guilds = bot.guild_repository
        self.recommendations = RecommendationRepository(bot.db)
        self.reactions = ReactionRepository(bot.db)

    async def draft(self, guild_id: int, number: int) -> Recommendation:
        recommendation = await self.recommendations.by_number(guild_id, number)
        if recommendation is None:
            raise UserError("recommendations.unknown", number=number)
        return recommendation

    async def options(self, guild_id: int) -> tuple[list[ScopingArea], list[Stance]]:
        return await self.guilds.scoping_areas(guild_id), await self.guilds.stances(guild_id)

    # -- set-up -----------------------------------------------------------------------------

    async def configure(self, guild_id: int, actor_id: int, setup: Setup) -> GuildSettings:
        """Store the channel and roles (keeping those not given), audit it, tell the other capabilities."""
        now = self.bot.clock.now()
        await self.guilds.ensure(guild_id, self.bot.content, now)
        changes: dict[str, object] = {
            "channel_id": setup.channel_id,
            "channel_kind": setup.channel_kind,
            "working_group_role_id": setup.working_group_role_id,
        }
        if setup.moderator_role_id is not None:
            changes["moderator_role_id"] = setup.moderator_role_id
        if setup.digest_channel_id is not None:
            changes["digest_channel_id"] = setup.digest_channel_id
        settings = await self.guilds.update(guild_id, now, **changes)
        await record_action(self.bot, guild_id, actor_id, "setup", f"<#{setup.channel_id}>")
        self.bot.dispatch("consultation_settings_changed", guild_id)
        return settings

    async def overview(self, guild_id: int) -> Overview:
        settings = await self.guilds.ensure(guild_id, self.bot.content, self.bot.clock.now())
        posts = await self.recommendations.live_posts(guild_id)
        drafts = await self.recommendations.all(guild_id)
        return Overview(settings, len(posts), len(drafts))

    # -- publish and revise -----------------------------------------------------------------

    async def publish(
        self,
        guild_id: int,
        actor_id: int,
        locale: object,
        *,
        started: Callable[[PublishPlan], Awaitable[None]] | None = None,
        progress: Progress | None = None,
    ) -> PublishReport:
        """Publish the drafts; ``started(plan)`` runs once the checks passed (the member is answered
        there, before the posting), ``progress(done, total)`` as each post is complete. A home server
        then publishes on each of its linked servers (a line each in the notes)."""
        await self.mirrors.ensure_home(guild_id)
        async with self.publisher.publishing(guild_id, locale) as plan:
            if started is not None:
                await started(plan)
            report = await self.publisher.run(plan, locale, progress)
        if report.published:
            numbers = ", ".join(f"R{n}" for n in report.published)
            await record_action(self.bot, guild_id, actor_id, "publish", numbers)
        report.notes += await self.mirrors.publish_linked(guild_id, actor_id, locale)
        return report

    async def check_revision(self, guild_id: int, number: int, title: str, body: str) -> tuple[str, str]:
        """The cleaned title and text of a revision, or a ``UserError`` saying why it cannot be saved."""
        await self.mirrors.ensure_home(guild_id)
        title, body = title.strip(), body.strip()
        if not title:
            raise UserError("edit.empty_title")
        if len(title) > MAX_TITLE or len(body) > MAX_BODY:
            raise UserError("edit.too_long", title_limit=MAX_TITLE, text_limit=MAX_BODY)
        current = await self.draft(guild_id, number)
        if (title, body) == (current.title, current.body):
            raise UserError("edit.unchanged")
        return title, body

    async def revise(self, guild_id: int, number: int, actor_id: int, title: str, body: str) -> Revision:
        """A new version (the old ones kept); a published post shows it and announces it in its thread."""
        title, body = await self.check_revision(guild_id, number, title, body)
        current = await self.draft(guild_id, number)
        revised = await self.recommendations.revise(current.id, title, body, actor_id, self.bot.clock.now())
        await record_action(self.bot, guild_id, actor_id, "edit", f"R{revised.number} v{revised.version}")
        post = await self.recommendations.live_post_for(revised.id)
        delayed = (
            await self.publisher.refresh_post(post, revised, announce=True) if post is not None else None
        )
        servers = await self.mirrors.draft_changed(revised, announce=True)
        return Revision(
            revised, post_updated=post is not None, servers_updated=servers, title_delayed=delayed
        )

    # -- the tally --------------------------------------------------------------------------

    async def tally_overview(self, guild_id: int) -> tuple[str, list[StanceTally], dict[int, Recommendation]]:
        """(consultation title, stance rows per draft, drafts by id), everything acknowledged included."""
        await self.tally.flush_before_reading()
        settings = await self.guilds.get(guild_id)
        drafts = {rec.id: rec for rec in await self.recommendations.all(guild_id)}
        rows = await self.reactions.stance_tally(guild_id)
        return (settings.consultation_title if settings else ""), rows, drafts

    async def tally_of(self, guild_id: int, number: int) -> DraftTally:
        await self.tally.flush_before_reading()
        draft = await self.draft(guild_id, number)
        (stances,) = await self.reactions.stance_tally(guild_id, draft.id)
        return DraftTally(draft, stances, await self.reactions.area_tally(guild_id, draft.id))
