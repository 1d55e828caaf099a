"""State changes shared by the REST API and the control API; each one dispatches the gateway events
Discord would emit for it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .limits import ApiError, FormErrors, check_files, check_message, not_found
from .payloads import channel_payload, in_guild, member_payload, message_payload
from .state import Attachment, Channel, Message, now, snowflake

if TYPE_CHECKING:
    from .control import DiscordEmulator

MENTION = re.compile(r"<@!?(\d+)>")
MAX_REACTION_EMOJI = 20


def msg_json(emu: DiscordEmulator, msg: Message) -> dict[str, Any]:
    """A message as gateway events carry it."""
    return message_payload(emu.state, msg, bot_user_id=emu.bot_user_id, base_url=emu.base_url)


def rest_msg_json(emu: DiscordEmulator, msg: Message) -> dict[str, Any]:
    """A message as REST answers carry it (no ``guild_id``, no ``member``)."""
    return message_payload(emu.state, msg, bot_user_id=emu.bot_user_id, base_url=emu.base_url, gateway=False)


def get_channel(emu: DiscordEmulator, channel_id: int) -> Channel:
    channel = emu.state.channels.get(channel_id)
    if channel is None:
        raise not_found("Channel", 10003)
    return channel


def get_message(emu: DiscordEmulator, channel_id: int, message_id: int) -> Message:
    msg = emu.state.messages.get(message_id)
    if msg is None or msg.channel_id != channel_id or msg.deleted:
        raise not_found("Message", 10008)
    return msg


def create_message(
    emu: DiscordEmulator,
    author_id: int,
    channel_id: int,
    body: dict[str, Any],
    files: list[tuple[str, bytes, str | None]] | None = None,
    *,
    dispatch: bool = True,
    ephemeral: bool = False,
    msg_id: int | None = None,
    **extra: Any,
) -> Message:
    """Store a message (after the limits) and dispatch MESSAGE_CREATE unless ephemeral."""
    state = emu.state
    channel = get_channel(emu, channel_id)
    check_message(body)
    files = files or []
    check_files(files)
    content = body.get("content") or ""
    keys = ("embeds", "components", "poll", "sticker_ids")
    if not (content or files or any(body.get(k) for k in keys)):
        raise ApiError(400, 50006, "Cannot send an empty message")
    attachments = []
    meta = {str(a.get("id")): a for a in body.get("attachments") or []}
    for i, (filename, data, ctype) in enumerate(files):
        desc = (meta.get(str(i)) or {}).get("description")
        attachments.append(Attachment(snowflake(), filename, data, ctype, desc))
    flags = int(body.get("flags") or 0)
    if ephemeral:
        flags |= 64
    msg = Message(
        id=msg_id or snowflake(),
        channel_id=channel_id,
        author_id=author_id,
        content=content,
        guild_id=channel.guild_id,
        embeds=list(body.get("embeds") or []),
        components=list(body.get("components") or []),
        attachments=attachments,
        flags=flags,
        message_reference=body.get("message_reference"),
        allowed_mentions=body.get("allowed_mentions"),
        mentions=[int(m) for m in MENTION.findall(content) if int(m) in state.users],
        tts=bool(body.get("tts")),
        nonce=body.get("nonce"),
        ephemeral=ephemeral,
        **extra,
    )
    if msg.message_reference is not None:
        msg.type = 19
        msg.message_reference.setdefault("channel_id", str(channel_id))
    state.messages[msg.id] = msg
    if not ephemeral:
        state.history.setdefault(channel_id, []).append(msg.id)
        channel.last_message_id = msg.id
        if channel.is_thread and msg.id != channel.id:
            channel.message_count += 1
            channel.total_message_sent += 1
        if dispatch:
            emu.gateway.emit("MESSAGE_CREATE", msg_json(emu, msg))
    return msg


def edit_message(
    emu: DiscordEmulator,
    msg: Message,
    body: dict[str, Any],
    files: list[tuple[str, bytes, str | None]] | None = None,
) -> Message:
    check_message(body)
    files = files or []
    check_files(files)
    if "content" in body:
        msg.content = body["content"] or ""
        msg.mentions = [int(m) for m in MENTION.findall(msg.content) if int(m) in emu.state.users]
    for key in ("embeds", "components"):
        if key in body:
            setattr(msg, key, list(body[key] or []))
    if "allowed_mentions" in body:  # what an edit may ping is the edit's own choice
        msg.allowed_mentions = body["allowed_mentions"]
    if "flags" in body and body["flags"] is not None:
        msg.flags = (msg.flags & 64) | int(body["flags"])
    if "attachments" in body:
        keep = {str(a.get("id")) for a in body["attachments"] or []}
        msg.attachments = [a for a in msg.attachments if str(a.id) in keep]
    for filename, data, ctype in files:
        msg.attachments.append(Attachment(snowflake(), filename, data, ctype))
    msg.edited_timestamp = now()
    msg.flags &= ~128  # no longer "loading"
    if not msg.ephemeral:
        emu.gateway.emit("MESSAGE_UPDATE", msg_json(emu, msg))
    return msg


def delete_message(emu: DiscordEmulator, msg: Message) -> None:
    msg.deleted = True
    history = emu.state.history.get(msg.channel_id, [])
    if msg.id in history:
        history.remove(msg.id)
    if msg.ephemeral:
        return
    data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
    emu.gateway.emit("MESSAGE_DELETE", in_guild(data, msg.guild_id))


def reaction_event(
    emu: DiscordEmulator, msg: Message, user_id: int, key: str, *, add: bool
) -> dict[str, Any]:
    from .payloads import emoji_payload

    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(msg.channel_id),
        "message_id": str(msg.id),
        "emoji": emoji_payload(key),
        "burst": False,
        "type": 0,
    }
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
        member = emu.state.member(msg.guild_id, user_id)
        if add and member is not None:
            data["member"] = member_payload(member)
    if add:
        data["message_author_id"] = str(msg.author_id)
        data["burst_colors"] = []
    return data


def add_reaction(
    emu: DiscordEmulator, msg: Message, user_id: int, key: str, *, dispatch: bool = True
) -> bool:
    """Add ``user_id``'s reaction; False if it already existed. Enforces the 20-emoji limit."""
    users = msg.reactions.get(key)
    if users is not None and user_id in users:
        return False
    if users is None:
        if sum(1 for u in msg.reactions.values() if u) >= MAX_REACTION_EMOJI:
            raise ApiError(400, 30010, "Maximum number of reactions reached (20)")
        users = msg.reactions[key] = {}
    users[user_id] = None
    if dispatch:
        emu.gateway.emit("MESSAGE_REACTION_ADD", reaction_event(emu, msg, user_id, key, add=True))
    return True


