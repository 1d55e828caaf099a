"""REST routes on channels: channel edits (threads, forum tags), messages, reactions, threads,
pins and thread members, with the bot's permission checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import actions
from .actions import get_channel, get_message, msg_json, rest_msg_json
from .limits import ApiError, FormErrors, check_tags, missing_permissions
from .payloads import channel_payload, user_payload
from .rest import Req, router
from .state import (
    ADD_REACTIONS,
    CREATE_PUBLIC_THREADS,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    PIN_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    Channel,
    Message,
    now,
    snowflake,
)

if TYPE_CHECKING:
    from .control import DiscordEmulator


def _require(emu: DiscordEmulator, channel_id: int, *bits: int) -> None:
    channel = emu.state.channels[channel_id]
    if channel.guild_id is None:
        return
    if not emu.state.has(emu.bot_user_id, channel_id, *bits):
        raise missing_permissions()


def check_can_send(emu: DiscordEmulator, user_id: int, channel: Channel) -> None:
    """Raise the ApiError Discord answers when ``user_id`` may not post in ``channel``."""
    state = emu.state
    if channel.type == 1:
        recipient = state.users.get(channel.recipient_id or 0)
        if user_id == emu.bot_user_id and recipient is not None and not recipient.dm_open:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        return
    if channel.type == 15:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    moderator = state.has(user_id, channel.id, MANAGE_THREADS)
    if channel.is_thread:
        if channel.locked and not moderator:
            raise ApiError(403, 50083, "Thread is locked")
        if channel.archived:
            raise ApiError(403, 50083, "Thread is archived")
        if not state.has(user_id, channel.id, SEND_MESSAGES_IN_THREADS):
            raise missing_permissions()
    elif not state.has(user_id, channel.id, SEND_MESSAGES):
        raise missing_permissions()


def _emoji(req: Req) -> str:
    key = unquote(req.params["emoji"])
    if key.startswith("a:"):
        key = key[2:]
    return key


# -- channels ---------------------------------------------------------------------------------------


@router.add("GET", "/channels/{channel_id}")
async def get_channel_route(emu: DiscordEmulator, req: Req) -> Any:
    return channel_payload(get_channel(emu, req.int("channel_id")))


@router.add("PATCH", "/channels/{channel_id}")
async def edit_channel(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    body = req.body or {}
    bot = emu.bot_user_id
    state = emu.state
    form = FormErrors()
    if "name" in body:
        form.length("name", body["name"], 1, 100)
    if channel.is_thread:
        own = channel.owner_id == bot
        moderator = state.has(bot, channel.id, MANAGE_THREADS)
        if "locked" in body and bool(body["locked"]) != channel.locked and not moderator:
            raise missing_permissions()
        if "archived" in body and not (own or moderator):
            raise missing_permissions()
        # an archived thread only accepts being unarchived
        unarchive_only = not set(body) - {"archived", "locked"}
        if channel.archived and body.get("archived", True) and not moderator and not unarchive_only:
            raise ApiError(403, 50083, "Thread is archived")
        if ({"name", "rate_limit_per_user", "auto_archive_duration"} & set(body)) and not (own or moderator):
            raise missing_permissions()
        if "applied_tags" in body:
            parent = state.channels.get(channel.parent_id or 0)
            tags = [int(t) for t in body["applied_tags"] or []]
            form.at_most("applied_tags", tags, 5)
            known = {int(t["id"]) for t in parent.available_tags} if parent else set()
            for i, tag in enumerate(tags):
                if tag not in known:
                    form.add(f"applied_tags.{i}", "FORUM_TAG_UNKNOWN", "Unknown forum tag")
    else:
        if not state.has(bot, channel.id, MANAGE_CHANNELS):
            raise missing_permissions()
        if "available_tags" in body:
            check_tags(form, body["available_tags"] or [])
    form.raise_if_any()
    for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position"):
        if key in body and body[key] is not None:
            setattr(channel, key, body[key])
    if channel.is_thread:
        for key in ("locked", "auto_archive_duration", "invitable"):
            if key in body and body[key] is not None:
                setattr(channel, key, body[key])
        if "archived" in body and body["archived"] is not None:
            if bool(body["archived"]) != channel.archived:
                channel.archive_timestamp = now()
            channel.archived = bool(body["archived"])
        if "applied_tags" in body:
            channel.applied_tags = [int(t) for t in body["applied_tags"] or []]
    if "available_tags" in body:
        tags = []
        for tag in body["available_tags"] or []:
            tags.append(
                {
                    "id": int(tag.get("id") or snowflake()),
                    "name": tag["name"],
                    "moderated": bool(tag.get("moderated", False)),
                    "emoji_id": int(tag["emoji_id"]) if tag.get("emoji_id") else None,
                    "emoji_name": tag.get("emoji_name"),
                }
            )
        channel.available_tags = tags
    actions.thread_update(emu, channel)
    return channel_payload(channel)


# -- messages ---------------------------------------------------------------------------------------


@router.add("GET", "/channels/{channel_id}/messages")
async def get_messages(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    msgs = emu.state.channel_messages(channel.id)
    limit = max(1, min(int(req.query.get("limit", 50)), 100))
    if "around" in req.query:
        around = int(req.query["around"])
        older = [m for m in msgs if m.id <= around][-((limit + 1) // 2) :]
        newer = [m for m in msgs if m.id > around][: limit // 2]
        picked = older + newer
    elif "after" in req.query:
        after = int(req.query["after"])
        picked = [m for m in msgs if m.id > after][:limit]
    else:
        before = int(req.query.get("before", 0)) or None
        picked = [m for m in msgs if before is None or m.id < before][-limit:]
    return [rest_msg_json(emu, m) for m in sorted(picked, key=lambda m: m.id, reverse=True)]


@router.add("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message_route(emu: DiscordEmulator, req: Req) -> Any:
    return rest_msg_json(emu, get_message(emu, req.int("channel_id"), req.int("message_id")))


@router.add("POST", "/channels/{channel_id}/messages")
async def post_message(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    check_can_send(emu, emu.bot_user_id, channel)
    msg = actions.create_message(emu, emu.bot_user_id, channel.id, req.body or {}, req.files)
    return rest_msg_json(emu, msg)


@router.add("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    body = req.body or {}
    if msg.author_id != emu.bot_user_id and set(body) - {"flags"}:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    return rest_msg_json(emu, actions.edit_message(emu, msg, body, req.files))


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    if msg.author_id != emu.bot_user_id:
        _require(emu, msg.channel_id, MANAGE_MESSAGES)
    actions.delete_message(emu, msg)
    return None


@router.add("POST", "/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    _require(emu, channel.id, MANAGE_MESSAGES)
    ids = [int(i) for i in (req.body or {}).get("messages", [])]
    form = FormErrors()
    if not 2 <= len(ids) <= 100:
        form.add("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
    form.raise_if_any()
    deleted = []
    for mid in ids:
        msg = emu.state.messages.get(mid)
        if msg is not None and msg.channel_id == channel.id and not msg.deleted:
            msg.deleted = True
            emu.state.history[channel.id].remove(mid)
            deleted.append(str(mid))
    data: dict[str, Any] = {"ids": deleted, "channel_id": str(channel.id)}
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    emu.gateway.emit("MESSAGE_DELETE_BULK", data)
    return None


# -- reactions --------------------------------------------------------------------------------------


@router.add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_own_reaction(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    key = _emoji(req)
    _require(emu, msg.channel_id, READ_MESSAGE_HISTORY)  # Discord: reacting needs the history
    if key not in msg.reactions:
        _require(emu, msg.channel_id, ADD_REACTIONS)
    channel = emu.state.channels[msg.channel_id]
    if channel.is_thread and channel.archived:
        raise ApiError(403, 50083, "Thread is archived")
    actions.add_reaction(emu, msg, emu.bot_user_id, key)
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}")
async def remove_reaction(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    who = req.params["user_id"]
    user_id = emu.bot_user_id if who == "@me" else int(who)
    if user_id != emu.bot_user_id:
        _require(emu, msg.channel_id, MANAGE_MESSAGES)
    actions.remove_reaction(emu, msg, user_id, _emoji(req))
    return None


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}")
async def clear_emoji(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    _require(emu, msg.channel_id, MANAGE_MESSAGES)
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
    _require(emu, msg.channel_id, MANAGE_MESSAGES)
    msg.reactions.clear()
    data: dict[str, Any] = {"channel_id": str(msg.channel_id), "message_id": str(msg.id)}
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    emu.gateway.emit("MESSAGE_REACTION_REMOVE_ALL", data)
    return None


@router.add("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}")
async def reaction_users(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    limit = max(1, min(int(req.query.get("limit", 25)), 100))
    after = int(req.query.get("after", 0))
    users = sorted(u for u in msg.reactions.get(_emoji(req), []) if u > after)[:limit]
    return [user_payload(emu.state.users[u]) for u in users]


# -- threads ----------------------------------------------------------------------------------------


@router.add("POST", "/channels/{channel_id}/threads")
async def start_thread(emu: DiscordEmulator, req: Req) -> Any:
    parent = get_channel(emu, req.int("channel_id"))
    body = req.body or {}
    if parent.type == 15:
        _require(emu, parent.id, SEND_MESSAGES)
    else:
        _require(emu, parent.id, CREATE_PUBLIC_THREADS)
    thread, starter = actions.create_thread(
        emu,
        parent,
        emu.bot_user_id,
        body.get("name"),
        type_=11 if parent.type == 15 else int(body.get("type") or 11),
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        applied_tags=body.get("applied_tags"),
        message=body.get("message") if parent.type == 15 else None,
        files=req.files if parent.type == 15 else None,
    )
    data = channel_payload(thread)
    if starter is not None:
        data["message"] = rest_msg_json(emu, starter)
    return (201, data)


@router.add("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(emu: DiscordEmulator, req: Req) -> Any:
    msg = get_message(emu, req.int("channel_id"), req.int("message_id"))
    parent = emu.state.channels[msg.channel_id]
    _require(emu, parent.id, CREATE_PUBLIC_THREADS)
    if emu.state.channels.get(msg.id) is not None:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    body = req.body or {}
    thread, _ = actions.create_thread(
        emu,
        parent,
        emu.bot_user_id,
        body.get("name"),
        thread_id=msg.id,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
    )
    return (201, channel_payload(thread))


@router.add("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def join_thread(emu: DiscordEmulator, req: Req) -> Any:
    thread = get_channel(emu, req.int("channel_id"))
    who = req.params["user_id"]
    thread.member_ids.add(emu.bot_user_id if who == "@me" else int(who))
    return None


@router.add("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def leave_thread(emu: DiscordEmulator, req: Req) -> Any:
    thread = get_channel(emu, req.int("channel_id"))
    who = req.params["user_id"]
    thread.member_ids.discard(emu.bot_user_id if who == "@me" else int(who))
    return None


@router.add("GET", "/channels/{channel_id}/thread-members")
async def thread_members(emu: DiscordEmulator, req: Req) -> Any:
    thread = get_channel(emu, req.int("channel_id"))
    return [
        {
            "id": str(thread.id),
            "user_id": str(uid),
            "join_timestamp": now().isoformat(),
            "flags": 0,
        }
        for uid in sorted(thread.member_ids)
    ]


@router.add("GET", "/channels/{channel_id}/threads/archived/public")
async def archived_threads(emu: DiscordEmulator, req: Req) -> Any:
    threads = [
        channel_payload(c)
        for c in emu.state.channels.values()
        if c.is_thread and c.parent_id == req.int("channel_id") and c.archived
    ]
    return {"threads": threads, "members": [], "has_more": False}


# -- pins (discord.py 2.7 uses /messages/pins; the legacy /pins routes are accepted too) -----------


def _pin(emu: DiscordEmulator, req: Req, pinned: bool) -> None:
    msg: Message = get_message(emu, req.int("channel_id"), req.int("message_id"))
    _require(emu, msg.channel_id, MANAGE_MESSAGES, PIN_MESSAGES)
    count = sum(1 for m in emu.state.channel_messages(msg.channel_id) if m.pinned)
    if pinned and not msg.pinned and count >= 250:
        raise ApiError(400, 30003, "Maximum number of pins reached (250)")
    if msg.pinned != pinned:
        msg.pinned = pinned
        msg.pinned_at = now() if pinned else None
        emu.gateway.emit("MESSAGE_UPDATE", msg_json(emu, msg))
        data: dict[str, Any] = {"channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        emu.gateway.emit("CHANNEL_PINS_UPDATE", data)


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


@router.add("POST", "/channels/{channel_id}/typing")
async def typing(emu: DiscordEmulator, req: Req) -> Any:
    get_channel(emu, req.int("channel_id"))
    return None
