"""Answering interactions the same way everywhere, whether or not they were answered already."""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from bot.access import Access, ensure_access


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


class AnsweringButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """Base of a persistent button: every failure of ``handle`` is answered with a clear, ephemeral
    sentence (component callbacks do not reach the command tree's error handler). The base's own
    template matches nothing; each subclass gives its own. ``access``, if set, is checked before
    ``handle`` as ``require`` checks a command: a custom id can be replayed by anyone who sees it."""

    access: ClassVar[Access | None] = None

    async def callback(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        try:
            if self.access is not None:
                await ensure_access(interaction, self.access)
            await self.handle(interaction)
        except Exception as error:
            await interaction.client.answer_error(interaction, error)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError
