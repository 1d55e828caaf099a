"""Record an action in the audit log and, when the guild has one, announce it in its mod-log channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.data.audit import AuditEntry, AuditRepository
from bot.i18n import t

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


async def record_action(
    bot: ConsultationBot,
    guild_id: int,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Every moderation and working-group action goes through here (publish, edit, phase, hide...)."""
    entry = await AuditRepository(bot.db).record(guild_id, actor_id, action, target, reason, bot.clock.now())
    await announce(bot, entry)
    return entry


async def announce(bot: ConsultationBot, entry: AuditEntry) -> None:
    """Post an entry already in the audit log to the guild's mod-log channel, when it has one."""
    guild_id, actor_id, action, target, reason = (
        entry.guild_id, entry.actor_id, entry.action, entry.target, entry.reason
    )  # fmt: skip
    settings = await bot.guild_repository.get(guild_id)
    channel = bot.get_channel(settings.modlog_channel_id) if settings and settings.modlog_channel_id else None
    if isinstance(channel, discord.abc.Messageable):
        line = (
            t("audit.by_member", actor_id=actor_id, action=action)
            if actor_id
            else t("audit.by_bot", action=action)
        )
        if target:
            line += t("audit.on_target", target=target)
        if reason:
            line += t("audit.because", reason=reason)
        try:
            await channel.send(line[:2000], allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            log.warning("Could not post to the mod-log channel of guild %s: %s", guild_id, error)
