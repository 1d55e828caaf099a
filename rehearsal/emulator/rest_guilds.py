"""Guild routes: the guild, its channels, active threads, emojis, roles, members and scheduled events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .limits import FormErrors, missing_permissions, not_found
from .payloads import channel_payload, event_payload, guild_payload, member_payload, role_payload
from .rest import Req, router
from .scheduled_events import apply_edit
from .state import MANAGE_EVENTS, Guild, ScheduledEvent, snowflake

if TYPE_CHECKING:
    from .control import DiscordEmulator


# -- guilds -----------------------------------------------------------------------------------------


def _guild(emu: DiscordEmulator, req: Req) -> Guild:
    guild = emu.state.guilds.get(req.int("guild_id"))
    if guild is None:
        raise not_found("Guild", 10004)
    return guild


@router.add("GET", "/guilds/{guild_id}")
async def get_guild(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    data = guild_payload(emu.state, guild)
    data["approximate_member_count"] = len(guild.members)
    return data


@router.add("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    channels = [emu.state.channels[c] for c in guild.channel_ids]
    return [channel_payload(c) for c in channels if not c.is_thread]


@router.add("GET", "/guilds/{guild_id}/threads/active")
async def get_active_threads(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    channels = [emu.state.channels[c] for c in guild.channel_ids]
    threads = [channel_payload(c) for c in channels if c.is_thread and not c.archived]
    return {"threads": threads, "members": []}


@router.add("GET", "/guilds/{guild_id}/emojis")
async def list_emojis(emu: DiscordEmulator, req: Req) -> Any:
    """The guild has no custom emojis; the route exists for its per-guild shared rate limit."""
    _guild(emu, req)
    return []


@router.add("GET", "/guilds/{guild_id}/roles")
async def get_roles(emu: DiscordEmulator, req: Req) -> Any:
    return [role_payload(r) for r in _guild(emu, req).roles.values()]


@router.add("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(emu: DiscordEmulator, req: Req) -> Any:
    member = _guild(emu, req).members.get(req.int("user_id"))
    if member is None:
        raise not_found("Member", 10007)
    return member_payload(member)


@router.add("GET", "/guilds/{guild_id}/members")
async def get_members(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    limit = min(int(req.query.get("limit", 1)), 1000)
    after = int(req.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return [member_payload(m) for m in members[:limit]]


# -- scheduled events -------------------------------------------------------------------------------


def _require_events(emu: DiscordEmulator, guild_id: int) -> None:
    if not emu.state.base_permissions(guild_id, emu.bot_user_id) & MANAGE_EVENTS:
        raise missing_permissions()


def _event(guild: Guild, req: Req) -> ScheduledEvent:
    event = guild.events.get(req.int("event_id"))
    if event is None:
        raise not_found("Guild Scheduled Event", 10070)
    return event


@router.add("GET", "/guilds/{guild_id}/scheduled-events")
async def list_events(emu: DiscordEmulator, req: Req) -> Any:
    return [event_payload(e) for e in _guild(emu, req).events.values()]


@router.add("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def get_event(emu: DiscordEmulator, req: Req) -> Any:
    return event_payload(_event(_guild(emu, req), req))


@router.add("POST", "/guilds/{guild_id}/scheduled-events")
async def create_event(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    _require_events(emu, guild.id)
    body = req.body or {}
    form = FormErrors()
    form.length("name", body.get("name"), 1, 100)
    if body.get("description") is not None:
        form.length("description", body["description"], 0, 1000)
    if not body.get("scheduled_start_time"):
        form.add("scheduled_start_time", "BASE_TYPE_REQUIRED", "This field is required")
    entity_type = int(body.get("entity_type") or 0)
    if entity_type == 3 and not body.get("scheduled_end_time"):
        form.add("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required")
    if entity_type in (1, 2) and not body.get("channel_id"):
        form.add("channel_id", "BASE_TYPE_REQUIRED", "This field is required")
    form.raise_if_any()
    channel_id = body.get("channel_id")
    event = ScheduledEvent(
        id=snowflake(),
        guild_id=guild.id,
        name=body["name"],
        scheduled_start_time=body["scheduled_start_time"],
        entity_type=entity_type,
        privacy_level=int(body.get("privacy_level") or 2),
        description=body.get("description"),
        channel_id=int(channel_id) if channel_id else None,
        scheduled_end_time=body.get("scheduled_end_time"),
        entity_metadata=body.get("entity_metadata"),
        creator_id=emu.bot_user_id,
    )
    guild.events[event.id] = event
    emu.gateway.emit("GUILD_SCHEDULED_EVENT_CREATE", event_payload(event))
    return event_payload(event)


@router.add("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def edit_event(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    _require_events(emu, guild.id)
    return apply_edit(emu, _event(guild, req), req.body or {})


@router.add("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def delete_event(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    _require_events(emu, guild.id)
    event = guild.events.pop(_event(guild, req).id)
    emu.gateway.emit("GUILD_SCHEDULED_EVENT_DELETE", event_payload(event))
    return None
