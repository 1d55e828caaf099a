"""Can a member who holds only the role chosen at set-up see the commands that role is for?

Discord decides who is offered a top-level command, from two things a bot token can read: the
command's ``default_member_permissions`` and the guild's command permission overrides (set by an
administrator in Server Settings > Integrations; a bot may read them, never write them). The rule,
for a member with only @everyone and the role (no override names a single member here):

* Administrator (from @everyone or the role): every command;
* an override for the role, the command's own before the app-wide one (``id`` = application id);
* else the command's @everyone override; an app-wide @everyone deny hides it too, while an app-wide
  @everyone allow leaves ``default_member_permissions`` in force (Discord, February 2023);
* else ``default_member_permissions``: the role and @everyone together must hold every bit.

Channel overrides (a command switched off in some channels) are not considered: the role reaches the
command somewhere, and the bot's run-time check still decides what it may do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.access import Access

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

ADMINISTRATOR = discord.Permissions(administrator=True).value


@dataclass(frozen=True, slots=True)
class SyncedCommand:
    """A top-level command as Discord has it: its id and visibility default."""

    name: str
    id: int
    default_member_permissions: int | None


Overrides = Mapping[int, Mapping[int, bool]]  # command id or application id -> {target id: allowed}


def role_sees(
    command: SyncedCommand,
    overrides: Overrides,
    *,
    application_id: int,
    guild_id: int,
    role_id: int,
    permissions: int,
) -> bool:
    """Whether a member holding only @everyone and ``role_id`` (``permissions`` = both together) is
    offered ``command``."""
    if permissions & ADMINISTRATOR:
        return True
    own = overrides.get(command.id, {})
    app = overrides.get(application_id, {})
    for level in (own, app):
        if role_id in level:
            return level[role_id]
    if guild_id in own:
        return own[guild_id]
    if app.get(guild_id) is False:
        return False
    required = command.default_member_permissions
    if required is None:
        return True
    return required != 0 and permissions & required == required


def audience_commands(
    commands: Iterable[app_commands.Command[Any, ..., Any] | app_commands.Group], access: Access
) -> list[str]:
    """Top-level commands holding at least one subcommand declared for ``access`` (``@require``)."""

    def leaves(
        command: app_commands.Command[Any, ..., Any] | app_commands.Group,
    ) -> Iterable[app_commands.Command[Any, ..., Any]]:
        if isinstance(command, app_commands.Group):
            for child in command.commands:
                yield from leaves(child)
        else:
            yield command

    return [
        command.name
        for command in commands
        if any(leaf.extras.get("access") is access for leaf in leaves(command))
    ]


@dataclass(frozen=True, slots=True)
class RoleReach:
    """For one role chosen at set-up: the commands it is for, and those its members cannot see."""

    access: Access
    role_id: int
    commands: tuple[str, ...]
    unreachable: tuple[str, ...]
    role_exists: bool = True

    @property
    def ok(self) -> bool:
        return self.role_exists and not self.unreachable


async def read_discord_state(
    bot: ConsultationBot, guild: discord.Guild
) -> tuple[list[SyncedCommand], dict[int, dict[int, bool]]]:
    """The synced commands and this guild's overrides, as Discord has them now."""
    synced = [
        SyncedCommand(
            command.name,
            command.id,
            None if command.default_member_permissions is None else command.default_member_permissions.value,
        )
        for command in await bot.tree.fetch_commands()
    ]
    assert bot.application_id is not None
    raw = await bot.http.get_guild_application_command_permissions(bot.application_id, guild.id)
    overrides = {
        int(entry["id"]): {
            int(p["id"]): bool(p["permission"]) for p in entry["permissions"] if p["type"] != 3
        }
        for entry in raw
    }
    return synced, overrides


async def check_reach(
    bot: ConsultationBot, guild: discord.Guild, roles: Mapping[Access, int | None]
) -> list[RoleReach]:
    """For each configured role, the commands of its audience that its members cannot see.

    Raises ``discord.HTTPException`` when Discord cannot be asked."""
    synced, overrides = await read_discord_state(bot, guild)
    by_name = {command.name: command for command in synced}
    assert bot.application_id is not None
    everyone = guild.default_role.permissions.value
    reports = []
    for access, role_id in roles.items():
        if role_id is None:
            continue
        names = tuple(audience_commands(bot.tree.get_commands(), access))
        role = guild.get_role(role_id)
        if role is None:
            reports.append(RoleReach(access, role_id, names, names, role_exists=False))
            continue
        unreachable = tuple(
            name
            for name in names
            if name not in by_name
            or not role_sees(
                by_name[name],
                overrides,
                application_id=bot.application_id,
                guild_id=guild.id,
                role_id=role_id,
                permissions=everyone | role.permissions.value,
            )
        )
        reports.append(RoleReach(access, role_id, names, unreachable))
    return reports
