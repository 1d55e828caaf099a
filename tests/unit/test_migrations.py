import sqlite3
from pathlib import Path

import pytest

from bot.data.database import MIGRATIONS_DIR, Database, MigrationError, discover_migrations, split_statements


async def tables(db: Database) -> set[str]:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


async def test_fresh_apply_creates_the_whole_schema(tmp_path: Path):
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        names = await tables(db)
        for table in ("guild_settings", "recommendations", "posts", "reactions", "feedback", "signups"):
            assert table in names
        versions = await db.applied_versions()
        assert versions == {m.version for m in discover_migrations()}
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_rerun_is_a_no_op(tmp_path: Path):
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        assert await db.migrate() == []
    finally:
        await db.close()
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        assert await db.migrate() == []
    finally:
        await db.close()


async def test_failing_migration_is_rolled_back(tmp_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for source in sorted(MIGRATIONS_DIR.glob("*.sql")):
        (migrations / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (migrations / "9998_good_then_bad.sql").write_text(
        "-- 9998: creates a table, then fails\n"
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO half_done (id) VALUES (1);\n"
        "INSERT INTO no_such_table (id) VALUES (1);\n",
        encoding="utf-8",
    )
    path = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError, match=r"9998_good_then_bad\.sql failed and was rolled back"):
        await Database.open(path, migrations_dir=migrations)
    db = await Database.open(path, migrate=False)
    try:
        assert "half_done" not in await tables(db)
        assert 9998 not in await db.applied_versions()
        assert "guild_settings" in await tables(db)
    finally:
        await db.close()


def test_badly_named_migration_is_refused(tmp_path: Path):
    (tmp_path / "1_x.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"not named NNNN_name\.sql"):
        discover_migrations(tmp_path)


async def test_triggers_and_strings_with_semicolons_stay_whole(tmp_path: Path):
    migrations = tmp_path / "m"
    migrations.mkdir()
    (migrations / "0001_x.sql").write_text(
        "CREATE TABLE t (v TEXT);\n"
        "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN\n"
        "  UPDATE t SET v = v || ';x' WHERE rowid = new.rowid;\n"
        "END;\n"
        "INSERT INTO t (v) VALUES ('a;b');\n"
    )
    db = await Database.open(tmp_path / "db.sqlite3", migrations_dir=migrations)
    try:
        assert await db.fetchval("SELECT v FROM t") == "a;b;x"
    finally:
        await db.close()


async def test_a_cancelled_transaction_is_rolled_back(tmp_path: Path):
    import asyncio

    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        started = asyncio.Event()

        async def interrupted():
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")
                started.set()
                await asyncio.sleep(30)

        task = asyncio.create_task(interrupted())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.transaction() as tx:  # no transaction was left open
            await tx.execute("INSERT INTO bot_state (key, value) VALUES ('other', 'v')")
        assert await db.fetchval("SELECT COUNT(*) FROM bot_state WHERE key = 'k'") == 0
        assert await db.fetchval("SELECT COUNT(*) FROM bot_state WHERE key = 'other'") == 1
    finally:
        await db.close()


async def test_cancelled_while_beginning_leaves_no_transaction_open(tmp_path: Path):
    """Regression: a cancel that lands on the BEGIN await used to leave the transaction open."""
    import asyncio

    db = await Database.open(tmp_path / "db.sqlite3")
    try:

        async def writer():
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")

        task = asyncio.create_task(writer())
        await asyncio.sleep(0)  # the task is now awaiting BEGIN IMMEDIATE on aiosqlite's thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_state (key, value) VALUES ('after', 'v')")
        assert await db.fetchval("SELECT value FROM bot_state WHERE key = 'after'") == "v"
    finally:
        await db.close()


def copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for source in sorted(MIGRATIONS_DIR.glob("*.sql")):
        (folder / source.name).write_bytes(source.read_bytes())
    return folder


async def test_no_migrations_is_an_error_not_an_up_to_date_database(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        with pytest.raises(MigrationError, match=r"no migrations found in .*the installation is incomplete"):
            await Database.open(tmp_path / "db.sqlite3", migrations_dir=folder)


async def test_each_applied_migration_records_its_checksum(tmp_path: Path):
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        rows = await db.fetchall("SELECT version, checksum FROM schema_migrations")
        assert {row[0]: row[1] for row in rows} == {m.version: m.checksum for m in discover_migrations()}
        assert all(len(row[1]) == 64 for row in rows)
    finally:
        await db.close()


async def test_a_changed_applied_migration_is_refused_with_its_name(tmp_path: Path):
    folder = copy_migrations(tmp_path)
    path = tmp_path / "db.sqlite3"
    await (await Database.open(path, migrations_dir=folder)).close()
    changed = folder / "0004_officehours.sql"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n-- an edit after the fact\n", encoding="utf-8"
    )
    with pytest.raises(MigrationError) as refused:
        await Database.open(path, migrations_dir=folder)
    assert str(refused.value) == (
        "migration 0004_officehours.sql was changed after it was applied to this database: "
        "put the original file back and write the change as a new numbered migration."
    )
    # Line endings alone are not a change (a Windows checkout).
    changed.write_bytes((MIGRATIONS_DIR / "0004_officehours.sql").read_bytes().replace(b"\n", b"\r\n"))
    await (await Database.open(path, migrations_dir=folder)).close()


async def test_checksums_are_backfilled_for_a_database_made_before_they_were_kept(tmp_path: Path):
    path = tmp_path / "db.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE schema_migrations"
        " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for migration in discover_migrations():
        for statement in split_statements(migration.path.read_text(encoding="utf-8")):
            old.execute(statement)
        old.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, '2025-01-01T00:00:00Z')",
            (migration.version, migration.name),
        )
    old.commit()
    old.close()
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT version, checksum FROM schema_migrations")
        assert {row[0]: row[1] for row in rows} == {m.version: m.checksum for m in discover_migrations()}
    finally:
        await db.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path):
    folder = copy_migrations(tmp_path)
    (folder / "0099_future.sql").write_text(
        "-- 0099: a later version's table\nCREATE TABLE future (id INTEGER);\n"
    )
    path = tmp_path / "db.sqlite3"
    await (await Database.open(path, migrations_dir=folder)).close()
    with pytest.raises(
        MigrationError, match=r"0099_future\.sql was applied to this database but is not in this"
    ):
        await Database.open(path)
