"""/privacy: a member's own data, sent to them as a JSON file, and its erasure on request."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, require
from bot.audit import record_action
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.i18n import t
from bot.moderation.privacy import ErasureReport, PrivacyService
from bot.replies import respond

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
CONFIRM_SECONDS = 120
MYDATA_COOLDOWN_SECONDS = 30.0


class ForgetConfirmation(discord.ui.View):
    """Erase, or keep: only the member who asked may answer."""

    def __init__(self, cog: PrivacyCog, member_id: int, locale: object) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.cog = cog
        self.member_id = member_id
        self.message: discord.InteractionMessage | None = None
        erase: discord.ui.Button[ForgetConfirmation] = discord.ui.Button(
            label=t("privacy.forget_button", locale),
            style=discord.ButtonStyle.danger,
            custom_id="privacy:forget",
        )
        keep: discord.ui.Button[ForgetConfirmation] = discord.ui.Button(
            label=t("privacy.cancel_button", locale),
            style=discord.ButtonStyle.secondary,
            custom_id="privacy:keep",
        )
        erase.callback = self.erase  # type: ignore[method-assign]
        keep.callback = self.keep  # type: ignore[method-assign]
        self.add_item(erase)
        self.add_item(keep)

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        if interaction.user.id != self.member_id:
            raise UserError("privacy.not_yours")
        return True

    async def erase(self, interaction: Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(view=None)
        await self.cog.forget(interaction)

    async def keep(self, interaction: Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=t("privacy.cancelled", interaction.locale), view=None)

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=t("privacy.expired"), view=None)

    async def on_error(self, interaction: Interaction, error: Exception, item: Any) -> None:  # type: ignore[override]
        await interaction.client.answer_error(interaction, error)


@app_commands.guild_only()
class PrivacyCog(commands.GroupCog, group_name="privacy"):
    """Members see what the bot stores about them, and can have it erased."""

    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        self.service = PrivacyService(bot.db, bot.guild_repository, bot.clock)
        super().__init__()

    @require(Access.MEMBER)
    @app_commands.command(
        name="mydata", description="Get everything the bot stores about you, as a JSON file."
    )
    @app_commands.checks.cooldown(1, MYDATA_COOLDOWN_SECONDS, key=lambda i: (i.guild_id, i.user.id))
    async def mydata(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        registry = self.bot.services.forgotten
        data = await self.service.export(
            interaction.guild_id,
            interaction.user.id,
            registry.pseudonym(interaction.guild_id, interaction.user.id),
        )
        data["language"] = self.bot.services.languages.chosen(interaction.guild_id, interaction.user.id)
        payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
        file = discord.File(io.BytesIO(payload), filename="my-consultation-data.json")
        await interaction.response.send_message(
            t("privacy.export_ready", interaction.locale), file=file, ephemeral=True
        )

    @require(Access.MEMBER)
    @app_commands.command(
        name="forget", description="Erase your feedback, sign-ups and reactions (asks first)."
    )
    async def forget_command(self, interaction: Interaction) -> None:
        view = ForgetConfirmation(self, interaction.user.id, interaction.locale)
        await interaction.response.send_message(
            t("privacy.forget_confirm", interaction.locale), view=view, ephemeral=True
        )
        view.message = await interaction.original_response()

    async def forget(self, interaction: Interaction) -> None:
        """The member confirmed: stop counting them, erase their rows, remove their reactions, on every
        server of the consultation (a consultation across linked servers is one consultation)."""
        assert interaction.guild_id is not None
        user_id = interaction.user.id
        servers = await self.bot.services.links.consultation_servers(interaction.guild_id)
        # From now on no event of theirs is counted; what is buffered is written before the erasure.
        registry = self.bot.services.forgotten
        for guild_id in servers:
            await registry.register(guild_id, user_id, self.bot.clock)
        await self.bot.services.tally.flush()
        feedback = signups = reactions = removed = refused = 0
        sweeps: list[bool] = []
        for guild_id in servers:
            report = await self.service.erase(guild_id, user_id, registry.pseudonym(guild_id, user_id))
            self.bot.services.names.forget_guild_member(guild_id, user_id)
            await self.bot.services.languages.forget(guild_id, user_id)  # their /language choice too
            gone, kept = await self.remove_reactions(report, user_id)
            swept = await self.sweep_uncounted(guild_id, user_id, report)
            await record_action(self.bot, guild_id, None, "privacy.forget")
            self.wake_office_hours(report)
            feedback, signups = feedback + report.feedback, signups + report.signups
            reactions, removed, refused = reactions + len(report.reactions), removed + gone, refused + kept
            sweeps.extend([] if swept is None else [swept])
        locale = interaction.locale
        lines = [
            t(
                "privacy.forgotten",
                locale,
                feedback=feedback,
                signups=signups,
                reactions=reactions,
                removed=removed,
            )
        ]
        if len(servers) > 1:
            lines.append(t("privacy.forgotten_servers", locale, count=len(servers)))
        if refused:
            lines.append(t("privacy.reactions_left", locale, count=refused))
        if sweeps:
            lines.append(t("privacy.swept" if all(sweeps) else "privacy.sweep_refused", locale))
        await respond(interaction, "\n".join(lines))

    async def remove_reactions(self, report: ErasureReport, user_id: int) -> tuple[int, int]:
        """Remove the member's counted reactions from the posts: (removed, refused by Discord)."""
        removed = refused = 0
        member = discord.Object(user_id)
        for reaction in report.reactions:
            message = self.bot.get_partial_messageable(reaction.channel_id).get_partial_message(
                reaction.message_id
            )
            try:
                await message.remove_reaction(reaction.emoji, member)
                removed += 1
            except discord.NotFound:
                continue
            except discord.HTTPException as error:
                refused += 1
                log.warning(
                    "Could not remove a forgotten member's reaction on %s: %s", reaction.message_id, error
                )
        return removed, refused

    async def sweep_uncounted(self, guild_id: int, user_id: int, report: ErasureReport) -> bool | None:
        """Outside the open phase reactions are not counted, so the rows do not list them: remove the
        member's reaction from every option present on a post (Discord ignores absent ones).

        ``None`` when there was nothing to sweep (open phase), else whether Discord allowed it all."""
        settings = await self.bot.guild_repository.get(guild_id)
        if settings is None or settings.is_open:
            return None
        options = {a.emoji for a in await self.bot.guild_repository.scoping_areas(guild_id)}
        options |= {s.emoji for s in await self.bot.guild_repository.stances(guild_id)}
        done = {(r.message_id, r.emoji) for r in report.reactions}
        member = discord.Object(user_id)
        refused = 0
        for post in await RecommendationRepository(self.bot.db).live_posts(guild_id):
            home = post.message_channel_id
            channel = self.bot.get_partial_messageable(home)
            try:
                message = await channel.fetch_message(post.message_id)
            except discord.HTTPException:
                continue
            for reaction in message.reactions:
                emoji = str(reaction.emoji)
                if emoji not in options or (post.message_id, emoji) in done:
                    continue
                try:
                    await message.remove_reaction(emoji, member)
                except discord.HTTPException as error:
                    refused += 1
                    log.warning("Could not remove an uncounted reaction on %s: %s", post.message_id, error)
        return refused == 0

    def wake_office_hours(self, report: ErasureReport) -> None:
        """Freed seats changed cards and queued promotion notices: office hours shows and sends them."""
        if report.freed_sessions:
            self.bot.dispatch("officehours_seats_freed", list(report.freed_sessions), report.promoted)


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
