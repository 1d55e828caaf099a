"""Publishing drafts as posts (forum posts, or messages with threads), their tags and their revisions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from bot.data.guilds import GuildSettings, ScopingArea, Stance
from bot.data.languages import LanguageRepository
from bot.data.mirrors import MirrorRepository
from bot.data.recommendations import Post, Recommendation, RecommendationRepository
from bot.errors import UserError
from bot.feedback.buttons import GiveButton
from bot.i18n import t
from bot.recommendations.render import post_embed, shorten, thread_name
from bot.recommendations.titles import ThreadTitles
from bot.recommendations.translations import ReadButton, in_server_language
from bot.selfcheck import consultation_gaps
from bot.selfcheck.render import publish_refusal

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

MAX_FORUM_TAGS = 20  # Discord: per forum channel
MAX_TAG_NAME = 20
MAX_TAGS_PER_POST = 5
AUTO_ARCHIVE_MINUTES = 10080  # a week, the longest Discord allows


REACTION_STREAMS = 8  # posts getting their reactions at once: 8 x 4/s stays under the global 50/s

Progress = Callable[[int, int], None]  # (drafts done, drafts in all)


@dataclass(frozen=True)
class PublishPlan:
    """What one publish works on, checked and locked by ``Publisher.publishing``."""

    settings: GuildSettings
    channel: discord.ForumChannel | discord.TextChannel
    drafts: list[Recommendation]


@dataclass
class PublishReport:
    published: list[int] = field(default_factory=list)  # recommendation numbers
    existing: int = 0
    republished: int = 0
    notes: list[str] = field(default_factory=list)


def feedback_view(recommendation_id: int, locale: object = None) -> discord.ui.View:
    """A post's components: "Give feedback" (``GiveButton``, answered by the feedback cog) and "Read in my
    language" (``ReadButton``, answered from the draft's translations)."""
    view = discord.ui.View(timeout=None)
    view.add_item(GiveButton(recommendation_id, locale))
    view.add_item(ReadButton(recommendation_id, locale))  # "Read in my language": translations
    view.stop()  # not kept in this process's view store: clicks are routed by custom_id
    return view


