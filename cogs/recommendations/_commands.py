"""/consultation: set-up, status, publish, edit and tally."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import VISIBILITY, Access, require
from bot.content import MAX_BODY, MAX_TITLE
from bot.data.guilds import GuildSettings
from bot.data.recommendations import Recommendation
from bot.forms import PersistentForm, nonce
from bot.i18n import t
from bot.recommendations.choices import recommendation_choices
from bot.recommendations.publisher import PublishPlan, feedback_view
from bot.recommendations.render import post_embed, shorten, tally_detail_embed, tally_overview_embed
from bot.recommendations.service import ConsultationService, Setup
from bot.recommendations.translations import ReadButton
from bot.replies import answer_in_time, respond
from bot.selfcheck import PermissionReport, RoleReach, check_permissions, check_reach
from bot.selfcheck.render import permission_lines, reach_lines
from cogs.recommendations._linked import linked_tally_embed
from cogs.recommendations._servers import ServersCommands
from cogs.recommendations._translate import TranslateModal, language_choices, open_translation_form

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]


FIELD_LIMIT = 1024  # characters in one embed field's value


def add_lines(embed: discord.Embed, name: str, lines: list[str]) -> None:
    """``lines`` under ``name``, in as many fields as Discord's field limit needs."""
    chunk = ""
    for line in lines:
        line = line[:FIELD_LIMIT]
        if chunk and len(chunk) + 1 + len(line) > FIELD_LIMIT:
            embed.add_field(name=name, value=chunk, inline=False)
            name, chunk = "\u200b", line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        embed.add_field(name=name, value=chunk, inline=False)


class ProgressEdits:
    """Shows the latest progress in the interaction's original response: one edit in flight at a time,
    later texts replacing earlier ones, so reporting never holds up the work nor queues edits."""

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction
        self.latest: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.edits = 0

    def show(self, text: str) -> None:
        self.latest = text
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._edit(), name="publish-progress")

    async def _edit(self) -> None:
        while self.latest is not None:
            text, self.latest = self.latest, None
            try:
                await self.interaction.edit_original_response(content=text)
            except discord.HTTPException as error:
                log.warning("Could not show publishing progress: %s", error)
                return
            self.edits += 1

    async def close(self) -> None:
        """Wait for the last edit, so the result that follows is the last thing the member sees."""
        if self.task is not None:
            await self.task


