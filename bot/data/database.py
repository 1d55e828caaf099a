"""The database facade: one interface over two backends, its transactions, and the migration runner.

Every query of the bot goes through ``Database``: the data-access modules beside this one hold the SQL,
written with ``?`` placeholders and portable statements. ``Database.open`` takes a path or a URL
(``sqlite:///path`` or ``postgresql://...``) and picks the backend (``bot/data/backends``); what differs
between the two (placeholders, row locks, multi-row writes, errors) lives there, not in repositories.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.data.backends.base import Backend, DatabaseBusy, Params, Row, Transaction
from bot.data.backends.sqlite import SqliteBackend

log = logging.getLogger(__name__)


def _migrations_dir() -> Path:
    """``bot/migrations`` in an installed package (the build copies them there), else the source tree's."""
    packaged = Path(__file__).resolve().parents[1] / "migrations"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "migrations"


MIGRATIONS_DIR = _migrations_dir()
MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

__all__ = [
    "Database",
    "DatabaseBusy",
    "MigrationError",
    "Params",
    "Row",
    "Transaction",
    "is_operational",
    "parse_url",
]


def is_operational(error: BaseException) -> bool:
    """The database failed the statement at run time (either backend): busy, or SQLite's
    OperationalError and its PostgreSQL counterparts. Members read the same sentence for all of them."""
    if isinstance(error, DatabaseBusy | sqlite3.OperationalError):
        return True
    if "asyncpg" not in sys.modules:  # asyncpg only when PostgreSQL is used
        return False
    from bot.data.backends.postgres import OPERATIONAL_ERRORS

    return isinstance(error, OPERATIONAL_ERRORS)