def remove_reaction(
    emu: DiscordEmulator, msg: Message, user_id: int, key: str, *, dispatch: bool = True
) -> bool:
    users = msg.reactions.get(key)
    if not users or user_id not in users:
        return False
    del users[user_id]
    if not users:
        del msg.reactions[key]
    if dispatch:
        emu.gateway.emit("MESSAGE_REACTION_REMOVE", reaction_event(emu, msg, user_id, key, add=False))
    return True


def create_thread(
    emu: DiscordEmulator,
    parent: Channel,
    owner_id: int,
    name: Any,
    *,
    thread_id: int | None = None,
    type_: int = 11,
    auto_archive_duration: int = 1440,
    rate_limit_per_user: int = 0,
    applied_tags: list[Any] | None = None,
    message: dict[str, Any] | None = None,
    files: list[tuple[str, bytes, str | None]] | None = None,
) -> tuple[Channel, Message | None]:
    """A thread (or forum post when ``parent`` is a forum: ``message`` is its starter)."""
    form = FormErrors()
    form.length("name", name, 1, 100)
    tags = [int(t) for t in applied_tags or []]
    if parent.type == 15:
        form.at_most("applied_tags", tags, 5)
        known = {int(t["id"]) for t in parent.available_tags}
        for i, tag in enumerate(tags):
            if tag not in known:
                form.add(f"applied_tags.{i}", "FORUM_TAG_UNKNOWN", "Unknown forum tag")
        if message is None and not files:
            form.add("message", "BASE_TYPE_REQUIRED", "This field is required")
    form.raise_if_any()
    if message is not None:
        check_message(message)
    thread = Channel(
        id=thread_id or snowflake(),
        type=type_,
        name=name,
        guild_id=parent.guild_id,
        parent_id=parent.id,
        owner_id=owner_id,
        auto_archive_duration=auto_archive_duration,
        rate_limit_per_user=rate_limit_per_user or 0,
        applied_tags=tags,
        member_ids={owner_id},
    )
    state = emu.state
    state.channels[thread.id] = thread
    if parent.guild_id is not None:
        state.guilds[parent.guild_id].channel_ids.append(thread.id)
    data = channel_payload(thread)
    data["newly_created"] = True
    emu.gateway.emit("THREAD_CREATE", data)
    starter = None
    if message is not None or files:
        starter = create_message(emu, owner_id, thread.id, message or {}, files, msg_id=thread.id)
    return thread, starter


def thread_update(emu: DiscordEmulator, thread: Channel) -> None:
    emu.gateway.emit("THREAD_UPDATE" if thread.is_thread else "CHANNEL_UPDATE", channel_payload(thread))
