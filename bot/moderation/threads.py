"""What a moderator does to a consultation thread: lock, archive, slow mode, pin.

Discord refuses with 403 when the bot lacks Manage Threads (or Manage Messages for pins); each refusal
becomes a sentence naming the permission, and nothing is recorded as done.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.errors import UserError

log = logging.getLogger(__name__)

MAX_SLOWMODE = 21600  # Discord: six hours
ARCHIVE_ACTIONS = ("thread.archive", "thread.reopen")


def thread_target(thread_id: int) -> str:
    """How a thread is named in the audit log (a channel mention Discord renders)."""
    return f"<#{thread_id}>"


async def edit_thread(thread: discord.Thread, *, reason: str | None, **changes: Any) -> discord.Thread:
    """``thread.edit`` with Discord's refusals as sentences."""
    try:
        return await thread.edit(reason=reason, **changes)
    except discord.Forbidden as error:
        log.warning("Discord refused to edit thread %s: %s", thread.id, error)
        raise UserError("moderation.thread.forbidden", thread=thread.mention) from error
    except discord.NotFound as error:
        raise UserError("moderation.thread.gone") from error


async def set_locked(thread: discord.Thread, locked: bool, reason: str | None) -> discord.Thread:
    if thread.locked == locked:
        raise UserError("moderation.thread.already_locked" if locked else "moderation.thread.not_locked")
    # An archived thread accepts the change only together with being (re)opened or kept archived.
    return await edit_thread(thread, reason=reason, locked=locked, archived=thread.archived)


async def set_archived(thread: discord.Thread, archived: bool, reason: str | None) -> discord.Thread:
    if thread.archived == archived:
        raise UserError(
            "moderation.thread.already_archived" if archived else "moderation.thread.not_archived"
        )
    return await edit_thread(thread, reason=reason, archived=archived)


async def set_slowmode(thread: discord.Thread, seconds: int, reason: str | None) -> discord.Thread:
    if not 0 <= seconds <= MAX_SLOWMODE:
        raise UserError("moderation.thread.slowmode_range", limit=MAX_SLOWMODE)
    if thread.archived:
        raise UserError("moderation.thread.archived_first")
    return await edit_thread(thread, reason=reason, slowmode_delay=seconds)


async def set_pinned(
    message: discord.Message | discord.PartialMessage, pinned: bool, reason: str | None
) -> None:
    try:
        if pinned:
            await message.pin(reason=reason)
        else:
            await message.unpin(reason=reason)
    except discord.Forbidden as error:
        log.warning("Discord refused to pin %s: %s", message.id, error)
        raise UserError("moderation.pin.forbidden") from error
    except discord.NotFound as error:
        raise UserError("moderation.pin.unknown_message") from error
    except discord.HTTPException as error:
        if error.code == 30003:
            raise UserError("moderation.pin.too_many") from error
        raise


def parse_message_reference(text: str, default_channel_id: int | None) -> tuple[int, int]:
    """``https://discord.com/channels/<guild>/<channel>/<message>`` or a bare message id (here)."""
    value = text.strip().rstrip("/")
    parts = value.split("/")
    try:
        if len(parts) >= 3 and "channels" in parts:
            return int(parts[-2]), int(parts[-1])
        if default_channel_id is not None:
            return default_channel_id, int(value)
    except ValueError:
        pass
    raise UserError("moderation.pin.bad_reference", value=text[:100])
