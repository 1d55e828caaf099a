"""The control API's part for interactions: a member runs a slash command, types into an
autocompleted option, clicks a button, picks from a select menu or submits a modal."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import actions
from .interactions import (
    EmulatorError,
    InteractionResult,
    base_payload,
    build_command_data,
    check_visible,
    find_command,
    modal_submit_components,
    new_result,
)

if TYPE_CHECKING:
    from .control import DiscordEmulator


class InteractionControl:
    """INTERACTION_CREATE payloads built from the synced command tree and the bot's components."""

    def _dispatch_interaction(self: DiscordEmulator, res: InteractionResult, payload: dict[str, Any]) -> None:
        self.interactions[res.id] = res
        self.interactions_by_token[res.token] = res
        res.created = time.monotonic()
        self.gateway.emit("INTERACTION_CREATE", payload)

    async def run_command(
        self: DiscordEmulator,
        user_id: int,
        guild_id: int | None,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel_id: int | None = None,
    ) -> InteractionResult:
        """A member runs ``/command [group] [sub]`` with ``options`` from the synced tree."""
        cmd = find_command(self, guild_id, command.split()[0])
        channel_id = channel_id or self._default_channel(user_id, guild_id)
        if guild_id is not None:
            check_visible(self, cmd, user_id, guild_id, channel_id)
        data = build_command_data(self, guild_id, command, options or {})
        res = new_result(2, user_id, guild_id, channel_id)
        payload = base_payload(self, res)
        payload["data"] = data
        self._dispatch_interaction(res, payload)
        return res

    async def autocomplete(
        self: DiscordEmulator,
        user_id: int,
        guild_id: int | None,
        command: str,
        *,
        option: str,
        value: Any,
        options: dict[str, Any] | None = None,
        channel_id: int | None = None,
        timeout: float = 5,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while ``user_id`` types ``value`` into ``option``."""
        channel_id = channel_id or self._default_channel(user_id, guild_id)
        if guild_id is not None:
            cmd = find_command(self, guild_id, command.split()[0])
            check_visible(self, cmd, user_id, guild_id, channel_id)
        opts = dict(options or {})
        opts[option] = value
        data = build_command_data(self, guild_id, command, opts, focused=option)
        res = new_result(4, user_id, guild_id, channel_id)
        payload = base_payload(self, res)
        payload["data"] = data
        self._dispatch_interaction(res, payload)
        await res.wait(timeout)
        return res.choices or []

    async def click_button(
        self: DiscordEmulator,
        user_id: int,
        channel_id: int,
        message_id: int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> InteractionResult:
        """A MESSAGE_COMPONENT interaction on a button (or a select menu with ``values``)."""
        msg = self.state.messages.get(message_id)
        if msg is None or msg.channel_id != channel_id or msg.deleted:
            raise EmulatorError(f"no message {message_id} in channel {channel_id}")
        component = _find_component(msg.components, custom_id)
        if component is None:
            raise EmulatorError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise EmulatorError(f"component {custom_id!r} is disabled")
        guild_id = self.state.channels[channel_id].guild_id
        res = new_result(3, user_id, guild_id, channel_id)
        res.source_message_id = message_id
        payload = base_payload(self, res)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        payload["data"] = data
        payload["message"] = actions.msg_json(self, msg)
        self._dispatch_interaction(res, payload)
        return res

    async def select(
        self: DiscordEmulator,
        user_id: int,
        channel_id: int,
        message_id: int,
        custom_id: str,
        values: list[str],
    ) -> InteractionResult:
        return await self.click_button(user_id, channel_id, message_id, custom_id, values=values)

    async def submit_modal(
        self: DiscordEmulator, user_id: int, opened_by: InteractionResult, values: dict[str, Any]
    ) -> InteractionResult:
        """A MODAL_SUBMIT for the modal the bot opened in answer to ``opened_by``."""
        if opened_by.modal is None:
            raise EmulatorError(f"interaction {opened_by.id} was not answered with a modal")
        modal = opened_by.modal
        res = new_result(5, user_id, opened_by.guild_id, opened_by.channel_id)
        res.source_message_id = opened_by.source_message_id
        payload = base_payload(self, res)
        payload["data"] = {
            "custom_id": modal["custom_id"],
            "components": modal_submit_components(modal, values),
        }
        if res.source_message_id is not None:
            payload["message"] = actions.msg_json(self, self.state.messages[res.source_message_id])
        self._dispatch_interaction(res, payload)
        return res

    def _default_channel(self: DiscordEmulator, user_id: int, guild_id: int | None) -> int:
        if guild_id is None:
            return self.dm_channel(user_id).id
        for cid in self.state.guilds[guild_id].channel_ids:
            if self.state.channels[cid].type == 0:
                return cid
        raise EmulatorError(f"guild {guild_id} has no text channel; pass channel_id")


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        for key in ("components", "accessory", "component"):
            inner = comp.get(key)
            if isinstance(inner, dict):
                inner = [inner]
            if isinstance(inner, list):
                found = _find_component(inner, custom_id)
                if found is not None:
                    return found
    return None
