"""The control API's part for scripting members: what a person does in a channel (post, edit,
delete, react) or to a thread, dispatched to the bot as Discord would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import actions
from .interactions import EmulatorError
from .state import Channel, Message

if TYPE_CHECKING:
    from .control import DiscordEmulator


class MemberControl:
    """Messages, reactions and thread changes made by members."""

    async def post_message(
        self: DiscordEmulator, user_id: int, channel_id: int, content: str = "", **body: Any
    ) -> Message:
        """``user_id`` posts in a channel, thread or (with the DM channel id) to the bot."""
        from .rest_channels import check_can_send

        channel = actions.get_channel(self, channel_id)
        check_can_send(self, user_id, channel)
        files = body.pop("files", None)
        return actions.create_message(self, user_id, channel_id, {"content": content, **body}, files)

    async def edit_message(
        self: DiscordEmulator, user_id: int, channel_id: int, message_id: int, content: str
    ) -> Message:
        msg = actions.get_message(self, channel_id, message_id)
        if msg.author_id != user_id:
            raise EmulatorError(f"message {message_id} is not by {user_id}")
        return actions.edit_message(self, msg, {"content": content})

    async def delete_message(self: DiscordEmulator, channel_id: int, message_id: int) -> None:
        actions.delete_message(self, actions.get_message(self, channel_id, message_id))

    async def react(
        self: DiscordEmulator, user_id: int, channel_id: int, message_id: int, emoji: str
    ) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.add_reaction(self, msg, user_id, emoji)

    async def unreact(
        self: DiscordEmulator, user_id: int, channel_id: int, message_id: int, emoji: str
    ) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.remove_reaction(self, msg, user_id, emoji)

    def react_silently(
        self: DiscordEmulator, user_id: int, channel_id: int, message_id: int, emoji: str
    ) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.add_reaction(self, msg, user_id, emoji, dispatch=False)

    def unreact_silently(
        self: DiscordEmulator, user_id: int, channel_id: int, message_id: int, emoji: str
    ) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.remove_reaction(self, msg, user_id, emoji, dispatch=False)

    async def react_many(self: DiscordEmulator, events: Iterable[tuple[Any, ...]]) -> int:
        """Fast path for benchmarks: ``(user_id, channel_id, message_id, emoji[, add=True])``
        tuples, applied and queued without awaiting in between. Returns the number applied."""
        count = 0
        for event in events:
            user_id, channel_id, message_id, emoji = event[:4]
            add = event[4] if len(event) > 4 else True
            msg = actions.get_message(self, channel_id, message_id)
            func = actions.add_reaction if add else actions.remove_reaction
            count += func(self, msg, user_id, emoji)
        await asyncio.sleep(0)
        return count

    async def update_thread(self: DiscordEmulator, channel_id: int, **changes: Any) -> Channel:
        """Change a thread as a moderator would (archived, locked, name...) and dispatch."""
        thread = self.state.channels[channel_id]
        for key, value in changes.items():
            setattr(thread, key, value)
        actions.thread_update(self, thread)
        return thread
