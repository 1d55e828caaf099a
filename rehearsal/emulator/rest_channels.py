"""REST routes on channels: channel edits (threads, forum tags) and messages, with the bot's permission
checks. Reactions and pins live in ``rest_reactions``, threads and thread members in ``rest_threads``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import actions
from .actions import get_channel, get_message, rest_msg_json
from .limits import ApiError, FormErrors, check_tags, missing_permissions
from .payloads import channel_payload, in_guild
from .rest import Req, router
from .state import (
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    Channel,
    now,
    snowflake,
)

if TYPE_CHECKING:
    from .control import DiscordEmulator


def require(emu: DiscordEmulator, channel_id: int, *bits: int) -> None:
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
        require(emu, msg.channel_id, MANAGE_MESSAGES)
    actions.delete_message(emu, msg)
    return None


@router.add("POST", "/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(emu: DiscordEmulator, req: Req) -> Any:
    channel = get_channel(emu, req.int("channel_id"))
    require(emu, channel.id, MANAGE_MESSAGES)
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
    data = {"ids": deleted, "channel_id": str(channel.id)}
    emu.gateway.emit("MESSAGE_DELETE_BULK", in_guild(data, channel.guild_id))
    return None


@router.add("POST", "/channels/{channel_id}/typing")
async def typing(emu: DiscordEmulator, req: Req) -> Any:
    get_channel(emu, req.int("channel_id"))
    return None
