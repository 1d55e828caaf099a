"""/digest for the working group, and the weekly digest in the digest channel."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.access import VISIBILITY, Access, require
from bot.audit import record_action
from bot.digest.builder import Digest
from bot.digest.heatmap import HeatmapPainter
from bot.digest.service import DigestService
from bot.errors import UserError
from bot.i18n import t
from bot.recommendations.choices import recommendation_choices
from bot.replies import respond

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]

MAX_FIELDS = 24  # an embed holds 25 fields; one is kept for "and N more"
FIELD_VALUE = 1024
EMBED_TOTAL = 6000  # characters in all of an embed's texts together
MAX_FILES_PER_MESSAGE = 10
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def digest_embed(digest: Digest, locale: object, *, weekly: bool = False) -> discord.Embed:
    """The summary: per recommendation its stances, feedback of the period and what changed."""
    key = "digest.weekly_title" if weekly else "digest.embed_title"
    previous = (
        digest.previous.created_at.strftime("%Y-%m-%d %H:%M UTC")
        if digest.previous
        else t("digest.none", locale)
    )
    embed = discord.Embed(
        title=shorten(t(key, locale, title=digest.title), 256),
        description=t(
            "digest.embed_totals",
            locale,
            feedback=digest.feedback_in_period,
            signups=digest.signups,
            previous=previous,
        ),
        colour=discord.Colour.blurple(),
        timestamp=digest.until,
    )
    embed.set_author(name=shorten(t("digest.md.period", locale, since=_when(digest.since, locale),
                                      until=_when(digest.until, locale)), 256))  # fmt: skip
    if digest.servers:  # a home digest over its linked servers: which ones, people counted once
        labels = ", ".join(f.server.label for f in digest.servers)
        across = t("digest.embed_servers", locale, count=len(digest.servers), servers=labels)
        embed.description = shorten(f"{embed.description}\n{across}", 4096)
    room = EMBED_TOTAL - len(embed.title or "") - len(embed.description or "") - 600  # author, footer
    shown = 0
    for summary in digest.summaries[:MAX_FIELDS]:
        value = t("digest.embed_rec_value", locale, **summary.counts())
        if summary.changes is not None:
            c = summary.changes
            value += "\n" + t("digest.embed_rec_changes", locale, **c.signed())
            if c.new_version is not None:
                value += t("digest.embed_rec_new_version", locale, version=c.new_version)
        name = shorten(t("digest.embed_rec_name", locale, number=summary.number, title=summary.title), 120)
        value = shorten(value, FIELD_VALUE)
        if len(name) + len(value) > room:
            break
        room -= len(name) + len(value)
        embed.add_field(name=name, value=value, inline=False)
        shown += 1
    if shown < len(digest.summaries):
        embed.add_field(
            name="\u200b", value=t("digest.embed_more", locale, count=len(digest.summaries) - shown)
        )
    files = t("digest.embed_footer_servers", locale) if digest.servers else t("digest.embed_footer", locale)
    embed.set_footer(text=files)
    return embed


def _when(moment: datetime | None, locale: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else t("digest.md.beginning", locale)


def attachments(digest: Digest, limit: int, locale: object) -> tuple[list[list[discord.File]], list[str]]:
    """The files in batches that fit one message each, and a note for any file too large for Discord."""
    batches: list[list[discord.File]] = []
    notes: list[str] = []
    current: list[discord.File] = []
    size = 0
    for name, data in digest.files.items():
        if len(data) > limit:
            notes.append(
                t(
                    "digest.too_large",
                    locale,
                    name=name,
                    size=f"{len(data) / 1_048_576:.1f}",
                    limit=f"{limit / 1_048_576:.0f}",
                )
            )
            continue
        if current and (size + len(data) > limit or len(current) == MAX_FILES_PER_MESSAGE):
            batches.append(current)
            current, size = [], 0
        current.append(discord.File(io.BytesIO(data), filename=name))
        size += len(data)
    if current:
        batches.append(current)
    return batches, notes


class DigestCog(commands.Cog):
    """Digests of what the community said: on demand for the working group, and weekly in their channel."""

    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        # A worker process draws the heatmap (started with the first digest, not with the bot).
        self.painter = HeatmapPainter()
        self.service = DigestService(bot.db, bot.clock, self.painter, guild_names=self.guild_name)

    def guild_name(self, guild_id: int) -> str | None:
        """A linked server's name in a home digest, from the bot's cache (None: the bot is not there)."""
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else None

    async def cog_load(self) -> None:
        self.weekly_loop.start()

    async def cog_unload(self) -> None:
        self.weekly_loop.cancel()
        self.painter.close()

    # -- /digest ----------------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="digest", description="What the community said: a summary and five files.")
    @app_commands.guild_only()
    @app_commands.default_permissions(VISIBILITY[Access.WORKING_GROUP])
    @app_commands.describe(
        since="A date (YYYY-MM-DD), “last” for since the last digest (the default), or “all”",
        recommendation="Only this recommendation (default: all of them)",
    )
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def digest_command(
        self,
        interaction: Interaction,
        since: app_commands.Range[str, 1, 40] | None = None,
        recommendation: app_commands.Range[int, 1, 999] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        await self.bot.services.tally.flush_before_reading()
        digest = await self.service.manual(
            interaction.guild_id,
            since=since,
            recommendation_number=recommendation,
            locale=interaction.locale,
            record=False,
        )
        target = f"R{recommendation}" if recommendation is not None else None
        await record_action(
            self.bot, interaction.guild_id, interaction.user.id, "digest", target, f"since {since or 'last'}"
        )
        limit = interaction.guild.filesize_limit if interaction.guild is not None else 10 * 1_048_576
        batches, notes = attachments(digest, limit, interaction.locale)
        embed = digest_embed(digest, interaction.locale)
        await interaction.followup.send(
            content="\n".join(notes) or None,
            embed=embed,
            files=batches[0] if batches else discord.utils.MISSING,
            ephemeral=True,
        )
        for batch in batches[1:]:
            await interaction.followup.send(files=batch, ephemeral=True)
        await self.service.record_manual(interaction.guild_id, digest, interaction.id)

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="digest-schedule", description="Choose the day and hour (UTC) of the weekly digest."
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(VISIBILITY[Access.WORKING_GROUP])
    @app_commands.describe(weekday="The day it is posted", hour="The hour it is posted, in UTC (0-23)")
    @app_commands.choices(
        weekday=[app_commands.Choice(name=name, value=i) for i, name in enumerate(WEEKDAYS)]
    )
    async def schedule_command(
        self, interaction: Interaction, weekday: int, hour: app_commands.Range[int, 0, 23]
    ) -> None:
        assert interaction.guild_id is not None
        now = self.bot.clock.now()
        settings = await self.bot.guild_repository.get(interaction.guild_id)
        if settings is None:
            raise UserError("errors.not_set_up")
        settings = await self.bot.guild_repository.update(
            interaction.guild_id, now, digest_weekday=weekday, digest_hour=hour
        )
        await record_action(
            self.bot,
            interaction.guild_id,
            interaction.user.id,
            "digest schedule",
            f"{WEEKDAYS[weekday]} {hour:02d}:00 UTC",
        )
        upcoming = await self.service.next_weekly(interaction.guild_id)
        if upcoming is None:
            text = t("digest.schedule_no_channel", interaction.locale)
        elif upcoming <= now:
            text = t("digest.schedule_soon", interaction.locale, channel=f"<#{settings.digest_channel_id}>")
        else:
            text = t(
                "digest.schedule_saved",
                interaction.locale,
                next=f"<t:{int(upcoming.timestamp())}:F>",
                channel=f"<#{settings.digest_channel_id}>",
            )
        await respond(interaction, text, ephemeral=True)

    # -- the weekly digest ------------------------------------------------------------------

    @tasks.loop(minutes=5)
    async def weekly_loop(self) -> None:
        try:
            await self.run_due_digests()
        except Exception:
            log.exception("Weekly digests failed; trying again at the next turn")

    @weekly_loop.before_loop
    async def before_weekly_loop(self) -> None:
        await self.bot.wait_until_ready()

    async def run_due_digests(self) -> int:
        """Post every weekly digest that is due; returns how many were posted."""
        posted = 0
        for due in await self.service.due_weekly(self.bot.scope):
            channel = self.bot.get_channel(due.target.digest_channel_id)
            guild = self.bot.get_guild(due.target.guild_id)
            if guild is None or not isinstance(channel, discord.abc.Messageable):
                log.warning(
                    "Weekly digest of guild %s: digest channel %s not found",
                    due.target.guild_id,
                    due.target.digest_channel_id,
                )
                continue
            locale = guild.preferred_locale
            await self.bot.services.tally.flush_before_reading()
            digest = await self.service.weekly(due, locale)
            if digest is None:
                continue
            batches, notes = attachments(digest, guild.filesize_limit, locale)
            try:
                await channel.send(
                    content="\n".join(notes) or None,
                    embed=digest_embed(digest, locale, weekly=True),
                    files=batches[0] if batches else discord.utils.MISSING,
                )
                for batch in batches[1:]:
                    await channel.send(files=batch)
            except asyncio.CancelledError:
                # Stopped mid-post (shutdown): the week is given back for the next start to post. (A
                # process killed outright leaves its lease, which runs out: bot.data.leases.)
                await asyncio.shield(self.service.release_weekly(due))
                raise
            except discord.HTTPException as error:
                log.warning(
                    "Weekly digest %s of guild %s could not be posted (tried again next turn): %s",
                    due.period_key,
                    due.target.guild_id,
                    error,
                )
                await self.service.release_weekly(due)
                continue
            if not await self.service.sent_weekly(due):
                log.warning(
                    "Weekly digest %s of guild %s: the lease ran out while posting",
                    due.period_key,
                    due.target.guild_id,
                )
            posted += 1
            log.info("Posted weekly digest %s of guild %s", due.period_key, due.target.guild_id)
        return posted


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(DigestCog(bot))
