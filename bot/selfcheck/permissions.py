"""What the bot needs to be allowed to do in each channel it uses, and what fails without it.

The bot's permissions in a channel are its roles' permissions with the channel's overwrites applied
(discord.py's ``channel.permissions_for(guild.me)``, from the roles and overwrites Discord sends over
the gateway). Only a permission's root cause is named: without View Channel nothing else in that
channel counts, and without Send Messages Discord also withholds Embed Links and Attach Files.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.data.guilds import GuildSettings


@dataclass(frozen=True, slots=True)
class Need:
    """A permission the bot needs, the catalogue key of what fails without it, and whether
    ``/consultation publish`` would stop half way without it."""

    permission: str  # a discord.Permissions flag
    without: str  # catalogue key
    blocks_publish: bool = False


VIEW = Need("view_channel", "selfcheck.without.view", blocks_publish=True)
CONSULTATION = (
    VIEW,
    Need("send_messages", "selfcheck.without.post_drafts", blocks_publish=True),
    Need("embed_links", "selfcheck.without.embeds", blocks_publish=True),
    Need("add_reactions", "selfcheck.without.reactions", blocks_publish=True),
    Need("read_message_history", "selfcheck.without.history", blocks_publish=True),
    Need("send_messages_in_threads", "selfcheck.without.thread_notices"),
    Need("manage_threads", "selfcheck.without.manage_threads"),
    Need("manage_messages", "selfcheck.without.manage_messages"),
)
FORUM_ONLY = (Need("manage_channels", "selfcheck.without.forum_tags"),)
TEXT_ONLY = (Need("create_public_threads", "selfcheck.without.create_threads", blocks_publish=True),)
DIGEST = (
    Need("view_channel", "selfcheck.without.view"),
    Need("send_messages", "selfcheck.without.digest_send"),
    Need("embed_links", "selfcheck.without.digest_embeds"),
    Need("attach_files", "selfcheck.without.digest_files"),
)
MODLOG = (
    Need("view_channel", "selfcheck.without.view"),
    Need("send_messages", "selfcheck.without.modlog_send"),
)
SERVER = (Need("manage_events", "selfcheck.without.events"),)

# Discord's own names for the permissions (Server Settings > Roles), in the catalogue.
PERMISSION_NAMES = {
    "view_channel": "selfcheck.permission.view_channel",
    "send_messages": "selfcheck.permission.send_messages",
    "send_messages_in_threads": "selfcheck.permission.send_messages_in_threads",
    "create_public_threads": "selfcheck.permission.create_public_threads",
    "embed_links": "selfcheck.permission.embed_links",
    "attach_files": "selfcheck.permission.attach_files",
    "add_reactions": "selfcheck.permission.add_reactions",
    "read_message_history": "selfcheck.permission.read_message_history",
    "manage_threads": "selfcheck.permission.manage_threads",
    "manage_messages": "selfcheck.permission.manage_messages",
    "manage_channels": "selfcheck.permission.manage_channels",
    "manage_events": "selfcheck.permission.manage_events",
}
IMPLIED_BY_SEND = frozenset({"embed_links", "attach_files"})


@dataclass(frozen=True, slots=True)
class Gap:
    """A permission the bot lacks where it needs it (``channel_id`` None: server-wide)."""

    channel_id: int | None
    need: Need


@dataclass(frozen=True, slots=True)
class PermissionReport:
    gaps: tuple[Gap, ...]
    checked: tuple[int, ...]  # channels whose permissions were checked
    gone: tuple[int, ...]  # configured channels that no longer exist

    @property
    def publish_blockers(self) -> tuple[Gap, ...]:
        return tuple(gap for gap in self.gaps if gap.need.blocks_publish)

    @property
    def ok(self) -> bool:
        return not self.gaps and not self.gone


def missing(have: discord.Permissions, needs: tuple[Need, ...]) -> list[Need]:
    """The needs ``have`` does not cover, root causes only."""
    lacking = [need for need in needs if not getattr(have, need.permission)]
    names = {need.permission for need in lacking}
    if "view_channel" in names:
        return [need for need in lacking if need.permission == "view_channel"]
    if "send_messages" in names:
        return [need for need in lacking if need.permission not in IMPLIED_BY_SEND]
    return lacking


def consultation_needs(channel: discord.abc.GuildChannel) -> tuple[Need, ...]:
    extra = FORUM_ONLY if isinstance(channel, discord.ForumChannel) else TEXT_ONLY
    return CONSULTATION + extra


def consultation_gaps(channel: discord.abc.GuildChannel) -> list[Gap]:
    """What the bot lacks in the consultation channel (a forum, or a text channel)."""
    have = channel.permissions_for(channel.guild.me)
    return [Gap(channel.id, need) for need in missing(have, consultation_needs(channel))]


def check_permissions(guild: discord.Guild, settings: GuildSettings) -> PermissionReport:
    """The bot's permissions in the consultation, digest and mod-log channels, and server-wide."""
    gaps: list[Gap] = []
    checked: list[int] = []
    gone: list[int] = []
    places: list[tuple[int | None, tuple[Need, ...] | None]] = [
        (settings.channel_id, None),
        (settings.digest_channel_id, DIGEST),
        (settings.modlog_channel_id, MODLOG),
    ]
    for channel_id, needs in places:
        if channel_id is None or channel_id in checked:
            continue
        channel = guild.get_channel(channel_id)
        if channel is None:
            gone.append(channel_id)
            continue
        checked.append(channel_id)
        if needs is None:
            gaps.extend(consultation_gaps(channel))
        else:
            have = channel.permissions_for(guild.me)
            gaps.extend(Gap(channel_id, need) for need in missing(have, needs))
    gaps.extend(Gap(None, need) for need in missing(guild.me.guild_permissions, SERVER))
    return PermissionReport(tuple(gaps), tuple(checked), tuple(gone))
