"""The control API's part for building the world: guilds, roles, members, channels, threads and DM
channels, as an administrator (or Discord itself) would set them up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import actions, command_permissions
from .command_permissions import CommandPermission
from .interactions import find_command
from .payloads import channel_payload, guild_create_payload, role_payload
from .state import (
    BOT_DEFAULT,
    EVERYONE_DEFAULT,
    Channel,
    Guild,
    Member,
    Overwrite,
    Role,
    User,
    snowflake,
    snowflake_on_shard,
)

if TYPE_CHECKING:
    from .control import DiscordEmulator


class WorldControl:
    """Guilds, roles, members and channels, created directly in the state."""

    def _new_user(self: DiscordEmulator, name: str, *, bot: bool = False, dm_open: bool = True) -> User:
        user = User(snowflake(), name, bot=bot, global_name=name, dm_open=dm_open)
        self.state.users[user.id] = user
        return user

    def create_guild(
        self: DiscordEmulator,
        name: str,
        *,
        owner_id: int | None = None,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild with @everyone, a "Bot" role (``BOT_DEFAULT`` permissions) and the bot as member.

        Without ``owner_id`` an "Owner" member is created; ``shard`` (id, count) picks an id that
        shard serves."""
        gid = snowflake_on_shard(*shard) if shard is not None else snowflake()
        if owner_id is None:
            owner_id = self._new_user(f"{name} Owner").id
        guild = Guild(gid, name, owner_id, preferred_locale=locale)
        guild.roles[gid] = Role(gid, gid, "@everyone", EVERYONE_DEFAULT)
        bot_role = Role(snowflake(), gid, "Bot", BOT_DEFAULT, position=1, managed=True)
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        self.state.guilds[gid] = guild
        guild.members[owner_id] = Member(self.state.users[owner_id], gid)
        bot = self.state.users[self.bot_user_id]
        guild.members[bot.id] = Member(bot, gid, roles=[bot_role.id])
        return guild

    def override_command_visibility(
        self: DiscordEmulator, guild_id: int, command: str | None, target_id: int, *, allow: bool = True
    ) -> None:
        """What an administrator does in Server Settings > Integrations > the bot: show (or hide) the
        top-level ``command`` (``None``: every command of the app, the page's top section) to a
        member, a role, everyone (``target_id`` = the guild id), or in a channel (a channel id, or
        the guild id - 1 for All Channels). Discord tells the bot with
        APPLICATION_COMMAND_PERMISSIONS_UPDATE."""
        key = self.application_id if command is None else int(find_command(self, guild_id, command)["id"])
        entries = self.state.command_overrides.setdefault((guild_id, key), {})
        entries[target_id] = CommandPermission(
            target_id, command_permissions.target_type(self, guild_id, target_id), allow
        )
        self.gateway.emit(
            "APPLICATION_COMMAND_PERMISSIONS_UPDATE",
            command_permissions.permissions_payload(self, guild_id, key),
        )

    def set_bot_permissions(self: DiscordEmulator, guild_id: int, permissions: int) -> None:
        """Change the bot's role's permissions (as an administrator in Server Settings > Roles)."""
        guild = self.state.guilds[guild_id]
        role = guild.roles[guild.bot_role_id]
        role.permissions = int(permissions)
        self.gateway.emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role_payload(role)})

    def set_channel_overwrite(
        self: DiscordEmulator,
        channel_id: int,
        target_id: int,
        *,
        allow: int = 0,
        deny: int = 0,
        member: bool = False,
    ) -> Channel:
        """Set (or, with neither ``allow`` nor ``deny``, remove) a channel's permission overwrite for a
        role (or a ``member``), as an administrator does in the channel's Permissions."""
        channel = self.state.channels[channel_id]
        kept = [ow for ow in channel.overwrites if ow.id != target_id]
        if allow or deny:
            kept.append(Overwrite(target_id, 1 if member else 0, int(allow), int(deny)))
        channel.overwrites = kept
        actions.thread_update(self, channel)
        return channel

    def create_role(
        self: DiscordEmulator, guild_id: int, name: str, *, permissions: int = 0, **kw: Any
    ) -> Role:
        guild = self.state.guilds[guild_id]
        role = Role(snowflake(), guild_id, name, int(permissions), position=len(guild.roles), **kw)
        guild.roles[role.id] = role
        self.gateway.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role_payload(role)})
        return role

    def create_member(
        self: DiscordEmulator,
        guild_id: int,
        name: str,
        *,
        roles: Iterable[int] = (),
        locale: str = "en-US",
        dm_open: bool = True,
        bot: bool = False,
        nick: str | None = None,
    ) -> Member:
        user = self._new_user(name, bot=bot, dm_open=dm_open)
        return self.add_member(guild_id, user.id, roles=roles, locale=locale, nick=nick)

    def add_member(
        self: DiscordEmulator,
        guild_id: int,
        user_id: int,
        *,
        roles: Iterable[int] = (),
        locale: str = "en-US",
        nick: str | None = None,
    ) -> Member:
        """Add an existing user (e.g. a member of another guild) to a guild."""
        member = Member(self.state.users[user_id], guild_id, list(roles), nick, locale)
        self.state.guilds[guild_id].members[user_id] = member
        return member

    def create_channel(
        self: DiscordEmulator,
        guild_id: int,
        name: str,
        *,
        type: Any = 0,
        parent_id: int | None = None,
        available_tags: Iterable[Any] = (),
        topic: str | None = None,
        overwrites: Iterable[Overwrite] = (),
    ) -> Channel:
        """A guild channel; ``available_tags`` items are names or dicts (name, moderated, emoji_name)."""
        kind = int(getattr(type, "value", type))
        tags = []
        for tag in available_tags:
            spec = {"name": tag} if isinstance(tag, str) else dict(tag)
            spec.setdefault("id", snowflake())
            spec["id"] = int(spec["id"])
            tags.append(spec)
        guild = self.state.guilds[guild_id]
        channel = Channel(
            id=snowflake(),
            type=kind,
            name=name,
            guild_id=guild_id,
            parent_id=parent_id,
            position=len(guild.channel_ids),
            topic=topic,
            available_tags=tags,
            overwrites=list(overwrites),
        )
        self.state.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    async def create_thread(
        self: DiscordEmulator,
        user_id: int,
        parent_id: int,
        name: str,
        *,
        content: str = "",
        applied_tags: Iterable[int] = (),
        message_id: int | None = None,
    ) -> Channel:
        """A member opens a thread (forum post with ``content`` when the parent is a forum)."""
        parent = self.state.channels[parent_id]
        starter = {"content": content} if parent.type == 15 else None
        thread, _ = actions.create_thread(
            self,
            parent,
            user_id,
            name,
            thread_id=message_id,
            applied_tags=list(applied_tags),
            message=starter,
        )
        return thread

    def remove_bot(self: DiscordEmulator, guild_id: int) -> None:
        """An administrator kicks the bot: it leaves the guild's members and gets GUILD_DELETE (not
        ``unavailable``); later sessions no longer receive the guild."""
        guild = self.state.guilds[guild_id]
        guild.members.pop(self.bot_user_id, None)
        self.gateway.emit("GUILD_DELETE", {"id": str(guild_id)})

    def add_bot(self: DiscordEmulator, guild_id: int) -> None:
        """An administrator adds the bot back (its "Bot" role again): GUILD_CREATE of a joined guild."""
        guild = self.state.guilds[guild_id]
        bot = self.state.users[self.bot_user_id]
        guild.members[bot.id] = Member(bot, guild_id, roles=[guild.bot_role_id])
        payload = guild_create_payload(self.state, guild, bot_user_id=bot.id, all_members=False)
        payload.pop("unavailable")  # absent on a join (present when a known guild becomes available)
        self.gateway.emit("GUILD_CREATE", payload)

    def delete_channel(self: DiscordEmulator, channel_id: int) -> None:
        """An administrator deletes a guild channel: CHANNEL_DELETE."""
        channel = self.state.channels.pop(channel_id)
        if channel.guild_id is not None:
            self.state.guilds[channel.guild_id].channel_ids.remove(channel_id)
        self.gateway.emit("CHANNEL_DELETE", channel_payload(channel))

    def dm_channel(self: DiscordEmulator, user_id: int) -> Channel:
        channel_id = self.state.dm_channels.get(user_id)
        if channel_id is None:
            channel = Channel(id=snowflake(), type=1, name=None, recipient_id=user_id)
            self.state.channels[channel.id] = channel
            self.state.dm_channels[user_id] = channel.id
            return channel
        return self.state.channels[channel_id]
