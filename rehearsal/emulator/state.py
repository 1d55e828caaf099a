"""Ground truth of the emulated Discord: plain Python objects with int ids, plus permission maths."""

from __future__ import annotations

import datetime
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import discord.utils

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
PIN_MESSAGES = 1 << 51
ALL_PERMISSIONS = (1 << 52) - 1

EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_DEFAULT = ALL_PERMISSIONS & ~ADMINISTRATOR

THREAD_TYPES = (10, 11, 12)
_lock = threading.Lock()
_last_id = 0


def snowflake() -> int:
    """A new, strictly increasing snowflake carrying the current time."""
    global _last_id
    with _lock:
        candidate = discord.utils.time_snowflake(discord.utils.utcnow()) + secrets.randbelow(1024)
        _last_id = max(candidate, _last_id + 1)
        return _last_id


def snowflake_on_shard(shard_id: int, shard_count: int) -> int:
    """A new snowflake whose guild would be served by shard ``shard_id`` of ``shard_count``."""
    global _last_id
    with _lock:
        base = max(discord.utils.time_snowflake(discord.utils.utcnow()), _last_id + 1)
        _last_id = base + ((shard_id - (base >> 22) % shard_count) % shard_count << 22)
        return _last_id


def now() -> datetime.datetime:
    return discord.utils.utcnow()


def iso(when: datetime.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    dm_open: bool = True


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False


@dataclass
class Member:
    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    locale: str = "en-US"
    joined_at: datetime.datetime = field(default_factory=now)

    @property
    def id(self) -> int:
        return self.user.id


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild channel, a thread (type 11/12) or a DM channel (type 1)."""

    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: datetime.datetime = field(default_factory=now)
    applied_tags: list[int] = field(default_factory=list)
    invitable: bool = True
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: set[int] = field(default_factory=set)
    # DMs
    recipient_id: int | None = None
    last_message_id: int | None = None
    flags: int = 0

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None


@dataclass
class Message:
    id: int
    channel_id: int
    author_id: int
    content: str = ""
    guild_id: int | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    pinned: bool = False
    pinned_at: datetime.datetime | None = None
    timestamp: datetime.datetime = field(default_factory=now)
    edited_timestamp: datetime.datetime | None = None
    message_reference: dict[str, Any] | None = None
    allowed_mentions: dict[str, Any] | None = None
    mentions: list[int] = field(default_factory=list)
    type: int = 0
    tts: bool = False
    nonce: str | int | None = None
    interaction_metadata: dict[str, Any] | None = None
    webhook_id: int | None = None
    ephemeral: bool = False
    deleted: bool = False
    # emoji key ("👍" or "name:id") -> user ids in reaction order
    # emoji -> the users who reacted, in order (a dict as an ordered set: membership is O(1) at 10k users)
    reactions: dict[str, dict[int, None]] = field(default_factory=dict)

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return [(a.filename, a.data) for a in self.attachments]


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    scheduled_start_time: str
    entity_type: int
    privacy_level: int = 2
    status: int = 1
    description: str | None = None
    channel_id: int | None = None
    scheduled_end_time: str | None = None
    entity_metadata: dict[str, Any] | None = None
    creator_id: int | None = None


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    bot_role_id: int = 0
    preferred_locale: str = "en-US"
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    events: dict[int, ScheduledEvent] = field(default_factory=dict)
    joined_at: datetime.datetime = field(default_factory=now)


@dataclass
class State:
    """All objects of the emulated Discord, indexed by id."""

    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    # channel id -> message ids in creation order (ephemeral messages are not listed)
    history: dict[int, list[int]] = field(default_factory=dict)
    dm_channels: dict[int, int] = field(default_factory=dict)  # user id -> DM channel id
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # (guild id, command id or application id) -> {target id: CommandPermission}, as an administrator
    # sets them in Server Settings > Integrations (see command_permissions.py)
    command_overrides: dict[tuple[int, int], dict[int, Any]] = field(default_factory=dict)

    def member(self, guild_id: int, user_id: int) -> Member | None:
        guild = self.guilds.get(guild_id)
        return guild.members.get(user_id) if guild else None

    def base_permissions(self, guild_id: int, user_id: int) -> int:
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.roles[guild_id].permissions
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions(self, user_id: int, channel_id: int) -> int:
        """Effective permissions of a member in a channel (threads use their parent's overwrites)."""
        channel = self.channels[channel_id]
        if channel.guild_id is None:
            return EVERYONE_DEFAULT
        base = self.base_permissions(channel.guild_id, user_id)
        if base & ADMINISTRATOR or base == ALL_PERMISSIONS:
            return base
        source = self.channels.get(channel.parent_id) if channel.is_thread else channel
        if source is None:
            return base
        member = self.guilds[channel.guild_id].members.get(user_id)
        role_ids = set(member.roles) if member else set()
        perms = base
        allow = deny = 0
        for ow in source.overwrites:
            if ow.type == 0 and ow.id == channel.guild_id:
                perms = (perms & ~ow.deny) | ow.allow
            elif ow.type == 0 and ow.id in role_ids:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        for ow in source.overwrites:
            if ow.type == 1 and ow.id == user_id:
                perms = (perms & ~ow.deny) | ow.allow
        return perms

    def has(self, user_id: int, channel_id: int, *bits: int) -> bool:
        """True if the member has any of ``bits`` in the channel."""
        perms = self.permissions(user_id, channel_id)
        return any(perms & bit == bit for bit in bits)

    def channel_messages(self, channel_id: int) -> list[Message]:
        return [self.messages[i] for i in self.history.get(channel_id, [])]
