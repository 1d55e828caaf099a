"""Autocomplete for /feedback: drafts, scoping areas, one's own items, the working group's items.

Labels never name an author; the working group's choices are empty for everyone else.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.access import Access, member_access
from bot.i18n import t
from cogs.feedback._render import CHOICE_LIMIT, clip, item_choice

Interaction = discord.Interaction["ConsultationBot"]


async def area_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    needle = current.casefold().strip()
    choices = []
    for area in await interaction.client.services.feedback.scoping_areas(interaction.guild_id):
        label = clip(
            t("feedback.choice_area", interaction.locale, number=area.number, name=area.name),
            CHOICE_LIMIT,
        )
        if not needle or needle in label.casefold():
            choices.append(app_commands.Choice(name=label, value=area.number))
    return choices[:25]


async def own_item_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    needle = current.casefold().strip().lstrip("#")
    items = await interaction.client.services.feedback.own_items(interaction.guild_id, interaction.user.id)
    labels = [(item.id, item_choice(item, interaction.locale)) for item in items]
    return [
        app_commands.Choice(name=label, value=ref) for ref, label in labels if needle in label.casefold()
    ][:25]


async def working_group_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
    """Unanswered items first; nothing at all for members outside the working group."""
    if interaction.guild_id is None or Access.WORKING_GROUP not in await member_access(interaction):
        return []
    needle = current.casefold().strip().lstrip("#")
    items = await interaction.client.services.feedback.working_group_choices(interaction.guild_id, needle)
    labels = [(item.id, item_choice(item, interaction.locale)) for item in items]
    return [
        app_commands.Choice(name=label, value=ref) for ref, label in labels if needle in label.casefold()
    ][:25]
