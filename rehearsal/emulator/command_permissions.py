"""Application command permissions: the overrides an administrator sets in Server Settings >
Integrations, who they show a command to, and the REST routes a bot may (read) or may not (write) use.

Discord's model (developer docs, "Application Command Permissions Object"; support articles
"Command Permissions" and "Updates to Command Permissions", February 2023):

* overrides are kept per guild for a command (its id) or for the whole application (the application
  id: "the permissions apply to all commands that do not contain explicit overwrites");
* each names a role (1), a user (2) or a channel (3); constants: ``guild_id`` is @everyone,
  ``guild_id - 1`` is All Channels;
* members with Administrator use every command;
* a command-level override overrides the app-level one for the same target, and the most specific
  target decides, as with channel overwrites: the member, then their roles (any allow wins), then
  @everyone; channels likewise (the channel, a thread's parent, then All Channels);
* ``default_member_permissions`` still applies when overrides exist: an app-wide @everyone allow does
  not open a command that needs, say, Manage Events; an allow for the member or one of their roles
  (command- or app-level), or the command's own @everyone, does;
* writing overrides needs a user's Bearer token: a bot token gets 403, code 20001.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .limits import ApiError, not_found
from .rest import Req, router
from .state import ADMINISTRATOR

if TYPE_CHECKING:
    from .control import DiscordEmulator

ROLE, USER, CHANNEL = 1, 2, 3


@dataclass
class CommandPermission:
    id: int
    type: int
    permission: bool

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "permission": self.permission}


def target_type(emu: DiscordEmulator, guild_id: int, target_id: int) -> int:
    """What an override's target id names in this guild (@everyone is the role with the guild's id)."""
    guild = emu.state.guilds[guild_id]
    if target_id in guild.roles:
        return ROLE
    if target_id == guild_id - 1 or target_id in emu.state.channels:
        return CHANNEL
    return USER


def permissions_payload(emu: DiscordEmulator, guild_id: int, target_id: int) -> dict[str, Any]:
    entries = emu.state.command_overrides.get((guild_id, target_id), {})
    return {
        "id": str(target_id),
        "application_id": str(emu.application_id),
        "guild_id": str(guild_id),
        "permissions": [entry.payload() for entry in entries.values()],
    }


def _decide(levels: list[dict[int, CommandPermission]], target_id: int) -> bool | None:
    for level in levels:
        entry = level.get(target_id)
        if entry is not None:
            return entry.permission
    return None


def _decide_roles(levels: list[dict[int, CommandPermission]], role_ids: list[int]) -> bool | None:
    for level in levels:
        found = [level[role].permission for role in role_ids if role in level]
        if found:
            return any(found)
    return None


def hidden_reason(
    emu: DiscordEmulator, cmd: dict[str, Any], user_id: int, guild_id: int, channel_id: int | None = None
) -> str | None:
    """Why ``cmd`` is not offered to the member (in ``channel_id``), or None when it is."""
    state = emu.state
    perms = state.base_permissions(guild_id, user_id)
    if perms & ADMINISTRATOR:
        return None
    levels = [
        state.command_overrides.get((guild_id, int(cmd["id"])), {}),
        state.command_overrides.get((guild_id, emu.application_id), {}),
    ]
    name = cmd["name"]
    if channel_id is not None and channel_id in state.channels:
        channel = state.channels[channel_id]
        source = channel.parent_id if channel.is_thread and channel.parent_id else channel.id
        in_channel = _decide(levels, source)
        if in_channel is None:
            in_channel = _decide(levels, guild_id - 1)
        if in_channel is False:
            return f"/{name} is hidden in channel {channel_id} by a command override"
    member = state.member(guild_id, user_id)
    decided = _decide(levels, user_id)
    if decided is None:
        decided = _decide_roles(levels, [r for r in (member.roles if member else []) if r != guild_id])
    if decided is None:
        everyone = levels[0].get(guild_id)
        if everyone is not None:
            decided = everyone.permission
        elif guild_id in levels[1] and not levels[1][guild_id].permission:
            decided = False
    if decided is not None:
        return None if decided else f"/{name} is hidden from member {user_id} by a command override"
    required = cmd.get("default_member_permissions")
    if required is None:
        return None
    if int(required) == 0 or perms & int(required) != int(required):
        return f"/{name} is not visible to member {user_id} (default_member_permissions={required})"
    return None


# -- REST --------------------------------------------------------------------------------------------


def _guild(emu: DiscordEmulator, req: Req) -> int:
    if req.int("app_id") != emu.application_id:
        raise ApiError(403, 50001, "Missing Access")
    guild_id = req.int("guild_id")
    if guild_id not in emu.state.guilds:
        raise ApiError(403, 50001, "Missing Access")
    return guild_id


@router.add("GET", "/applications/{app_id}/guilds/{guild_id}/commands/permissions")
async def guild_command_permissions(emu: DiscordEmulator, req: Req) -> Any:
    guild_id = _guild(emu, req)
    return [
        permissions_payload(emu, guild_id, target)
        for (gid, target), entries in emu.state.command_overrides.items()
        if gid == guild_id and entries
    ]


@router.add("GET", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}/permissions")
async def command_permissions(emu: DiscordEmulator, req: Req) -> Any:
    guild_id = _guild(emu, req)
    target = req.int("command_id")
    known = {int(c["id"]) for c in emu.synced_commands()} | {
        int(c["id"]) for c in emu.synced_commands(guild_id)
    }
    if target != emu.application_id and target not in known:
        raise not_found("application command", 10063)
    if not emu.state.command_overrides.get((guild_id, target)):
        raise not_found("application command permissions", 10066)
    return permissions_payload(emu, guild_id, target)


@router.add("PUT", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}/permissions")
@router.add("PUT", "/applications/{app_id}/guilds/{guild_id}/commands/permissions")
async def edit_command_permissions(emu: DiscordEmulator, req: Req) -> Any:
    # Only a user's Bearer token (applications.commands.permissions.update) may; the emulator's
    # administrators use DiscordEmulator.override_command_visibility instead.
    raise ApiError(403, 20001, "Bots cannot use this endpoint")
