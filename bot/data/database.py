"""The one connection to the database, its transactions, and the migration runner.

Every query of the bot goes through ``Database``: the data-access modules beside this one hold the
SQL, written with ``?`` placeholders and portable statements so a PostgreSQL backend can follow.
"""

from __future__ import annotations

import asyncio
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

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Params = Sequence[Any] | dict[str, Any]


class MigrationError(Exception):
    """A migration failed; the database was left as it was before it."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
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

    # -- migrations -------------------------------------------------------------------------

    async def applied_versions(self) -> set[int]:
        await self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        rows = await self.fetchall("SELECT version FROM schema_migrations")
        return {row[0] for row in rows}

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[int]:
        """Apply every migration not yet applied, each in its own transaction."""
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
                        "INSERT INTO schema_migrations (version, name, applied_at)"
                        " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                        (migration.version, migration.name),
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
