"""Answering interactions the same way everywhere, whether or not they were answered already."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeVar

import discord
from discord import app_commands

from bot.access import Access, ensure_access
from bot.data.database import is_operational
from bot.errors import AccessDenied, UserError
from bot.i18n import t

log = logging.getLogger(__name__)

T = TypeVar("T")

# Discord's deadline for the first answer is 3 s; work still running after this is answered with a
# deferral (the member sees "thinking...") and its result follows, rather than "This interaction failed".
DEFER_AFTER = 2.0


async def answer_in_time(interaction: discord.Interaction[Any], work: Awaitable[T]) -> T:
    """``work``'s result; on a busy machine (or database) that has not finished within ``DEFER_AFTER``
    the interaction is deferred, privately, so ``respond`` then sends the answer as a follow-up."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    return await task


def error_sentence(error: BaseException, locale: object) -> str | None:
    """The clear sentence a member reads for ``error`` (logged as it deserves); None when nothing can
    reach them any more."""
    if isinstance(error, discord.NotFound) and error.code == 10062:
        # Answered after Discord's 3 s: a second doomed request (plus its log lines) only slows the
        # answers still in time under a burst.
        log.warning("An interaction expired before it was answered")
        return None
    if isinstance(error, UserError):
        return t(error.key, locale, **error.params)
    if isinstance(error, AccessDenied):
        return t(error.key, locale)
    if isinstance(error, app_commands.CommandOnCooldown):
        return t("errors.cooldown", locale, seconds=max(1, round(error.retry_after)))
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("errors.guild_only", locale)
    if isinstance(error, app_commands.BotMissingPermissions):
        return t("errors.bot_missing_permissions", locale, permissions=", ".join(error.missing_permissions))
    if isinstance(error, discord.Forbidden):
        log.warning("Discord refused a request: %s", error)
        return t("errors.bot_missing_permissions", locale, permissions=error.text or "?")
    if isinstance(error, discord.HTTPException | discord.RateLimited):
        # RateLimited: Discord asked for a longer wait than the bot makes a member wait (RATE_LIMIT_WAIT).
        log.warning("Discord request failed: %s", error)
        return t("errors.discord_unavailable", locale)
    if is_operational(error):
        log.error("Database error", exc_info=error)
        return t("errors.database_busy", locale)
    reference = uuid.uuid4().hex[:8]
    log.error("Unhandled error (reference %s)", reference, exc_info=error)
    return t("errors.generic", locale, reference=reference)


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
