"""``python -m bot health | backup | restore`` as an operator (or systemd) runs them: real subprocesses."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.data.database import Database
from bot.data.heartbeat import Beat, HeartbeatRepository
from bot.ops.lock import exclusive

from .test_cli import run


def write_beat(path: Path, *, age: float, connected: bool = True, running: bool = True) -> None:
    """A heartbeat as the bot writes it, ``age`` seconds before the real now (the CLI's clock)."""

    async def write() -> None:
        db = await Database.open(path)
        try:
            at = datetime.now(UTC) - timedelta(seconds=age)
            since = at - timedelta(minutes=5)
            await HeartbeatRepository(db).write(Beat(at, connected, since, running, 4242))
        finally:
            await db.close()

    asyncio.run(write())


def health(path: Path, *args: str):
    return run("health", *args, env={"DATABASE_PATH": str(path)}, cwd=path.parent)


def test_health_is_ok_only_for_a_fresh_connected_heartbeat(tmp_path):
    path = tmp_path / "db.sqlite3"
    nothing = health(path)
    assert nothing.returncode == 1
    assert nothing.stderr.strip() == f"error: no heartbeat: there is no database at {path}."
    assert not path.exists()  # the check never creates a database

    assert run("migrate", env={"DATABASE_PATH": str(path)}, cwd=tmp_path).returncode == 0
    never = health(path)
    assert never.returncode == 1
    assert never.stderr.strip() == "error: no heartbeat: no bot has run on this database yet."

    write_beat(path, age=5)
    fresh = health(path)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.startswith("healthy: gateway connected, last heartbeat ")

    write_beat(path, age=600)
    stale = health(path)
    assert stale.returncode == 1
    assert "error: the heartbeat is stale since " in stale.stderr
    assert "the bot is not running or is stuck." in stale.stderr
    assert health(path, "--max-age", "900").returncode == 0

    write_beat(path, age=5, connected=False)
    disconnected = health(path)
    assert disconnected.returncode == 1
    assert "the bot is running but its gateway is disconnected since " in disconnected.stderr

    write_beat(path, age=5, connected=False, running=False)
    stopped = health(path)
    assert stopped.returncode == 1 and "error: the bot stopped at " in stopped.stderr
    for result in (nothing, never, stale, disconnected, stopped):
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def tables_and_rows(path: Path) -> tuple[str, int]:
    connection = sqlite3.connect(path)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        guilds = connection.execute("SELECT COUNT(*) FROM guild_settings").fetchone()[0]
    finally:
        connection.close()
    return verdict, guilds


def test_backup_then_restore_round_trip_keeps_the_replaced_database(tmp_path):
    path = tmp_path / "db.sqlite3"
    env = {"DATABASE_PATH": str(path)}
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    assert run("content", "load", "bot/content/default.toml", "--guild", "42", env=env).returncode == 0
    write_beat(path, age=1)
    backup = tmp_path / "backups" / "one.sqlite3"
    taken = run("backup", str(backup), env=env, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    assert taken.stdout.strip() == f"Backed up {path} to {backup} (integrity check: ok)."
    assert tables_and_rows(backup) == ("ok", 1)
    again = run("backup", str(backup), env=env, cwd=tmp_path)
    assert again.returncode == 2 and "already exists: choose a new file name" in again.stderr

    # The database changes after the backup; the restore brings back the backup's moment.
    connection = sqlite3.connect(path)
    connection.execute("DELETE FROM guild_settings")
    connection.commit()
    connection.close()
    restored = run("restore", str(backup), env=env, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Restored {backup} into {path}; the database it replaced is kept as ")
    kept = Path(restored.stdout.split("kept as ")[1].strip().rstrip("."))
    assert tables_and_rows(path) == ("ok", 1)
    assert tables_and_rows(kept) == ("ok", 0)
    # The backup's heartbeat belonged to the bot it was taken from, not to a bot running now.
    assert health(path).stderr.strip() == "error: no heartbeat: no bot has run on this database yet."


def test_a_damaged_backup_is_refused_and_the_database_untouched(tmp_path):
    path = tmp_path / "db.sqlite3"
    env = {"DATABASE_PATH": str(path)}
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    assert run("content", "load", "bot/content/default.toml", "--guild", "42", env=env).returncode == 0
    before = path.read_bytes()
    damaged = tmp_path / "damaged.sqlite3"
    assert run("backup", str(damaged), env=env, cwd=tmp_path).returncode == 0
    data = bytearray(damaged.read_bytes())
    data[4096 * 2 : 4096 * 2 + 200] = b"\xff" * 200  # a b-tree page overwritten
    damaged.write_bytes(bytes(data))
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not a database", encoding="utf-8")
    for bad, sentence in (
        (damaged, "failed its integrity check"),
        (not_a_db, "failed its integrity check"),
        (tmp_path / "missing.sqlite3", "there is no backup at"),
    ):
        result = run("restore", str(bad), env=env, cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert sentence in result.stderr and "Traceback" not in result.stderr
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "restor" in p.name or "pre-" in p.name) == []


def test_restore_is_refused_while_the_database_is_held(tmp_path):
    path = tmp_path / "db.sqlite3"
    env = {"DATABASE_PATH": str(path)}
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    backup = tmp_path / "backup.sqlite3"
    assert run("backup", str(backup), env=env, cwd=tmp_path).returncode == 0
    with exclusive(path, "python -m bot run"):
        refused = run("restore", str(backup), env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith(f"error: {path} is in use by python -m bot run (pid ")
    assert run("restore", str(backup), env=env, cwd=tmp_path).returncode == 0
