"""The operations commands of ``python -m bot``: backup, restore, health, migrate-data. Each returns its
sentence. Backup and restore are SQLite's (its online backup API); on PostgreSQL they refuse and name
the PostgreSQL tools."""

from __future__ import annotations

from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.data.heartbeat import heartbeat_key
from bot.ops.backup import BackupError, restore_backup, take_backup
from bot.ops.heartbeat import Health, check_health


def _sqlite_only(settings: Settings, command: str, tool: str) -> None:
    if settings.database_url:
        raise BackupError(
            f"{command} works on a SQLite database; DATABASE_URL names a PostgreSQL one: use {tool}."
        )


async def backup_command(settings: Settings, target: Path) -> str:
    _sqlite_only(settings, "backup", "pg_dump --format=custom")
    await take_backup(settings.database_path, target)
    return f"Backed up {settings.database_path} to {target} (integrity check: ok)."


async def restore_command(settings: Settings, backup: Path) -> str:
    _sqlite_only(settings, "restore", "pg_restore (with the bot stopped)")
    kept = await restore_backup(backup, settings.database_path, SystemClock().now())
    where = f"; the database it replaced is kept as {kept}" if kept is not None else ""
    return f"Restored {backup} into {settings.database_path}{where}."


async def health_command(settings: Settings, max_age: float) -> Health:
    database = settings.database_url or settings.database_path
    key = heartbeat_key(settings.shard_ids)  # the beat of the process with this SHARD_IDS
    return await check_health(database, SystemClock().now(), max_age, key)
