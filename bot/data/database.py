"""The one connection to the database, its transactions, and the migration runner.

Every query of the bot goes through ``Database``: the data-access modules beside this one hold the
SQL, written with ``?`` placeholders and portable statements so a PostgreSQL backend can follow.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)


def _migrations_dir() -> Path:
    """``bot/migrations`` in an installed package (the build copies them there), else the source tree's."""
    packaged = Path(__file__).resolve().parents[1] / "migrations"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "migrations"


MIGRATIONS_DIR = _migrations_dir()
MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Params = Sequence[Any] | dict[str, Any]


class MigrationError(Exception):
    """A migration failed; the database was left as it was before it."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        """sha256 of the text; line endings normalised, so a checkout with CRLF reads as unchanged."""
        text = self.path.read_bytes().replace(b"\r\n", b"\n")
        return hashlib.sha256(text).hexdigest()


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The numbered SQL files of ``directory``; an empty or missing folder is an incomplete install."""
    if not directory.is_dir() or not any(directory.glob("*.sql")):
        raise MigrationError(
            f"no migrations found in {directory}: the installation is incomplete "
            "(reinstall the package; a wheel carries them in bot/migrations)."
        )
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name} is not named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in migrations]
    if len(versions) != len(set(versions)):
        raise MigrationError("two migration files share a number")
    return migrations


def split_statements(script: str) -> list[str]:
    """Split a migration script into statements, so the runner owns the transaction.

    ``executescript`` would commit first; feeding complete statements one by one keeps the whole
    migration inside one BEGIN ... COMMIT.
    """
    statements: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        current.append(line)
        candidate = "\n".join(current).strip()
        if sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    tail = "\n".join(current).strip()
    if tail and not all(part.strip().startswith("--") for part in tail.splitlines() if part.strip()):
        statements.append(tail)
    return statements


