"""/themes (working group): suggested themes across languages, and curating them; embeddings in the
background; theme notices owed to members delivered at their next command."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.access import VISIBILITY, Access, require
from bot.i18n import t
from bot.recommendations.choices import recommendation_choices
from bot.replies import respond
from bot.themes.service import ThemesService
from bot.themes.summary import ThemeSummary

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]

EMBED_PERIOD_SECONDS = 20.0  # how often new and edited feedback is embedded
QUOTE_LIMIT = 180
SHOWN = 10  # themes per answer (an embed holds 25 fields)


def counts(counter: dict[str, int], empty: str) -> str:
    return (
        ", ".join(f"{key} {value}" for key, value in sorted(counter.items(), key=lambda kv: -kv[1])) or empty
    )


def theme_field(summary: ThemeSummary, locale: object) -> tuple[str, str]:
    none = t("themes.render.none", locale)
    if summary.name:
        title = t(
            "themes.render.theme_title", locale, id=summary.theme_id, name=summary.name, size=summary.size
        )
    else:
        title = t("themes.render.suggestion_title", locale, id=summary.theme_id, size=summary.size)
    lines = [
        t("themes.render.languages", locale, languages=counts(summary.languages, none)),
        t("themes.render.areas", locale, areas=counts(summary.areas, none)),
        t("themes.render.stances", locale, stances=counts(summary.stances, none)),
    ]
    if summary.pending:
        lines.append(t("themes.render.pending", locale, count=summary.pending))
    for quote in summary.quotes:
        body = " ".join(quote.body.split())
        body = body if len(body) <= QUOTE_LIMIT else body[: QUOTE_LIMIT - 1] + "…"
        lines.append(f"> #{quote.feedback_id} ({quote.language or '?'}) {body}")
    return title[:256], "\n".join(lines)[:1024]


def themes_embed(
    title: str, summaries: list[ThemeSummary], locale: object, footer: str | None
) -> discord.Embed:
    embed = discord.Embed(title=title[:256], colour=discord.Colour.blurple())
    for summary in summaries[:SHOWN]:
        name, value = theme_field(summary, locale)
        embed.add_field(name=name, value=value, inline=False)
    if footer:
        embed.set_footer(text=footer[:2048])
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(VISIBILITY[Access.WORKING_GROUP])
class ThemesCog(commands.GroupCog, group_name="themes"):
    """Themes across languages: suggested over the feedback, curated by the working group."""

    def __init__(self, bot: ConsultationBot, service: ThemesService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def cog_load(self) -> None:
        self.embed_loop.start()

    async def cog_unload(self) -> None:
        self.embed_loop.cancel()

    @tasks.loop(seconds=EMBED_PERIOD_SECONDS)
    async def embed_loop(self) -> None:
        try:
            await self.service.embed_pending(self.bot.scope)  # only guilds of this process's shards
        except Exception:  # the loop must survive one bad batch; the next pass retries
            log.exception("Embedding feedback failed")

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: Interaction, command: object) -> None:
        """A member whose DMs were closed hears about addressed themes after their next command."""
        if interaction.guild_id is None or not interaction.response.is_done():
            return
        lines = await self.bot.services.theme_notices.pending_lines(
            interaction.guild_id, interaction.user.id, interaction.locale
        )
        if lines:
            try:
                await interaction.followup.send("\n".join(lines), ephemeral=True)
            except discord.HTTPException as error:
                log.warning("Could not show theme notices after a command: %s", error)

    # -- suggestions ------------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="suggest", description="Suggest themes over the open feedback, across languages."
    )
    @app_commands.describe(recommendation="Only this draft's feedback (default: all drafts)")
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def suggest_command(self, interaction: Interaction, recommendation: int | None = None) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft_id = await self.service.draft_id(interaction.guild_id, recommendation)
        summaries, unthemed = await self.service.suggest(interaction.guild_id, interaction.user.id, draft_id)
        locale = interaction.locale
        title = t("themes.suggest.title", locale, count=len(summaries))
        footer = t("themes.suggest.footer", locale, unthemed=unthemed)
        await respond(interaction, embed=themes_embed(title, summaries, locale, footer))

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="list", description="The accepted themes, their sizes and quotes.")
    async def list_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        summaries = await self.service.accepted(interaction.guild_id)
        locale = interaction.locale
        if not summaries:
            await respond(interaction, t("themes.list.empty", locale))
            return
        await respond(
            interaction, embed=themes_embed(t("themes.list.title", locale), summaries, locale, None)
        )

    # -- curation ---------------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="accept", description="Accept a suggested theme and name it.")
    @app_commands.describe(suggestion="The suggestion's number", title="The theme's name")
    async def accept_command(
        self, interaction: Interaction, suggestion: int, title: app_commands.Range[str, 1, 80]
    ) -> None:
        assert interaction.guild_id is not None
        theme = await self.service.accept(interaction.guild_id, interaction.user.id, suggestion, title)
        await respond(
            interaction, t("themes.done.accepted", interaction.locale, id=theme.id, name=theme.name)
        )

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="rename", description="Rename a theme.")
    @app_commands.describe(theme="The theme's number", title="Its new name")
    async def rename_command(
        self, interaction: Interaction, theme: int, title: app_commands.Range[str, 1, 80]
    ) -> None:
        assert interaction.guild_id is not None
        renamed = await self.service.rename(interaction.guild_id, interaction.user.id, theme, title)
        await respond(
            interaction, t("themes.done.renamed", interaction.locale, id=renamed.id, name=renamed.name)
        )

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="merge", description="Fold one theme into another.")
    @app_commands.describe(theme="The theme that goes", into="The theme that keeps its items")
    async def merge_command(self, interaction: Interaction, theme: int, into: int) -> None:
        assert interaction.guild_id is not None
        target, moved = await self.service.merge(interaction.guild_id, interaction.user.id, theme, into)
        await respond(
            interaction,
            t(
                "themes.done.merged",
                interaction.locale,
                source=theme,
                id=target.id,
                name=target.name,
                count=moved,
            ),
        )

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="split", description="Move part of a theme into a new theme.")
    @app_commands.describe(
        theme="The theme to split",
        title="The new theme's name",
        items="Feedback numbers to move, e.g. 12, 15 (default: the theme's farther half)",
    )
    async def split_command(
        self,
        interaction: Interaction,
        theme: int,
        title: app_commands.Range[str, 1, 80],
        items: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        ids = [int(p) for p in (items or "").replace(",", " ").replace("#", " ").split() if p.isdigit()]
        new, moved = await self.service.split(
            interaction.guild_id, interaction.user.id, theme, title, ids or None
        )
        await respond(
            interaction, t("themes.done.split", interaction.locale, id=new.id, name=new.name, count=moved)
        )

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="move", description="Put a feedback item in a theme (confirms a suggestion).")
    @app_commands.describe(item="The feedback number", theme="The theme's number")
    async def move_command(self, interaction: Interaction, item: int, theme: int) -> None:
        assert interaction.guild_id is not None
        target = await self.service.move(interaction.guild_id, interaction.user.id, item, theme)
        await respond(
            interaction, t("themes.done.moved", interaction.locale, item=item, id=target.id, name=target.name)
        )

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="confirm", description="Confirm every item suggested for a theme.")
    @app_commands.describe(theme="The theme's number")
    async def confirm_command(self, interaction: Interaction, theme: int) -> None:
        assert interaction.guild_id is not None
        count = await self.service.confirm(interaction.guild_id, interaction.user.id, theme)
        await respond(interaction, t("themes.done.confirmed", interaction.locale, id=theme, count=count))

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="not-fitting", description="Mark a feedback item as fitting no theme.")
    @app_commands.describe(item="The feedback number")
    async def not_fitting_command(self, interaction: Interaction, item: int) -> None:
        assert interaction.guild_id is not None
        await self.service.not_fitting(interaction.guild_id, interaction.user.id, item)
        await respond(interaction, t("themes.done.not_fitting", interaction.locale, item=item))


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(ThemesCog(bot, bot.services.themes))