class EditModal(
    PersistentForm, template=r"consultation:edit:(?P<number>[0-9]+)(?::t(?P<themes>[0-9.]+))?:[0-9a-f]+"
):
    """Revise a draft's title and text; a new version is stored, the old ones are kept. With themes
    (``t3.5``: the accepted themes the version addresses) it also asks how, in one line."""

    access = Access.WORKING_GROUP

    def __init__(self, recommendation: Recommendation, locale: object, themes: tuple[int, ...] = ()) -> None:
        addressed = f":t{'.'.join(map(str, themes))}" if themes else ""
        super().__init__(
            title=shorten(t("edit.modal_title", locale, number=recommendation.number), 45),
            custom_id=f"consultation:edit:{recommendation.number}{addressed}:{nonce()}",
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("edit.field_title", locale),
                default=recommendation.title,
                max_length=MAX_TITLE,
                custom_id="title",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("edit.field_text", locale),
                style=discord.TextStyle.paragraph,
                default=recommendation.body or None,
                placeholder=t("edit.text_placeholder", locale),
                required=False,
                max_length=MAX_BODY,
                custom_id="text",
            )
        )
        if themes:
            self.add_item(
                discord.ui.TextInput(
                    label=t("themes.edit.how_label", locale), max_length=200, custom_id="how"
                )
            )

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        assert interaction.guild_id is not None
        service = interaction.client.services.consultation
        guild_id, number = interaction.guild_id, int(match["number"])
        title, body = await service.check_revision(
            guild_id, number, str(values.get("title") or ""), str(values.get("text") or "")
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        revision = await service.revise(guild_id, number, interaction.user.id, title, body)
        revised = revision.recommendation
        key = "edit.saved_post_updated" if revision.post_updated else "edit.saved_not_posted"
        text = t(key, interaction.locale, version=revised.version, number=revised.number)
        if revision.servers_updated:
            text += "\n" + t("mirrors.edit_propagated", interaction.locale, count=revision.servers_updated)
        if revision.title_delayed is not None:
            minutes = max(1, math.ceil(revision.title_delayed / 60))
            text += "\n" + t("edit.title_delayed", interaction.locale, minutes=minutes)
        await respond(interaction, text)
        if match["themes"]:  # "you said, we changed": bot/themes records it and tells the authors
            themes = tuple(int(part) for part in match["themes"].split("."))
            await interaction.client.services.theme_notices.version_addresses(
                guild_id, interaction.user.id, revised, themes, str(values.get("how") or "")
            )


@app_commands.guild_only()
@app_commands.default_permissions(VISIBILITY[Access.WORKING_GROUP])
class ConsultationCog(ServersCommands, commands.GroupCog, group_name="consultation"):
    """Set up the consultation, publish the drafts, revise them and read the tally."""

    def __init__(self, bot: ConsultationBot, service: ConsultationService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.forms.add(EditModal, TranslateModal)
        self.bot.add_dynamic_items(ReadButton)

    async def cog_unload(self) -> None:
        self.bot.forms.remove(EditModal, TranslateModal)
        self.bot.remove_dynamic_items(ReadButton)
        self.service.publisher.titles.stop()  # renames still waiting for Discord's limit

    # -- set-up -----------------------------------------------------------------------------

    @require(Access.ADMINISTRATOR)
    @app_commands.command(
        name="setup", description="Choose the consultation's channel, roles and digest channel."
    )
    @app_commands.describe(
        channel="Where drafts are posted: a forum channel, or a text channel (a message and a thread each)",
        working_group_role="Members with this role publish, edit and read digests",
        moderator_role="Members with this role moderate threads and feedback",
        digest_channel="Where the weekly digest is posted",
    )
    async def setup_command(
        self,
        interaction: Interaction,
        channel: discord.ForumChannel | discord.TextChannel,
        working_group_role: discord.Role,
        moderator_role: discord.Role | None = None,
        digest_channel: discord.TextChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        setup = Setup(
            channel_id=channel.id,
            channel_kind="forum" if isinstance(channel, discord.ForumChannel) else "text",
            working_group_role_id=working_group_role.id,
            moderator_role_id=moderator_role.id if moderator_role else None,
            digest_channel_id=digest_channel.id if digest_channel else None,
        )
        embed = await answer_in_time(interaction, self.configured_status(interaction, setup))
        await respond(interaction, t("setup.saved", interaction.locale), embed=embed)

    async def configured_status(self, interaction: Interaction, setup: Setup) -> discord.Embed:
        assert interaction.guild_id is not None
        await self.service.configure(interaction.guild_id, interaction.user.id, setup)
        return await self.status_embed(interaction)

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="status", description="Show how the consultation is set up and what is missing."
    )
    async def status_command(self, interaction: Interaction) -> None:
        await respond(interaction, embed=await answer_in_time(interaction, self.status_embed(interaction)))

    async def status_embed(self, interaction: Interaction) -> discord.Embed:
        assert interaction.guild_id is not None
        locale = interaction.locale
        overview = await self.service.overview(interaction.guild_id)
        settings = overview.settings
        not_set = t("setup.not_set", locale)
        embed = discord.Embed(title=t("setup.status_title", locale), colour=discord.Colour.blurple())
        embed.description = f"**{settings.consultation_title}**"
        for name, value in (
            ("setup.channel", f"<#{settings.channel_id}>" if settings.channel_id else not_set),
            (
                "setup.working_group_role",
                f"<@&{settings.working_group_role_id}>" if settings.working_group_role_id else not_set,
            ),
            (
                "setup.moderator_role",
                f"<@&{settings.moderator_role_id}>" if settings.moderator_role_id else not_set,
            ),
            (
                "setup.digest_channel",
                f"<#{settings.digest_channel_id}>" if settings.digest_channel_id else not_set,
            ),
            ("setup.phase", settings.phase),
            ("setup.posts", f"{overview.posts} / {overview.drafts}"),
        ):
            embed.add_field(name=t(name, locale), value=value)
        reach, permissions = await self.readiness(interaction, settings)
        missing = [
            t(key, locale)
            for key, absent in (
                ("setup.missing_channel", settings.channel_id is None),
                ("setup.missing_working_group", settings.working_group_role_id is None),
                ("setup.missing_moderator", settings.moderator_role_id is None),
                ("setup.missing_digest", settings.digest_channel_id is None),
                ("selfcheck.todo_reach", reach is not None and not all(r.ok for r in reach)),
                ("selfcheck.todo_permissions", permissions is not None and not permissions.ok),
            )
            if absent
        ]
        embed.add_field(
            name=t("setup.missing_header", locale),
            value="\n".join(f"• {line}" for line in missing) or t("setup.all_set", locale),
            inline=False,
        )
        if reach is None:
            add_lines(embed, t("selfcheck.reach_header", locale), [t("selfcheck.reach_unknown", locale)])
        elif reach:
            bot_name = self.bot.user.name if self.bot.user else "?"
            add_lines(embed, t("selfcheck.reach_header", locale), reach_lines(reach, bot_name, locale))
        if permissions is not None:
            add_lines(embed, t("selfcheck.permissions_header", locale), permission_lines(permissions, locale))
        return embed

    async def readiness(
        self, interaction: Interaction, settings: GuildSettings
    ) -> tuple[list[RoleReach] | None, PermissionReport | None]:
        """Whether the roles chosen here reach their commands (None: Discord could not be asked) and
        what the bot may not do in its channels, from Discord's state now."""
        guild = interaction.guild
        if guild is None:
            return [], None
        roles = {
            Access.WORKING_GROUP: settings.working_group_role_id,
            Access.MODERATOR: settings.moderator_role_id,
        }
        reach: list[RoleReach] | None
        try:
            reach = await check_reach(self.bot, guild, roles)
        except discord.HTTPException as error:
            log.warning("Could not read the command permissions of guild %s: %s", guild.id, error)
            reach = None
        return reach, check_permissions(guild, settings)

    # -- publish and edit -------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="publish", description="Post every draft recommendation that is not posted yet."
    )
    async def publish_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        locale = interaction.locale
        # Answered at once; a refusal follows up, else the answer shows the progress (posting takes a
        # while at Discord's pace: a post's reactions 3 s) and the result follows up.
        await interaction.response.defer(ephemeral=True, thinking=True)
        progress = ProgressEdits(interaction)

        async def started(plan: PublishPlan) -> None:
            progress.show(t("publish.started", locale, count=len(plan.drafts)))

        def posted(done: int, total: int) -> None:
            progress.show(t("publish.progress", locale, done=done, total=total))

        try:
            report = await self.service.publish(
                interaction.guild_id, interaction.user.id, locale, started=started, progress=posted
            )
        finally:
            await progress.close()
        settings = await self.bot.guild_repository.get(interaction.guild_id)
        channel = f"<#{settings.channel_id}>" if settings and settings.channel_id else "?"
        if report.published:
            lines = [
                t(
                    "publish.done",
                    locale,
                    published=len(report.published),
                    channel=channel,
                    existing=report.existing,
                )
            ]
        else:
            lines = [t("publish.nothing_to_do", locale, count=report.existing)]
        await respond(interaction, "\n".join(lines + report.notes))

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="edit", description="Revise a draft's title or text (a new version).")
    @app_commands.describe(
        recommendation="The draft to revise",
        themes="Themes this version addresses, e.g. 3, 5 (see /themes list)",
    )
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def edit_command(
        self,
        interaction: Interaction,
        recommendation: int,
        themes: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await self.service.mirrors.ensure_home(interaction.guild_id)
        draft = await self.service.draft(interaction.guild_id, recommendation)
        addressed = await interaction.client.services.themes.addressable(interaction.guild_id, themes)
        await EditModal(draft, interaction.locale, tuple(theme.id for theme in addressed)).show(interaction)

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="translate", description="Add or update a draft's translation into a language."
    )
    @app_commands.describe(
        recommendation="The draft to translate", language="A language code: es, fr, ar, pt-BR…"
    )
    @app_commands.autocomplete(recommendation=recommendation_choices, language=language_choices)
    async def translate_command(self, interaction: Interaction, recommendation: int, language: str) -> None:
        await open_translation_form(interaction, recommendation, language)

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="preview", description="See how a draft's post looks, before or after publishing."
    )
    @app_commands.describe(recommendation="The draft to preview")
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def preview_command(self, interaction: Interaction, recommendation: int) -> None:
        assert interaction.guild_id is not None
        draft = await self.service.draft(interaction.guild_id, recommendation)
        areas, stances = await self.service.options(interaction.guild_id)
        embed = post_embed(draft, areas, stances, locale=interaction.locale)
        await respond(interaction, embed=embed, view=feedback_view(draft.id, interaction.locale))

    # -- tally ------------------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="tally", description="Reactions per draft and per scoping area.")
    @app_commands.describe(recommendation="One draft in detail (default: all drafts)")
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def tally_command(self, interaction: Interaction, recommendation: int | None = None) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        areas, stances = await self.service.options(guild_id)
        linked = await self.service.mirrors.tally(guild_id, recommendation)
        if linked is not None:  # a home server: counted across its linked servers, with each one's share
            embed = linked_tally_embed(linked, recommendation, areas, stances, interaction.locale)
            await respond(interaction, embed=embed)
            return
        if recommendation is None:
            title, rows, drafts = await self.service.tally_overview(guild_id)
            await respond(interaction, embed=tally_overview_embed(title, rows, drafts, stances))
            return
        tally = await self.service.tally_of(guild_id, recommendation)
        embed = tally_detail_embed(tally.recommendation, tally.stances, tally.areas, areas, stances)
        await respond(interaction, embed=embed)
