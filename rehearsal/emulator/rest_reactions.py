"""REST routes on what members attach to a message: reactions and pins (discord.py 2.7 uses
``/messages/pins``; the legacy ``/pins`` routes are accepted too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import actions
from .actions import get_channel, get_message, msg_json, rest_msg_json
from .limits import ApiError
from .payloads import in_guild, user_payload
from .rest import Req, router
from .rest_channels import require
from .state import ADD_REACTIONS, MANAGE_MESSAGES, PIN_MESSAGES, READ_MESSAGE_HISTORY, Message, now

if TYPE_CHECKING:
    from .control import DiscordEmulator


def _emoji(req: Req) -> str:
    key = unquote(req.params["emoji"])
    if key.startswith("a:"):
        key = key[2:]
    return key


# -- reactions --------------------------------------------------------------------------------------


@router.add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_own_reaction(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    key = _emoji(req)
    require(emu, msg.channel_id, READ_MESSAGE_HISTORY)  # Discord: reacting needs the history
    if key not in msg.reactions:
        require(emu, msg.channel_id, ADD_REACTIONS)
    channel = emu.state.channels[msg.channel_id]
    if channel.is_thread and channel.archived:
        raise ApiError(403, 50083, "Thread is archived")
    actions.add_reaction(emu, msg, emu.bot_user_id, key)
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}")
async def remove_reaction(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    user_id = req.user_id(emu)
    if user_id != emu.bot_user_id:
        require(emu, msg.channel_id, MANAGE_MESSAGES)
    actions.remove_reaction(emu, msg, user_id, _emoji(req))
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}")
async def clear_emoji(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    require(emu, msg.channel_id, MANAGE_MESSAGES)
    key = _emoji(req)
    if msg.reactions.pop(key, None) is not None:
        data = actions.reaction_event(emu, msg, 0, key, add=False)
        data.pop("user_id")
        data.pop("burst")
        data.pop("type")
        emu.gateway.emit("MESSAGE_REACTION_REMOVE_EMOJI", data)
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions")
async def clear_reactions(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    require(emu, msg.channel_id, MANAGE_MESSAGES)
    msg.reactions.clear()
    data = {"channel_id": str(msg.channel_id), "message_id": str(msg.id)}
    emu.gateway.emit("MESSAGE_REACTION_REMOVE_ALL", in_guild(data, msg.guild_id))
    return None


@router.add("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}")
async def reaction_users(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    limit = max(1, min(int(req.query.get("limit", 25)), 100))
    after = int(req.query.get("after", 0))
    users = sorted(u for u in msg.reactions.get(_emoji(req), []) if u > after)[:limit]
    return [user_payload(emu.state.users[u]) for u in users]


# -- pins (discord.py 2.7 uses /messages/pins; the legacy /pins routes are accepted too) -----------


def _pin(emu: DiscordEmulator, req: Req, pinned: bool) -> None:
    msg: Message = get_message(emu, req.int("channel_id"), req.int("message_id"))
    require(emu, msg.channel_id, MANAGE_MESSAGES, PIN_MESSAGES)
    count = sum(1 for m in emu.state.channel_messages(msg.channel_id) if m.pinned)
    if pinned and not msg.pinned and count >= 250:
        raise ApiError(400, 30003, "Maximum number of pins reached (250)")
    if msg.pinned != pinned:
        msg.pinned = pinned
        msg.pinned_at = now() if pinned else None
        emu.gateway.emit("MESSAGE_UPDATE", msg_json(emu, msg))
        data = {"channel_id": str(msg.channel_id)}
        emu.gateway.emit("CHANNEL_PINS_UPDATE", in_guild(data, msg.guild_id))


@router.add("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
@router.add("PUT", "/channels/{channel_id}/pins/{message_id}")
async def pin(emu: DiscordEmulator, req: Req) -> Any:
    _pin(emu, req, True)
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
@router.add("DELETE", "/channels/{channel_id}/pins/{message_id}")
async def unpin(emu: DiscordEmulator, req: Req) -> Any:
    _pin(emu, req, False)
    return None


@router.add("GET", "/channels/{channel_id}/messages/pins")
async def get_pins(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    pinned = sorted(
        (m for m in emu.state.channel_messages(channel.id) if m.pinned),
        key=lambda m: m.pinned_at or now(),
        reverse=True,
    )
    limit = int(req.query.get("limit", 50))
    items = [
        {"pinned_at": (m.pinned_at or now()).isoformat(), "message": rest_msg_json(emu, m)}
        for m in pinned[:limit]
    ]
    return {"items": items, "has_more": len(pinned) > limit}


@router.add("GET", "/channels/{channel_id}/pins")
async def get_pins_legacy(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    return [rest_msg_json(emu, m) for m in emu.state.channel_messages(channel.id) if m.pinned]
