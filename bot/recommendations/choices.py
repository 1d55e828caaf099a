"""Autocomplete over the guild's drafts, shared by every command that takes a recommendation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.data.recommendations import RecommendationRepository
from bot.i18n import t
from bot.recommendations.render import shorten

if TYPE_CHECKING:
    from bot.client import ConsultationBot

CHOICE_NAME_LIMIT = 100  # Discord: an autocomplete choice's name is 1-100 characters
MAX_CHOICES = 25  # Discord: at most 25 choices


async def recommendation_choices(
    interaction: discord.Interaction[ConsultationBot], current: str
) -> list[app_commands.Choice[int]]:
    """The guild's drafts as "R3. Title", filtered by what the member typed (a number or words)."""
    if interaction.guild_id is None:
        return []
    needle = str(current or "").casefold().strip()
    choices = []
    for rec in await RecommendationRepository(interaction.client.db).all(interaction.guild_id):
        name = shorten(
            t("recommendations.choice", interaction.locale, number=rec.number, title=rec.title),
            CHOICE_NAME_LIMIT,
        )
        if not needle or needle in name.casefold():
            choices.append(app_commands.Choice(name=name, value=rec.number))
    return choices[:MAX_CHOICES]
