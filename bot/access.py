"""Who may run what: each command declares its access once, checked at run time.

Visibility (``default_permissions``) is a hint Discord applies and server administrators may
override, so every command is also checked here when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

from bot.errors import AccessDenied, UserError

if TYPE_CHECKING:
    from bot.client import ConsultationBot

T = TypeVar("T")


class Access(StrEnum):
    MEMBER = "member"
    WORKING_GROUP = "working_group"
    MODERATOR = "moderator"
    ADMINISTRATOR = "administrator"


# What a command group needs by default to be visible; administrators can grant more in
# Server Settings > Integrations.
VISIBILITY: dict[Access, discord.Permissions | None] = {
    Access.MEMBER: None,
    Access.WORKING_GROUP: discord.Permissions(manage_events=True),
    Access.MODERATOR: discord.Permissions(manage_threads=True),
    Access.ADMINISTRATOR: discord.Permissions(administrator=True),
}


# The sentence a member reads when a command or a button is not theirs (every member may run MEMBER's).
REFUSAL: dict[Access, str] = {
    Access.WORKING_GROUP: "access.working_group",
    Access.MODERATOR: "access.moderator",
    Access.ADMINISTRATOR: "access.administrator",
}


async def member_access(interaction: discord.Interaction[ConsultationBot]) -> set[Access]:
    """Every access level the member holds in this guild."""
    levels = {Access.MEMBER}
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return levels
    permissions = interaction.permissions
    if permissions.administrator:
        return set(Access)
    settings = await interaction.client.guild_repository.get(interaction.guild.id)
    role_ids = {role.id for role in member.roles}
    if settings is not None and settings.working_group_role_id in role_ids:
        levels.add(Access.WORKING_GROUP)
    if permissions.manage_threads or (settings is not None and settings.moderator_role_id in role_ids):
        levels.add(Access.MODERATOR)
    return levels


async def ensure_access(interaction: discord.Interaction[ConsultationBot], access: Access) -> None:
    """Refuse unless the member holds ``access`` here: the one check behind ``require`` (commands) and
    persistent buttons and forms (whose custom id anyone who sees it can replay)."""
    if interaction.guild is None:
        raise UserError("errors.guild_only")
    if access is Access.MEMBER or access in await member_access(interaction):
        return
    raise AccessDenied(REFUSAL[access])


def require(access: Access) -> Callable[[T], T]:
    """Declare who may run a command: recorded in ``extras`` and checked when it runs."""

    async def predicate(interaction: discord.Interaction[ConsultationBot]) -> bool:
        await ensure_access(interaction, access)
        return True

    def decorator(command: T) -> T:
        if not isinstance(command, app_commands.Command):
            raise TypeError("put @require(...) above @app_commands.command(...)")
        command.extras["access"] = access
        command.add_check(predicate)
        return command

    return decorator
