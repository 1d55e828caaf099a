"""REST routes on threads: starting one (in a channel, a forum or from a message), thread members
and the archived list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import actions
from .actions import get_channel, get_message, rest_msg_json
from .limits import ApiError
from .payloads import channel_payload
from .rest import Req, router
from .rest_channels import require
from .state import CREATE_PUBLIC_THREADS, SEND_MESSAGES, now

if TYPE_CHECKING:
    from .control import DiscordEmulator


# -- threads ----------------------------------------------------------------------------------------


@router.add("POST", "/channels/{channel_id}/threads")
async def start_thread(emu: DiscordEmulator, req: Req) -> Any:
    parent = get_channel(emu, req.int("channel_id"))
    body = req.body or {}
    if parent.type == 15:
        require(emu, parent.id, SEND_MESSAGES)
    else:
        require(emu, parent.id, CREATE_PUBLIC_THREADS)
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
    require(emu, parent.id, CREATE_PUBLIC_THREADS)
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
    get_channel(emu, req.int("channel_id")).member_ids.add(req.user_id(emu))
    return None


@router.add("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def leave_thread(emu: DiscordEmulator, req: Req) -> Any:
    get_channel(emu, req.int("channel_id")).member_ids.discard(req.user_id(emu))
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
