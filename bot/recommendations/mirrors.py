"""Drafts everywhere (issue 16): the home consultation copied into each linked server and kept in step.

A linked server gets the home title, scoping areas, stances, drafts (every version and translation) and
phase as its own rows (``bot/data/mirrors.py``), published in its own channel in its own language where
a translation exists. The home working group publishes, edits and translates; a joined server is refused
those with a sentence naming its home. The home tally counts people across servers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.audit import record_action
from bot.data.languages import Translation
from bot.data.links import LinkRepository
from bot.data.mirrors import MirrorRepository, ServerShare
from bot.data.reactions import AreaTally, StanceTally
from bot.data.recommendations import Recommendation, RecommendationRepository
from bot.errors import UserError
from bot.i18n import t
from bot.recommendations.publisher import Publisher, PublishReport
from bot.recommendations.translations import best_match

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

TOP_AREAS = 3  # scoping areas named per server in the tally's breakdown


@dataclass(frozen=True, slots=True)
class ServerTally:
    guild_id: int
    name: str
    share: ServerShare
    top_areas: list[int]  # area numbers, most people first


@dataclass(frozen=True, slots=True)
class LinkedTally:
    """The home tally over every server: totals counted distinct across servers, and each server's share."""

    title: str
    areas: list[AreaTally]
    stances: list[StanceTally]
    drafts: dict[int, Recommendation]
    servers: list[ServerTally]