def parse_url(target: Path | str) -> tuple[str, Path | str]:
    """``("sqlite", path)`` or ``("postgresql", url)`` for a path, ``sqlite:///path`` or ``postgresql://``."""
    if isinstance(target, Path):
        return "sqlite", target
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql", target
    if target.startswith("sqlite:///"):
        return "sqlite", Path(target.removeprefix("sqlite:///") or ":memory:")
    if "://" in target:
        raise ValueError(f"{target.split('://')[0]}:// is not a database this bot knows (sqlite, postgresql)")
    return "sqlite", Path(target)


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
    """The bot's one handle on its database, whichever backend holds it."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.dialect: str = backend.dialect
        self.path: Path | None = getattr(backend, "path", None)

    @classmethod
    async def open(
        cls, target: Path | str, *, migrate: bool = True, migrations_dir: Path = MIGRATIONS_DIR
    ) -> Database:
        kind, where = parse_url(target)
        if kind == "postgresql":
            from bot.data.backends.postgres import PostgresBackend  # asyncpg only when it is used

            backend: Backend = await PostgresBackend.open(str(where))
        else:
            backend = await SqliteBackend.open(Path(where))
        database = cls(backend)
        if migrate:
            try:
                await database.migrate(migrations_dir)
            except BaseException:
                await database.close()
                raise
        return database

    @property
    def backend(self) -> Backend:
        return self._backend

    async def close(self) -> None:
        await self._backend.close()

    # -- statements -------------------------------------------------------------------------

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._backend.fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; return the new row's id (for inserts)."""
        return await self._backend.execute(sql, params)

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One transaction, committed at the end of the block, rolled back on any exception.

        SQLite: BEGIN IMMEDIATE (the database-wide write lock). PostgreSQL: READ COMMITTED on a pooled
        connection; rules that need more say so with ``tx.for_update()``/``tx.skip_locked()``.
        """
        return self._backend.transaction()

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """``async with db.exclusive("command-sync") as held:``: ``held`` is True in one process of the
        database at a time (PostgreSQL: ``pg_try_advisory_lock``, no wait), always True on SQLite (one
        process per file). For process-wide jobs that several processes might start at once."""
        return self._backend.exclusive(name)

    def reader(self) -> AbstractAsyncContextManager[Transaction]:
        """Reads in one snapshot on a connection of their own (SQLite: a read-only WAL reader;
        PostgreSQL: REPEATABLE READ, READ ONLY): a long read never holds or waits for the writers."""
        return self._backend.reader()  # type: ignore[attr-defined]

    def explain(self, sql: str) -> str:
        """The backend's EXPLAIN of ``sql`` (SQLite: ``EXPLAIN QUERY PLAN``)."""
        return self._backend.explain(sql)

    def as_bytes(self, expr: str) -> str:
        """The text expression ``expr`` as its UTF-8 bytes (SQLite: ``CAST AS BLOB``; PostgreSQL has no
        BLOB type and no text-to-bytea cast that encodes: ``convert_to``)."""
        return self._backend.as_bytes(expr)

    def joined_ids(self, expr: str) -> str:
        """An aggregate of the integer expression ``expr``: its values as one text, comma-separated, in no
        set order (SQLite: ``group_concat``; PostgreSQL: ``string_agg``). One row carries many ids."""
        return self._backend.joined_ids(expr)

    def joined_text(self, expr: str, order: str) -> str:
        """An aggregate of the text expression ``expr``: its values as one text, in ``order`` (SQLite:
        ``group_concat``, in the order its rows come, so read them from an ordered subquery; PostgreSQL:
        ``string_agg`` ordered by ``order``). NULL when there is no row."""
        return self._backend.joined_text(expr, order)

    def time_text(self, expr: str) -> str:
        """The time expression ``expr`` as the text ``bot.clock.to_db()`` writes, for SQL that builds
        text from a time (SQLite stores that text; PostgreSQL a timestamptz: ``to_char``). A time read
        as a column needs none of this: the PostgreSQL backend's codec gives the same text."""
        return self._backend.time_text(expr)

    async def tables(self) -> list[str]:
        return await self._backend.tables()

    async def tables_in_dependency_order(self) -> list[str]:
        """Every table, each after the tables its foreign keys reference (the order to fill them in)."""
        tables = await self.tables()
        needs = {t: (await self._backend.references(t)) & set(tables) - {t} for t in tables}
        ordered: list[str] = []
        while needs:
            ready = sorted(t for t, deps in needs.items() if deps <= set(ordered))
            if not ready:
                raise MigrationError(f"foreign keys form a cycle among {', '.join(sorted(needs))}")
            ordered += ready
            for t in ready:
                del needs[t]
        return ordered

    # -- migrations -------------------------------------------------------------------------

    async def applied_versions(self) -> set[int]:
        await self._ensure_bookkeeping()
        rows = await self.fetchall("SELECT version FROM schema_migrations")
        return {row[0] for row in rows}

    async def _ensure_bookkeeping(self) -> None:
        # The runner owns this table (not a numbered file): the checksum column must exist before the
        # first migration is recorded, and databases made before checksums were kept get it added here.
        await self.execute(
            self._ddl(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT)"
            )
        )
        if "checksum" not in await self._backend.table_columns("schema_migrations"):
            await self.execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")

    def _ddl(self, statement: str) -> str:
        if self.dialect == "postgresql":
            from bot.data.backends.dialect import translate_ddl

            return translate_ddl(statement)
        return statement

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
        """Check the applied migrations, then apply every one not yet applied, each in its own transaction.

        The files are SQLite's dialect; on PostgreSQL each statement is translated as it is applied
        (``dialect.translate_ddl``) and the file's own checksum is recorded, so one history serves both.
        """
        await self.verify_applied(directory)
        applied = await self.applied_versions()
        done = []
        for migration in discover_migrations(directory):
            if migration.version in applied:
                continue
            statements = split_statements(migration.path.read_text(encoding="utf-8"))
            applied_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            try:
                async with self.transaction() as tx:
                    for statement in statements:
                        await tx.execute(self._ddl(statement))
                    await tx.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at, checksum)"
                        " VALUES (?, ?, ?, ?)",
                        (migration.version, migration.name, applied_at, migration.checksum),
                    )
            except Exception as error:
                raise MigrationError(
                    f"migration {migration.path.name} failed and was rolled back: {error}"
                ) from error
            log.info("Applied migration %s", migration.path.name)
            done.append(migration.version)
        await self._backend.after_migrate()
        return done

    async def integrity_check(self) -> str:
        return await self._backend.integrity_check()

    # -- backups (SQLite only: on PostgreSQL use pg_dump) -----------------------------------

    def _sqlite(self) -> SqliteBackend:
        if not isinstance(self._backend, SqliteBackend):
            raise NotImplementedError(
                "backups through the bot are for SQLite databases; back up PostgreSQL with pg_dump."
            )
        return self._backend

    @asynccontextmanager
    async def read_snapshot(self) -> AsyncIterator[None]:
        """One read transaction: every statement on this connection until the end, and a backup
        taken with ``backup_to`` inside it, see the same moment of the database, whatever other
        connections commit meanwhile. For a connection of its own (a backup), never the bot's."""
        async with self._sqlite().read_snapshot():
            yield

    async def backup_to(self, target: Path) -> None:
        """Copy the database to ``target`` with SQLite's online backup API (inside a ``read_snapshot``,
        the copy is that snapshot); the copy is a single file in rollback-journal mode."""
        await self._sqlite().backup_to(target)
