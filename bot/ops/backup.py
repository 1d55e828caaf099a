"""``python -m bot backup FILE`` and ``restore FILE``.

A backup is SQLite's online backup API run inside one read transaction: the copy is the database at one
moment (what any reader saw at that moment), however much the running bot writes meanwhile. A restore
runs only while no bot holds the database, checks the backup first, and keeps the database it replaces.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.data.database import Database, MigrationError
from bot.data.heartbeat import HeartbeatRepository
from bot.ops.lock import exclusive

T = TypeVar("T")


class BackupError(Exception):
    """A backup or restore was refused or failed; the message is one sentence and nothing was changed."""


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def check_integrity(path: Path) -> str:
    try:
        connection = _read_only(path)
        try:
            return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return str(error)


async def take_backup(
    source: Path, target: Path, during: Callable[[Database], Awaitable[T]] | None = None
) -> T | None:
    """Copy ``source`` to ``target`` (a new file). ``during`` runs on the backup's own connection in the
    same read transaction the copy is made from, so what it reads is exactly what the copy holds."""
    partial = _prepare_backup(source, target)
    db = await Database.open(source, migrate=False)
    try:
        async with db.read_snapshot():
            seen = await during(db) if during is not None else None
            await db.backup_to(partial)
    finally:
        await db.close()
    _finish_backup(partial, target)
    return seen


def _prepare_backup(source: Path, target: Path) -> Path:
    if not source.is_file():
        raise BackupError(f"there is no database at {source} to back up.")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name (a backup never overwrites).")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    return partial


def _finish_backup(partial: Path, target: Path) -> None:
    verdict = check_integrity(partial)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check ({verdict}); {target} was not written.")
    os.replace(partial, target)


async def restore_backup(backup: Path, database: Path, now: datetime) -> Path | None:
    """Replace ``database`` with ``backup``; returns where the replaced database is kept (None if there
    was none). Refused while a bot holds the database; on any failure ``database`` is left as it was."""
    _check_backup(backup, database)
    with exclusive(database, "python -m bot restore"):
        verdict = check_integrity(backup)
        if verdict != "ok":
            raise BackupError(f"{backup} failed its integrity check ({verdict}): nothing was restored.")
        staged = database.with_name(database.name + ".restoring")
        try:
            await _stage(backup, staged)
            return _swap(staged, database, now)
        except BaseException:
            _remove(staged)
            raise


def _check_backup(backup: Path, database: Path) -> None:
    if backup.resolve() == database.resolve():
        raise BackupError(f"{backup} is the database itself: name a backup file.")
    if not backup.is_file():
        raise BackupError(f"there is no backup at {backup}.")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _swap(staged: Path, database: Path, now: datetime) -> Path | None:
    """Keep the current database (checkpointed into one file) and put the staged copy in its place."""
    kept = None
    if database.exists():
        _checkpoint(database)
        kept = database.with_name(f"{database.name}.pre-restore-{now.strftime('%Y%m%dT%H%M%SZ')}")
        shutil.copy2(database, kept)
        wal = database.with_name(database.name + "-wal")
        if wal.exists() and wal.stat().st_size:  # a damaged database could not be checkpointed
            shutil.copy2(wal, kept.with_name(kept.name + "-wal"))
    # The old WAL must not meet the new file: after the checkpoint it is empty, and it goes now.
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    os.replace(staged, database)
    return kept


async def _stage(backup: Path, staged: Path) -> None:
    """Copy the backup beside the database and check it is a database this installation can run."""
    _remove(staged)
    source = _read_only(backup)
    destination = sqlite3.connect(staged)
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migrations" not in tables:
            raise BackupError(f"{backup} is not a consultation-bot database: nothing was restored.")
        source.backup(destination)
        destination.execute("PRAGMA journal_mode = DELETE")
    finally:
        source.close()
        destination.close()
    db = await Database.open(staged, migrate=False)
    try:
        await db.verify_applied()
        await HeartbeatRepository(db).clear()  # the beat of the bot the backup was taken from
    except MigrationError as error:
        raise BackupError(f"{backup} cannot be used by this installation: {error}") from None
    finally:
        await db.close()
    if (verdict := check_integrity(staged)) != "ok":
        raise BackupError(
            f"the copy of {backup} failed its integrity check ({verdict}): nothing was restored."
        )


def _checkpoint(database: Path) -> None:
    """Move everything in the WAL into the database file, so the file alone is the whole database."""
    connection = sqlite3.connect(database)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError:
        return  # damaged: it is kept as it is, WAL included, and replaced
    finally:
        connection.close()
    if busy:
        raise BackupError(f"{database} is busy (another connection is open): nothing was restored.")