class MirrorService:
    def __init__(self, bot: ConsultationBot, publisher: Publisher) -> None:
        self.bot = bot
        self.publisher = publisher
        self.links = LinkRepository(bot.db)
        self.repo = MirrorRepository(bot.db)
        self.recommendations = RecommendationRepository(bot.db)

    def server_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return f"{guild.name} ({guild_id})" if guild is not None else str(guild_id)

    async def ensure_home(self, guild_id: int) -> None:
        """Publishing, editing and translating are the home working group's: refused on a joined server."""
        home = await self.links.home_of(guild_id)
        if home is not None:
            raise UserError("mirrors.home_only", home=self.server_name(home))

    async def linked(self, home_guild_id: int) -> list[int]:
        """The home's active linked servers (none: a server on its own, or a joined one)."""
        return (await self.links.consultation_guilds(home_guild_id))[1:]

    # -- linking --------------------------------------------------------------------------------

    async def server_linked(self, home_guild_id: int, guild_id: int) -> PublishReport | None:
        """``consultation_server_linked``: copy the home consultation into the server (a re-link updates
        the copies), show new versions on its posts, and publish there at once if home has published."""
        before = await self.bot.guild_repository.get(guild_id)
        if before is None:
            before = await self.bot.guild_repository.ensure(guild_id, self.bot.content, self.bot.clock.now())
        result = await self.repo.copy_consultation(home_guild_id, guild_id, self.bot.clock.now())
        log.info(
            "Copied the consultation of %s into %s: %d drafts (%d new, %d revised)",
            home_guild_id, guild_id, len(result.copies), result.created, len(result.revised),
        )  # fmt: skip
        await self.bot.services.tally.freeze_or_resume(guild_id)  # its options and phase are the home's
        self.bot.dispatch("consultation_settings_changed", guild_id)
        for copy_id in result.revised:
            await self._show(copy_id, announce=True)
        report = None
        if await self.recommendations.live_posts(home_guild_id):
            report = await self.publish_on(guild_id, None, self.publisher.server_locale(guild_id))
        after = await self.bot.guild_repository.get(guild_id)
        if after is not None and after.phase != before.phase:
            # The phase's effects in Discord (posts re-rendered, threads locked) belong to moderation.
            self.bot.dispatch("consultation_phase_followed", guild_id, before)
        return report

    # -- publishing -----------------------------------------------------------------------------

    async def publish_on(self, guild_id: int, actor_id: int | None, locale: object) -> PublishReport:
        """Publish the copies on one linked server; a refusal (its channel missing, a permission denied)
        is reported in the notes, never raised."""
        home = await self.links.home_of(guild_id)
        if home is not None:  # new drafts at home since the link are copied first
            result = await self.repo.copy_consultation(home, guild_id, self.bot.clock.now())
            if result.created:
                await self.bot.services.tally.settings_changed(guild_id)
        name = self.server_name(guild_id)
        try:
            async with self.publisher.publishing(guild_id, locale) as plan:
                report = await self.publisher.run(plan, locale)
        except UserError as refusal:
            log.warning("Could not publish on linked server %s: %s", guild_id, refusal.key)
            reason = t(refusal.key, locale, **refusal.params)
            return PublishReport(notes=[t("mirrors.publish_refused", locale, server=name, reason=reason)])
        if report.published:
            numbers = ", ".join(f"R{n}" for n in report.published)
            await record_action(self.bot, guild_id, actor_id, "publish", numbers)
        line = t(
            "mirrors.published",
            locale,
            server=name,
            published=len(report.published),
            existing=report.existing,
        )
        report.notes = [line, *report.notes]
        return report

    async def publish_linked(self, home_guild_id: int, actor_id: int, locale: object) -> list[str]:
        """After the home published: publish on every active linked server; one line (or more) each."""
        lines: list[str] = []
        for guild_id in await self.linked(home_guild_id):
            lines += (await self.publish_on(guild_id, actor_id, locale)).notes
        return lines

    # -- edits and translations -----------------------------------------------------------------

    async def _show(self, copy_id: int, *, announce: bool) -> bool:
        """Show a copy's current version on its live post; whether there was one to update."""
        post = await self.recommendations.live_post_for(copy_id)
        copy = await self.recommendations.by_id(copy_id)
        if post is None or copy is None:
            return False
        try:
            await self.publisher.refresh_post(post, copy, announce=announce)
        except discord.HTTPException as error:
            log.warning(
                "Could not update the post %s of a copy on %s: %s", post.message_id, post.guild_id, error
            )
            return False
        return True

    async def draft_changed(self, home: Recommendation, *, announce: bool) -> int:
        """A new version (``announce``) or a new translation at home: copied to every active linked
        server, whose post shows it; the number of posts updated."""
        updated = 0
        for guild_id, copy_id in await self.repo.copies(home.id, await self.linked(home.guild_id)):
            changed = await self.repo.copy_draft(home.id, copy_id)
            if changed and await self._show(copy_id, announce=announce):
                updated += 1
                if announce:
                    await record_action(self.bot, guild_id, None, "edit", f"R{home.number} v{home.version}")
        return updated

    async def translation_added(self, guild_id: int, translation: Translation) -> int:
        """A translation saved at home: copied to every active linked server; a server whose language it
        is shows it on its post at once. The number of posts updated."""
        home = await self.recommendations.by_id(translation.recommendation_id)
        if home is None or home.guild_id != guild_id:
            return 0
        updated = 0
        for guild_id_, copy_id in await self.repo.copies(home.id, await self.linked(home.guild_id)):
            await self.repo.copy_draft(home.id, copy_id)
            if best_match(self.publisher.server_locale(guild_id_), {translation.language}) is None:
                continue
            updated += await self._show(copy_id, announce=False)
        return updated

    # -- the tally ------------------------------------------------------------------------------

    async def tally(self, home_guild_id: int, number: int | None = None) -> LinkedTally | None:
        """The tally over the home and its active linked servers; ``None`` when there are none (a
        server on its own, or a joined server: its own share is the ordinary tally)."""
        guilds = await self.links.consultation_guilds(home_guild_id)
        if len(guilds) == 1:
            return None
        await self.bot.services.tally.flush_before_reading()
        draft_id = None
        if number is not None:
            draft = await self.recommendations.by_number(home_guild_id, number)
            if draft is None:
                raise UserError("recommendations.unknown", number=number)
            draft_id = draft.id
        areas, stances = await self.repo.tallies(home_guild_id, guilds, draft_id)
        shares = await self.repo.shares(guilds, draft_id)
        emoji = {a.emoji: a.number for a in await self.bot.guild_repository.scoping_areas(home_guild_id)}
        servers = []
        for guild_id in guilds:
            share = shares[guild_id]
            tagged = sorted(
                ((count, emoji[e]) for e, count in share.by_emoji.items() if e in emoji and count),
                key=lambda pair: (-pair[0], pair[1]),
            )
            servers.append(
                ServerTally(guild_id, self.server_name(guild_id), share, [n for _, n in tagged[:TOP_AREAS]])
            )
        settings = await self.bot.guild_repository.get(home_guild_id)
        drafts = {rec.id: rec for rec in await self.recommendations.all(home_guild_id)}
        title = settings.consultation_title if settings else ""
        return LinkedTally(title, areas, stances, drafts, servers)