class Publisher:
    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        self.recommendations = RecommendationRepository(bot.db)
        self.mirrors = MirrorRepository(bot.db)
        self.languages = LanguageRepository(bot.db)
        self._locks: dict[int, asyncio.Lock] = {}
        self.titles = ThreadTitles()

    def server_locale(self, guild_id: int) -> object:
        """The server's language (Server Settings > Community), for what everyone reads."""
        guild = self.bot.get_guild(guild_id)
        return guild.preferred_locale if guild is not None else None

    async def as_shown(self, recommendation: Recommendation, locale: object) -> Recommendation:
        """What a post shows: a linked server's copy in the server's language where its current version
        has a translation (else as written); the home's own drafts as written."""
        if not await self.mirrors.is_copy(recommendation.id):
            return recommendation
        return await in_server_language(self.languages, recommendation, locale)

    def lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def consultation_channel(
        self, settings: GuildSettings
    ) -> discord.ForumChannel | discord.TextChannel:
        if settings.channel_id is None:
            raise UserError("publish.no_channel")
        channel = self.bot.get_channel(settings.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(settings.channel_id)
            except discord.HTTPException as error:
                raise UserError("publish.channel_gone") from error
        if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
            raise UserError("publish.channel_gone")
        return channel

    async def live_message(self, post: Post) -> discord.Message | None:
        """Discord's copy of a post, or None (and the post marked deleted) when it was deleted by hand."""
        try:
            return await self.bot.get_partial_messageable(post.message_channel_id).fetch_message(
                post.message_id
            )
        except discord.NotFound:
            await self.mark_deleted(post.message_id)
            return None

    async def mark_deleted(self, message_id: int) -> bool:
        changed = await self.recommendations.mark_post_deleted(message_id, self.bot.clock.now())
        if changed:
            log.info("Post %s was deleted in Discord; its draft can be published again", message_id)
            self.bot.dispatch("consultation_post_deleted", message_id)
        return changed

    @contextlib.asynccontextmanager
    async def publishing(self, guild_id: int, locale: object) -> AsyncIterator[PublishPlan]:
        """Check that publishing can start (a ``UserError`` says why not) and hold the guild's publish
        lock while the caller answers the member and then ``run``s the plan."""
        settings = await self.bot.guild_repository.get(guild_id)
        if settings is None:
            raise UserError("errors.not_set_up")
        if settings.phase == "draft":
            raise UserError("publish.draft_phase")
        channel = await self.consultation_channel(settings)
        # Refused up front, by name, rather than stopped half way by Discord's first 403.
        blockers = [gap for gap in consultation_gaps(channel) if gap.need.blocks_publish]
        if blockers:
            raise UserError("selfcheck.publish_refused", missing=publish_refusal(blockers, locale))
        if self.lock(guild_id).locked():
            raise UserError("publish.in_progress")
        async with self.lock(guild_id):
            drafts = await self.recommendations.all(guild_id)
            yield PublishPlan(settings, channel, drafts)

    async def run(self, plan: PublishPlan, locale: object, progress: Progress | None = None) -> PublishReport:
        """Post every draft not posted yet, in order, and give each post the bot's reactions.

        At Discord's pace a channel takes one reaction per 0.25 s, so a post's twelve take 3 s. Each post
        gets its first reaction before the next draft is posted (a refusal shows there, and publishing
        stops before posting more), and the rest while the next drafts are posted: a forum post is a
        channel of its own, so its reactions do not wait for the others'. ``progress(done, total)``
        is called as each post is complete."""
        settings, channel = plan.settings, plan.channel
        report = PublishReport()
        repo = self.bot.guild_repository
        areas = await repo.scoping_areas(settings.guild_id)
        stances = await repo.stances(settings.guild_id)
        if isinstance(channel, discord.ForumChannel):
            areas = await self.ensure_forum_tags(channel, areas, report, locale)
        options = [area.emoji for area in areas] + [stance.emoji for stance in stances]
        failures: list[discord.HTTPException] = []
        completed: list[int] = []
        streams = asyncio.Semaphore(REACTION_STREAMS)

        async def finish(message: discord.Message, emojis: list[str], number: int | None) -> None:
            try:
                async with streams:
                    for emoji in emojis:
                        await message.add_reaction(emoji)
            except discord.HTTPException as error:
                failures.append(error)
                return
            if number is not None:
                report.published.append(number)
            completed.append(message.id)
            if progress is not None:
                progress(len(completed), len(plan.drafts))

        reacting: list[asyncio.Task[None]] = []
        try:
            for recommendation in plan.drafts:
                if failures:
                    break
                number: int | None = recommendation.number
                try:
                    existing = await self.recommendations.live_post_for(recommendation.id)
                    message = await self.live_message(existing) if existing is not None else None
                    if message is not None:
                        report.existing += 1
                        number = None  # a post whose reactions were cut short by an error is completed
                    else:
                        report.republished += existing is not None
                        post, message = await self._create_post(
                            channel, recommendation, areas, stances, settings
                        )
                        # Tracked before its reactions are added: members may react as soon as it shows.
                        self.bot.dispatch("consultation_post_created", post)
                    mine = {str(reaction.emoji) for reaction in message.reactions if reaction.me}
                    missing = [emoji for emoji in options if emoji not in mine]
                    if missing:
                        await message.add_reaction(missing[0])
                except discord.HTTPException as error:
                    failures.append(error)
                    break
                reacting.append(asyncio.create_task(finish(message, missing[1:], number)))
            await asyncio.gather(*reacting)
        finally:
            for task in reacting:
                task.cancel()
        report.published.sort()
        if failures:
            error = failures[0]
            log.warning("Publishing stopped: %s", error)
            stopped = error.text or error.status
            report.notes.append(t("publish.partial", locale, published=len(report.published), error=stopped))
        if report.republished:
            report.notes.append(t("publish.republished", locale, count=report.republished))
        return report

    async def _create_post(
        self,
        channel: discord.ForumChannel | discord.TextChannel,
        recommendation: Recommendation,
        areas: list[ScopingArea],
        stances: list[Stance],
        settings: GuildSettings,
    ) -> tuple[Post, discord.Message]:
        locale = self.server_locale(settings.guild_id)  # a public post speaks the server's language
        recommendation = await self.as_shown(recommendation, locale)
        embed = post_embed(recommendation, areas, stances, closed=settings.phase == "closed", locale=locale)
        view = feedback_view(recommendation.id, locale)
        name = thread_name(recommendation)
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(
                name=name, embed=embed, view=view, auto_archive_duration=AUTO_ARCHIVE_MINUTES
            )
            message, thread_id, kind = created.message, created.thread.id, "forum"
        else:
            message = await channel.send(embed=embed, view=view)
            thread = await message.create_thread(name=name, auto_archive_duration=AUTO_ARCHIVE_MINUTES)
            thread_id, kind = thread.id, "text"
        # Recorded before the reactions are added, so a failure then never leaves an untracked post.
        post = await self.recommendations.add_post(
            guild_id=settings.guild_id,
            recommendation_id=recommendation.id,
            message_id=message.id,
            channel_id=channel.id,
            thread_id=thread_id,
            kind=kind,
            now=self.bot.clock.now(),
        )
        return post, message

    async def ensure_forum_tags(
        self, forum: discord.ForumChannel, areas: list[ScopingArea], report: PublishReport, locale: object
    ) -> list[ScopingArea]:
        """One tag per scoping area, within Discord's limits; say clearly when that is not possible."""
        by_name = {tag.name: tag for tag in forum.available_tags}
        missing = [area for area in areas if shorten(area.short_name, MAX_TAG_NAME) not in by_name]
        if missing:
            room = MAX_FORUM_TAGS - len(forum.available_tags)
            creatable = missing[: max(room, 0)]
            if len(creatable) < len(missing):
                report.notes.append(
                    t(
                        "publish.tags_no_room",
                        locale,
                        existing=len(forum.available_tags),
                        missing=len(missing) - len(creatable),
                    )
                )
            if creatable:
                tags = list(forum.available_tags) + [
                    discord.ForumTag(name=shorten(area.short_name, MAX_TAG_NAME)) for area in creatable
                ]
                try:
                    forum = await forum.edit(available_tags=tags)
                    report.notes.append(t("publish.tags_created", locale, count=len(creatable)))
                except discord.Forbidden:
                    report.notes.append(t("publish.tags_not_allowed", locale))
                by_name = {tag.name: tag for tag in forum.available_tags}
        tag_ids = {
            area.id: by_name[shorten(area.short_name, MAX_TAG_NAME)].id
            for area in areas
            if shorten(area.short_name, MAX_TAG_NAME) in by_name
        }
        await self.bot.guild_repository.set_forum_tags(forum.guild.id, tag_ids)
        return await self.bot.guild_repository.scoping_areas(forum.guild.id)

    async def refresh_post(
        self, post: Post, recommendation: Recommendation, *, announce: bool
    ) -> float | None:
        """Show the current version on the post (and its thread name); optionally say so in the thread.
        Returns the seconds until the thread's new name shows, when Discord's limit on renames delays it."""
        settings = await self.bot.guild_repository.get(post.guild_id)
        areas = await self.bot.guild_repository.scoping_areas(post.guild_id)
        stances = await self.bot.guild_repository.stances(post.guild_id)
        closed = settings is not None and settings.phase == "closed"
        locale = self.server_locale(post.guild_id)
        recommendation = await self.as_shown(recommendation, locale)
        embed = post_embed(recommendation, areas, stances, closed=closed, locale=locale)
        channel_id = post.message_channel_id
        await (
            self.bot.get_partial_messageable(channel_id)
            .get_partial_message(post.message_id)
            .edit(embed=embed)
        )
        renamed_in = None
        if post.thread_id is not None:
            thread = self.bot.get_channel(post.thread_id) or await self.bot.fetch_channel(post.thread_id)
            wanted = thread_name(recommendation)
            if (
                isinstance(thread, discord.Thread)
                and (self.titles.pending(thread.id) or thread.name) != wanted
            ):
                renamed_in = await self.titles.follow(thread, wanted)
            if announce and isinstance(thread, discord.Thread):
                await thread.send(t("recommendations.new_version", locale, version=recommendation.version))
        return renamed_in

    async def apply_tags(self, post: Post, tag_ids: tuple[int, ...]) -> None:
        thread = self.bot.get_channel(post.thread_id or 0)
        if not isinstance(thread, discord.Thread):
            return
        forum = thread.parent
        if not isinstance(forum, discord.ForumChannel):
            return
        tags = [tag for tag_id in tag_ids if (tag := forum.get_tag(tag_id)) is not None]
        await thread.edit(applied_tags=tags[:MAX_TAGS_PER_POST])
        await self.recommendations.set_applied_tags(post.message_id, tag_ids)
