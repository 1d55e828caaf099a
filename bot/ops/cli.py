"""The operations commands of ``python -m bot``: backup, restore, health. Each returns its sentence."""

from __future__ import annotations

from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.data.heartbeat import heartbeat_key
from bot.ops.backup import restore_backup, take_backup
from bot.ops.heartbeat import Health, check_health


async def backup_command(settings: Settings, target: Path) -> str:
    await take_backup(settings.database_path, target)
    return f"Backed up {settings.database_path} to {target} (integrity check: ok)."


async def restore_command(settings: Settings, backup: Path) -> str:
    kept = await restore_backup(backup, settings.database_path, SystemClock().now())
    where = f"; the database it replaced is kept as {kept}" if kept is not None else ""
    return f"Restored {backup} into {settings.database_path}{where}."


async def health_command(settings: Settings, max_age: float) -> Health:
    key = heartbeat_key(settings.shard_ids)  # the beat of the process with this SHARD_IDS
    return await check_health(settings.database_path, SystemClock().now(), max_age, key)