class Database:
    """One shared aiosqlite connection; statements and transactions are serialised by a lock."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(
        cls, path: Path | str, *, migrate: bool = True, migrations_dir: Path = MIGRATIONS_DIR
    ) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute("PRAGMA busy_timeout = 5000")
        database = cls(connection, path)
        if migrate:
            try:
                await database.migrate(migrations_dir)
            except BaseException:
                await database.close()
                raise
        return database

    async def close(self) -> None:
        async with self._lock:
            await self._connection.close()

    # -- statements -------------------------------------------------------------------------

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self._connection.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; return the last row id (for inserts)."""
        async with self._lock:
            cursor = await self._connection.execute(sql, params)
            return cursor.lastrowid or 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception, cancellation included.

        aiosqlite runs statements in order on its own thread, so a statement whose await was
        cancelled still runs; the ROLLBACK queued after it always closes the transaction.
        """
        async with self._lock:
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                yield Transaction(self._connection)
            except BaseException:
                await asyncio.shield(self._rollback())
                raise
            await self._connection.execute("COMMIT")

    async def _rollback(self) -> None:
        # When BEGIN itself failed there is no transaction to roll back.
        with suppress(sqlite3.OperationalError):
            await self._connection.execute("ROLLBACK")

    # -- readers ----------------------------------------------------------------------------

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Reader]:
        """A read-only connection of its own, in one read transaction (one snapshot) until the end.

        WAL lets it read while this connection writes: long reads (a digest) never hold the lock the
        reaction writer and sign-ups take, nor wait for it. An in-memory database has no second
        connection; there the reader borrows this one, statement by statement.
        """
        if str(self.path) == ":memory:":
            yield Reader(self._connection, self._lock)
            return
        connection = await aiosqlite.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA busy_timeout = 5000")
            await connection.execute("PRAGMA mmap_size = 268435456")  # big reads without a copy per page
            await connection.execute("BEGIN")
            # In WAL mode the snapshot is fixed by the first read, not by BEGIN: fix it now.
            await connection.execute_fetchall("SELECT COUNT(*) FROM sqlite_master")
            yield Reader(connection, asyncio.Lock())
        finally:
            await asyncio.shield(connection.close())

    # -- migrations -------------------------------------------------------------------------

    async def applied_versions(self) -> set[int]:
        await self._ensure_bookkeeping()
        rows = await self.fetchall("SELECT version FROM schema_migrations")
        return {row[0] for row in rows}

    async def _ensure_bookkeeping(self) -> None:
        # The runner owns this table (not a numbered file): the checksum column must exist before the
        # first migration is recorded, and databases made before checksums were kept get it added here.
        await self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT)"
        )
        columns = {row[1] for row in await self.fetchall("PRAGMA table_info(schema_migrations)")}
        if "checksum" not in columns:
            await self.execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")

    async def verify_applied(self, directory: Path = MIGRATIONS_DIR) -> None:
        """Refuse a database whose applied migrations differ from this installation's files.

        Applied migrations recorded before checksums were kept get the current file's checksum.
        """
        await self._ensure_bookkeeping()
        files = {m.version: m for m in discover_migrations(directory)}
        rows = await self.fetchall("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        backfill = []
        for version, name, checksum in rows:
            migration = files.get(version)
            if migration is None:
                raise MigrationError(
                    f"migration {version:04d}_{name}.sql was applied to this database but is not in this "
                    "installation: the database was made by a newer version of the bot."
                )
            if checksum is None:
                backfill.append((migration.checksum, version))
            elif checksum != migration.checksum:
                raise MigrationError(
                    f"migration {migration.path.name} was changed after it was applied to this database: "
                    "put the original file back and write the change as a new numbered migration."
                )
        if backfill:
            async with self.transaction() as tx:
                await tx.executemany("UPDATE schema_migrations SET checksum = ? WHERE version = ?", backfill)
            log.info(
                "Recorded the checksums of %d migrations applied before checksums were kept", len(backfill)
            )

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[int]:
        """Check the applied migrations, then apply every one not yet applied, each in its own transaction."""
        await self.verify_applied(directory)
        applied = await self.applied_versions()
        done = []
        for migration in discover_migrations(directory):
            if migration.version in applied:
                continue
            statements = split_statements(migration.path.read_text(encoding="utf-8"))
            try:
                async with self.transaction() as tx:
                    for statement in statements:
                        await tx.execute(statement)
                    await tx.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at, checksum)"
                        " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except Exception as error:
                raise MigrationError(
                    f"migration {migration.path.name} failed and was rolled back: {error}"
                ) from error
            log.info("Applied migration %s", migration.path.name)
            done.append(migration.version)
        return done

    async def integrity_check(self) -> str:
        return str(await self.fetchval("PRAGMA integrity_check"))

    # -- backups ----------------------------------------------------------------------------

    @asynccontextmanager
    async def read_snapshot(self) -> AsyncIterator[None]:
        """One read transaction: every statement on this connection until the end, and a backup
        taken with ``backup_to`` inside it, see the same moment of the database, whatever other
        connections commit meanwhile. For a connection of its own (a backup), never the bot's."""
        async with self._lock:
            await self._connection.execute("BEGIN")
            # In WAL mode the snapshot is fixed by the first read, not by BEGIN.
            await self._connection.execute_fetchall("SELECT COUNT(*) FROM sqlite_master")
        try:
            yield
        finally:
            async with self._lock:
                await asyncio.shield(self._rollback())

    async def backup_to(self, target: Path) -> None:
        """Copy the database to ``target`` with SQLite's online backup API (inside a ``read_snapshot``,
        the copy is that snapshot); the copy is a single file in rollback-journal mode."""
        destination = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            async with self._lock:
                await self._connection.backup(destination, pages=-1)
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()


class Reader:
    """Statements of a ``Database.reader()``: reads only, each one thread hop."""

    def __init__(self, connection: aiosqlite.Connection, lock: asyncio.Lock) -> None:
        self._connection = connection
        self._lock = lock

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self._connection.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Transaction:
    """Statements inside an open transaction (the lock is already held); one thread hop each."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        return list(await self._connection.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._connection.execute(sql, params)
        return cursor.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        cursor = await self._connection.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, rows)
