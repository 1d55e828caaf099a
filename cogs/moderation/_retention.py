"""/mod retention: how long after the close members' ids are kept (a mix-in of the /mod group)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.access import Access, require
from bot.audit import record_action
from bot.i18n import t
from bot.moderation.retention import MAX_DAYS, RetentionService
from bot.replies import respond

if TYPE_CHECKING:
    from bot.client import ConsultationBot

Interaction = discord.Interaction["ConsultationBot"]


class RetentionCommands:
    """Mixed into ``ModerationCog`` (a ``GroupCog`` collects commands from its bases too)."""

    bot: ConsultationBot
    retention: RetentionService

    @require(Access.ADMINISTRATOR)
    @app_commands.command(
        name="retention",
        description="Days after the consultation closes before member ids become pseudonyms (0 = off).",
    )
    @app_commands.describe(
        days=f"1 to {MAX_DAYS} days after the close; 0 turns it off; leave empty to see the setting"
    )
    async def retention_command(self, interaction: Interaction, days: int | None = None) -> None:
        assert interaction.guild_id is not None
        guild_id, locale = interaction.guild_id, interaction.locale
        if days is not None:
            setting = await self.retention.set_days(guild_id, days)
            await record_action(
                self.bot,
                guild_id,
                interaction.user.id,
                "privacy.retention_setting",
                str(setting or "off"),
                None,
            )
        current = await self.retention.setting(guild_id)
        if current is None:
            await respond(interaction, t("moderation.retention.off", locale))
            return
        due = await self.retention.due_at(guild_id)
        if due is None:
            settings = await self.bot.guild_repository.get(guild_id)
            key = (
                "moderation.retention.done"
                if settings and settings.phase == "closed"
                else "moderation.retention.after_close"
            )
            await respond(interaction, t(key, locale, days=current.days))
            return
        stamp = int(due.timestamp())
        key = "moderation.retention.soon" if due <= self.bot.clock.now() else "moderation.retention.scheduled"
        await respond(interaction, t(key, locale, days=current.days, when=f"<t:{stamp}:F>"))
