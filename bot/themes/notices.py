"""Telling the authors that a version addressed their themes: in the thread, by DM, or at the next command.

Named authors are told in the draft's thread, pinging only them, grouped by the language they wrote in;
authors with an anonymous item there by DM, or, when their DMs are closed, at their next command (the
themes cog calls ``pending_lines``). Each notice is claimed in the database before it is counted as
delivered, so nobody is told twice; a forgotten member's notice is dropped, never sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

import discord

from bot.data.recommendations import Recommendation
from bot.data.themes import Notice, ThemesRepository
from bot.i18n import t
from bot.moderation.privacy import ForgottenRegistry
from bot.themes.service import AddressReport

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class ThemeNotifier:
    def __init__(self, bot: ConsultationBot, forgotten: ForgottenRegistry) -> None:
        self.bot = bot
        self.forgotten = forgotten
        self.repo = ThemesRepository(bot.db)

    async def version_addresses(
        self,
        guild_id: int,
        actor_id: int,
        recommendation: Recommendation,
        theme_ids: tuple[int, ...],
        note: str,
    ) -> AddressReport:
        """After /consultation edit saved a version: record what it addresses, announce it, tell authors."""
        service = self.bot.services.themes
        report = await service.address(
            guild_id, actor_id, recommendation.id, recommendation.version, theme_ids, note or "—"
        )
        post = await service.recommendations.live_post_for(recommendation.id)
        await self.announce(
            guild_id, recommendation.number, recommendation.version, post.thread_id if post else None, report
        )
        return report

    async def names(self, guild_id: int, theme_ids: tuple[int, ...]) -> str:
        names = []
        for theme_id in theme_ids:
            theme = await self.repo.get(guild_id, theme_id)
            if theme is not None and theme.name:
                names.append(theme.name)
        return ", ".join(names)

    async def announce(
        self, guild_id: int, number: int, version: int, thread_id: int | None, report: AddressReport
    ) -> None:
        """The thread hears which themes the version addresses and how; then the authors are told."""
        settings = await self.bot.guild_repository.get(guild_id)
        guild = self.bot.get_guild(guild_id)
        locale = guild.preferred_locale if guild is not None else None
        if thread_id is not None and settings is not None:
            names = ", ".join(f"**{theme.name}**" for theme in report.themes)
            text = t(
                "themes.notice.announcement",
                locale,
                number=number,
                version=version,
                themes=names,
                note=report.note,
            )
            try:
                await self.bot.get_partial_messageable(thread_id).send(text)
            except discord.HTTPException as error:
                log.warning("Could not announce the addressed themes in thread %s: %s", thread_id, error)
        await self.deliver(guild_id, report.notice_ids, thread_id)

    async def deliver(self, guild_id: int, notice_ids: list[int], thread_id: int | None) -> None:
        notices = await self.repo.notices(notice_ids) if notice_ids else []
        gone = [n.id for n in notices if self.forgotten.contains(guild_id, n.author_id)]
        if gone:
            await self.repo.drop_notices(gone)
        notices = [n for n in notices if n.id not in gone]
        public: dict[tuple[str | None, tuple[int, ...]], list[Notice]] = defaultdict(list)
        for notice in notices:
            if notice.private:
                await self.direct(notice)
            elif thread_id is not None:
                public[(notice.locale, notice.theme_ids)].append(notice)
        for (locale, theme_ids), group in public.items():
            await self.in_thread(guild_id, thread_id, locale, theme_ids, group)

    async def sentence(self, notice: Notice, locale: object) -> str:
        return t(
            "themes.notice.private",
            locale,
            number=notice.recommendation_number,
            version=notice.version,
            themes=await self.names(notice.guild_id, notice.theme_ids),
        )

    async def in_thread(
        self,
        guild_id: int,
        thread_id: int | None,
        locale: str | None,
        theme_ids: tuple[int, ...],
        group: list[Notice],
    ) -> None:
        if thread_id is None:
            return
        mentions = " ".join(f"<@{n.author_id}>" for n in group)
        text = t(
            "themes.notice.public",
            locale,
            authors=mentions,
            number=group[0].recommendation_number,
            version=group[0].version,
            themes=await self.names(guild_id, theme_ids),
        )
        try:
            await self.bot.get_partial_messageable(thread_id).send(
                text,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False,
                    roles=False,
                    replied_user=False,
                    users=[discord.Object(n.author_id) for n in group],
                ),
            )
        except discord.HTTPException as error:
            log.warning("Could not tell %d authors in thread %s: %s", len(group), thread_id, error)
            return
        await self.repo.delivered([n.id for n in group], "thread", self.bot.clock.now())

    async def direct(self, notice: Notice) -> bool:
        """By DM; when the member's DMs are closed the notice waits for their next command."""
        try:
            user = self.bot.get_user(notice.author_id) or await self.bot.fetch_user(notice.author_id)
            await user.send(await self.sentence(notice, notice.locale))
        except discord.HTTPException as error:
            log.info("Theme notice %s waits for the member's next command: %s", notice.id, error)
            return False
        return bool(await self.repo.delivered([notice.id], "dm", self.bot.clock.now()))

    async def pending_lines(self, guild_id: int, user_id: int, locale: object) -> list[str]:
        """Notices still owed to the member (their DMs were closed), claimed as delivered now."""
        if self.forgotten.contains(guild_id, user_id):
            return []
        notices = await self.repo.pending_for(guild_id, user_id)
        if not notices:
            return []
        lines = [await self.sentence(n, n.locale or locale) for n in notices]
        claimed = await self.repo.delivered([n.id for n in notices], "command", self.bot.clock.now())
        return lines if claimed else []
