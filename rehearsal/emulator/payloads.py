"""JSON payloads in Discord API v10 shapes (ids as strings), built from the ground-truth objects."""

from __future__ import annotations

from typing import Any

from .state import (
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    State,
    User,
    iso,
)


def sid(value: int | None) -> str | None:
    return str(value) if value is not None else None


def user_payload(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
    }


def role_payload(role: Role) -> dict[str, Any]:
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
        "tags": {},
    }


def member_payload(
    member: Member, *, with_user: bool = True, permissions: int | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in member.roles],
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(member.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def tag_payload(tag: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(tag["id"]),
        "name": tag["name"],
        "moderated": tag.get("moderated", False),
        "emoji_id": sid(tag.get("emoji_id")),
        "emoji_name": tag.get("emoji_name"),
    }


def channel_payload(channel: Channel, *, permissions: int | None = None) -> dict[str, Any]:
    if channel.type == 1:
        return {
            "id": str(channel.id),
            "type": 1,
            "last_message_id": sid(channel.last_message_id),
            "recipients": [],
            "flags": 0,
        }
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "parent_id": sid(channel.parent_id),
        "rate_limit_per_user": channel.rate_limit_per_user,
        "last_message_id": sid(channel.last_message_id),
        "flags": channel.flags,
    }
    if channel.is_thread:
        data.update(
            {
                "owner_id": str(channel.owner_id),
                "message_count": channel.message_count,
                "total_message_sent": channel.total_message_sent,
                "member_count": len(channel.member_ids),
                "applied_tags": [str(t) for t in channel.applied_tags],
                "thread_metadata": {
                    "archived": channel.archived,
                    "auto_archive_duration": channel.auto_archive_duration,
                    "archive_timestamp": iso(channel.archive_timestamp),
                    "locked": channel.locked,
                    "invitable": channel.invitable,
                    "create_timestamp": iso(channel.archive_timestamp),
                },
            }
        )
    else:
        data.update(
            {
                "position": channel.position,
                "topic": channel.topic,
                "nsfw": channel.nsfw,  # threads follow their parent: Discord sends no nsfw on them
                "permission_overwrites": [
                    {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
                    for o in channel.overwrites
                ],
            }
        )
        if channel.type == 15:
            data["available_tags"] = [tag_payload(t) for t in channel.available_tags]
            data["default_reaction_emoji"] = None
            data["default_thread_rate_limit_per_user"] = 0
            data["default_sort_order"] = None
            data["default_forum_layout"] = 0
        if channel.type in (2, 13):
            data["bitrate"] = 64000
            data["user_limit"] = 0
            data["rtc_region"] = None
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def attachment_payload(att: Attachment, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/attachments/{att.id}/{att.filename}"
    data: dict[str, Any] = {
        "id": str(att.id),
        "filename": att.filename,
        "size": len(att.data),
        "url": url,
        "proxy_url": url,
    }
    if att.content_type:
        data["content_type"] = att.content_type
    if att.description:
        data["description"] = att.description
    return data


def emoji_payload(key: str) -> dict[str, Any]:
    """``"👍"`` -> unicode emoji; ``"name:id"`` (or ``"a:name:id"``) -> custom emoji."""
    parts = key.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        return {"id": parts[-1], "name": parts[-2], "animated": parts[0] == "a" and len(parts) == 3}
    return {"id": None, "name": key}


def component_payloads(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord answers them: every component numbered (``id``, depth first, from 1,
    keeping ids the bot chose) and a unicode emoji without an ``id`` key."""
    taken = set()

    def walk_ids(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("id") is not None:
                taken.add(item["id"])
            walk_ids(item.get("components") or [])

    walk_ids(components)
    counter = 0

    def number(item: dict[str, Any]) -> dict[str, Any]:
        nonlocal counter
        out = dict(item)
        if out.get("id") is None:
            counter += 1
            while counter in taken:
                counter += 1
            out["id"] = counter
        emoji = out.get("emoji")
        if isinstance(emoji, dict) and emoji.get("id") is None:
            out["emoji"] = {k: v for k, v in emoji.items() if k != "id"}
        if "components" in out:
            out["components"] = [number(c) for c in out["components"] or []]
        return out

    return [number(c) for c in components]


def message_payload(
    state: State, msg: Message, *, bot_user_id: int, base_url: str, gateway: bool = True
) -> dict[str, Any]:
    """A message as the gateway sends it, or as REST answers it (``gateway=False``): only gateway
    events carry ``guild_id`` and the author's ``member``; over REST the author is a plain user."""
    author = state.users[msg.author_id]
    data: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "type": msg.type,
        "author": user_payload(author),
        "content": msg.content,
        "timestamp": iso(msg.timestamp),
        "edited_timestamp": iso(msg.edited_timestamp),
        "tts": msg.tts,
        "mention_everyone": False,
        "mentions": [user_payload(state.users[u]) for u in msg.mentions if u in state.users],
        "mention_roles": [],
        "attachments": [attachment_payload(a, base_url) for a in msg.attachments],
        "embeds": msg.embeds,
        "components": component_payloads(msg.components),
        "pinned": msg.pinned,
        "flags": msg.flags,
        "reactions": [
            {
                "emoji": emoji_payload(key),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": bot_user_id in users,
                "me_burst": False,
                "burst_colors": [],
            }
            for key, users in msg.reactions.items()
            if users
        ],
    }
    if gateway and msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
        member = state.member(msg.guild_id, msg.author_id)
        if member is not None:
            data["member"] = member_payload(member, with_user=False)
    if msg.nonce is not None:
        data["nonce"] = msg.nonce
    if msg.message_reference is not None:
        data["message_reference"] = msg.message_reference
    if msg.interaction_metadata is not None:
        data["interaction_metadata"] = msg.interaction_metadata
    if msg.webhook_id is not None:
        data["webhook_id"] = str(msg.webhook_id)
        data["application_id"] = str(msg.webhook_id)
    channel = state.channels.get(msg.channel_id)
    if channel is not None and channel.is_thread and msg.id == channel.id:
        data["position"] = 0
    return data


def event_payload(event: ScheduledEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "guild_id": str(event.guild_id),
        "channel_id": sid(event.channel_id),
        "creator_id": sid(event.creator_id),
        "name": event.name,
        "description": event.description,
        "scheduled_start_time": event.scheduled_start_time,
        "scheduled_end_time": event.scheduled_end_time,
        "privacy_level": event.privacy_level,
        "status": event.status,
        "entity_type": event.entity_type,
        "entity_id": None,
        "entity_metadata": event.entity_metadata,
        "user_count": 0,
        "image": None,
        "recurrence_rule": None,
        "guild_scheduled_event_exceptions": [],
    }


def guild_payload(state: State, guild: Guild) -> dict[str, Any]:
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": ["COMMUNITY"],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


def guild_create_payload(
    state: State, guild: Guild, *, bot_user_id: int, all_members: bool
) -> dict[str, Any]:
    data = guild_payload(state, guild)
    channels = [state.channels[c] for c in guild.channel_ids]
    members = list(guild.members.values()) if all_members else [guild.members[bot_user_id]]
    data.update(
        {
            "joined_at": iso(guild.joined_at),
            "large": len(guild.members) > 250,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [member_payload(m) for m in members],
            "channels": [channel_payload(c) for c in channels if not c.is_thread],
            "threads": [channel_payload(c) for c in channels if c.is_thread and not c.archived],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [event_payload(e) for e in guild.events.values()],
            "soundboard_sounds": [],
        }
    )
    return data
