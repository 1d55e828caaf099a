"""SQLite: one shared aiosqlite connection, statements and transactions serialised by a lock.

``BEGIN IMMEDIATE`` takes the database-wide write lock, so the rules that need a row lock on PostgreSQL
(``for_update``/``skip_locked``) hold here with empty suffixes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.data.backends.base import DatabaseBusy, Params, Row, Transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

# The words of the OperationalErrors that mean "not now" rather than "wrong statement".
_BUSY_WORDS = ("locked", "busy", "full", "disk i/o")


@contextmanager
def mapped_errors() -> Iterator[None]:
    """SQLite's busy, locked and disk-full errors as ``DatabaseBusy``."""
    try:
        yield
    except sqlite3.OperationalError as error:
        if any(word in str(error).lower() for word in _BUSY_WORDS):
            raise DatabaseBusy(str(error)) from error
        raise


class SqliteBackend:
    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> SqliteBackend:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        with mapped_errors():
            connection = await aiosqlite.connect(path, isolation_level=None)
            connection.row_factory = aiosqlite.Row
            try:
                await connection.execute("PRAGMA journal_mode = WAL")
                await connection.execute("PRAGMA foreign_keys = ON")
                await connection.execute("PRAGMA synchronous = NORMAL")
                await connection.execute("PRAGMA busy_timeout = 5000")
            except BaseException:
                await connection.close()
                raise
        return cls(connection, path)

    async def close(self) -> None:
        async with self.lock:
            await self.connection.close()

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.lock:
            with mapped_errors():
                return list(await self.connection.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.lock:
            with mapped_errors():
                cursor = await self.connection.execute(sql, params)
                return cursor.lastrowid or 0

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """Always held: one process has a SQLite file (``bot.ops.lock``'s run lock)."""
        yield True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception, cancellation included.

        aiosqlite runs statements in order on its own thread, so a statement whose await was
        cancelled still runs; the ROLLBACK queued after it always closes the transaction.
        """
        async with self.lock:
            try:
                # BEGIN IMMEDIATE leaves with the first statement, in its thread hop, and writes whose
                # result nobody reads leave with the next statement or the COMMIT (a sign-up group is 2
                # hops instead of 4); a block that ran none commits nothing.
                tx = SqliteTransaction(self.connection, begin="BEGIN IMMEDIATE")
                yield tx
                await tx.commit()
            except BaseException:
                await asyncio.shield(self.rollback())
                raise

    async def rollback(self) -> None:
        # When BEGIN itself failed there is no transaction to roll back.
        with suppress(sqlite3.OperationalError):
            await self.connection.execute("ROLLBACK")

    async def table_columns(self, table: str) -> set[str]:
        return {row[1] for row in await self.fetchall(f"PRAGMA table_info({table})")}

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [row[0] for row in rows]

    async def references(self, table: str) -> set[str]:
        """The tables ``table``'s foreign keys point at."""
        return {row[2] for row in await self.fetchall(f"PRAGMA foreign_key_list({table})")}

    def explain(self, sql: str) -> str:
        return f"EXPLAIN QUERY PLAN {sql}"

    def time_text(self, expr: str) -> str:
        return expr  # stored as that text already

    def as_bytes(self, expr: str) -> str:
        return f"CAST({expr} AS BLOB)"

    def joined_ids(self, expr: str) -> str:
        return f"group_concat({expr})"

    def joined_text(self, expr: str, order: str) -> str:
        return f"group_concat({expr}, '')"  # ORDER BY inside an aggregate needs SQLite 3.44

    async def after_migrate(self) -> None:
        return None

    async def integrity_check(self) -> str:
        return str((await self.fetchall("PRAGMA integrity_check"))[0][0])

    # -- readers ----------------------------------------------------------------------------

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Transaction]:
        """A read-only connection of its own in one read transaction (one snapshot): WAL lets it read
        while the bot's connection writes. An in-memory database borrows the bot's connection."""
        if str(self.path) == ":memory:":
            yield SqliteReader(self.connection, self.lock)
            return
        connection = await aiosqlite.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA busy_timeout = 5000")
            await connection.execute("PRAGMA mmap_size = 268435456")  # big reads without a copy per page
            await connection.execute("BEGIN")
            # In WAL mode the snapshot is fixed by the first read, not by BEGIN: fix it now.
            await connection.execute_fetchall("SELECT COUNT(*) FROM sqlite_master")
            yield SqliteReader(connection, asyncio.Lock())
        finally:
            await asyncio.shield(connection.close())

    # -- backups ----------------------------------------------------------------------------

    @asynccontextmanager
    async def read_snapshot(self) -> AsyncIterator[None]:
        async with self.lock:
            await self.connection.execute("BEGIN")
            # In WAL mode the snapshot is fixed by the first read, not by BEGIN.
            await self.connection.execute_fetchall("SELECT COUNT(*) FROM sqlite_master")
        try:
            yield
        finally:
            async with self.lock:
                await asyncio.shield(self.rollback())

    async def backup_to(self, target: Path) -> None:
        destination = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            async with self.lock:
                await self.connection.backup(destination, pages=-1)
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()


class SqliteTransaction(Transaction):
    """Statements inside an open transaction (the lock is already held); one thread hop each.

    With ``begin``, the transaction's BEGIN runs in the first statement's hop (on aiosqlite's thread,
    through its queue like any statement, so the order of everything on the connection is kept).
    ``executemany`` (which returns nothing) is deferred to the next statement's hop or the COMMIT's, in
    order: its error then surfaces there, still inside the block, and the transaction rolls back whole.
    """

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, begin: str | None = None) -> None:
        self._connection = connection
        self._begin = begin
        self.begun = begin is None
        self._deferred: list[tuple[str, list[Params]]] = []

    async def _run(self, statement: Callable[[sqlite3.Connection], T]) -> T:
        begin, self._begin = self._begin, None
        deferred, self._deferred = self._deferred, []
        self.begun = True  # from here on the transaction may be open: COMMIT or ROLLBACK closes it
        connection = self._connection

        def run() -> T:
            raw = connection._conn  # aiosqlite's own sqlite3 connection, on its own thread
            if begin is not None:
                raw.execute(begin)
            for sql, rows in deferred:
                raw.executemany(sql, rows)
            return statement(raw)

        with mapped_errors():
            return await connection._execute(run)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._run(lambda raw: raw.execute(sql, params).fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._run(lambda raw: raw.execute(sql, params).lastrowid or 0)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        return await self._run(lambda raw: raw.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._deferred.append((sql, list(rows)))

    async def commit(self) -> None:
        """The deferred writes and COMMIT in one hop; nothing at all if no statement was asked for."""
        if self.begun or self._deferred:
            await self._run(lambda raw: raw.execute("COMMIT"))

    async def insert_rows(self, table: str, columns: Any, rows: Any, conflict: str = "") -> None:
        # In process, executemany is as fast as a multi-row statement and has no parameter limit.
        placeholders = ", ".join("?" * len(columns))
        await self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) {conflict}", rows
        )

    async def delete_keys(self, table: str, columns: Any, keys: Any) -> None:
        condition = " AND ".join(f"{column} = ?" for column in columns)
        await self.executemany(f"DELETE FROM {table} WHERE {condition}", keys)


class SqliteReader(Transaction):
    """Reads of a ``reader()``, each one thread hop, serialised by the connection's lock."""

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, lock: asyncio.Lock) -> None:
        self._connection = connection
        self._lock = lock

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            with mapped_errors():
                return list(await self._connection.execute_fetchall(sql, params))
