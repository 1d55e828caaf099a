"""The backup's moment is exact: what ``during`` reads is what the copy holds, whatever is committed
by another connection between that read and the copy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.data.database import Database
from bot.ops.backup import BackupError, check_integrity, take_backup

# Backups through the bot are SQLite's online backup API; PostgreSQL is backed up with pg_dump.
pytestmark = pytest.mark.sqlite_only


def count(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT COUNT(*) FROM bot_state").fetchone()[0]
    finally:
        connection.close()


async def test_a_commit_after_the_snapshot_is_not_in_the_backup(db: Database, tmp_path: Path):
    for n in range(10):
        await db.execute("INSERT INTO bot_state (key, value) VALUES (?, 'v')", (f"k{n}",))
    target = tmp_path / "backup.sqlite3"

    async def read_then_let_others_write(snapshot: Database) -> int:
        seen = await snapshot.fetchval("SELECT COUNT(*) FROM bot_state")
        # The bot's connection commits while the backup's read transaction is open.
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_state (key, value) VALUES ('late', 'v')")
        assert await snapshot.fetchval("SELECT COUNT(*) FROM bot_state") == seen
        return seen

    seen = await take_backup(db.path, target, during=read_then_let_others_write)
    assert seen == 10
    assert count(target) == 10
    assert await db.fetchval("SELECT COUNT(*) FROM bot_state") == 11
    assert check_integrity(target) == "ok"
    assert not target.with_name(target.name + "-wal").exists()  # one self-contained file


async def test_a_backup_never_overwrites_nor_invents_a_source(db: Database, tmp_path: Path):
    existing = tmp_path / "exists.sqlite3"
    existing.write_text("precious", encoding="utf-8")
    with pytest.raises(BackupError, match="already exists: choose a new file name"):
        await take_backup(db.path, existing)
    assert existing.read_text(encoding="utf-8") == "precious"
    with pytest.raises(BackupError, match="there is no database at"):
        await take_backup(tmp_path / "nowhere.sqlite3", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "nowhere.sqlite3").exists()
