"""Answering interactions the same way everywhere, whether or not they were answered already."""

from __future__ import annotations

from typing import Any

import discord


async def respond(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    ephemeral: bool = True,
    **kwargs: Any,
) -> None:
    """Send ``content`` as the answer, or as a follow-up once the interaction was answered/deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=ephemeral, **kwargs)
