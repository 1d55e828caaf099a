"""A linked server's health as the bot finds it in Discord's state (bot/selfcheck's permission check)."""

from __future__ import annotations

import discord

from bot.data.guilds import GuildSettings
from bot.selfcheck import check_permissions


def health_of(guild: discord.Guild, settings: GuildSettings | None) -> tuple[str, str | None]:
    """``(health, detail)``: its consultation channel gone (``channel_missing``), a permission the bot
    lacks there or server-wide (``permission_missing``, the permissions named), else ``ok``."""
    if settings is None or settings.channel_id is None:
        return "channel_missing", None
    report = check_permissions(guild, settings)
    if settings.channel_id in report.gone:
        return "channel_missing", f"<#{settings.channel_id}>"
    lacking = sorted(
        {gap.need.permission for gap in report.gaps if gap.channel_id in (settings.channel_id, None)}
    )
    if lacking:
        return "permission_missing", ", ".join(lacking)
    return "ok", None
