"""What every backend offers the ``Database`` facade: statements, transactions, and dialect bits.

Repositories write one SQL text (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``); what differs between
SQLite and PostgreSQL is here: row locks (``for_update``/``skip_locked``, empty on SQLite, whose single
writer already serialises transactions), multi-row writes, the ``EXPLAIN`` prefix, and errors mapped to
``DatabaseBusy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Params = Sequence[Any] | Mapping[str, Any]
Row = Any  # sqlite3.Row or asyncpg.Record: both index by position and by column name


class DatabaseBusy(Exception):
    """The database could not take the statement now: locked, busy, out of disk, or a serialization
    conflict. The same class for every backend, so callers and the error handler need not know which."""


class Transaction:
    """Statements inside one open transaction (each backend subclasses it)."""

    dialect = "sqlite"

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        raise NotImplementedError

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; for an INSERT into a table keyed by ``id``, return the new row's id."""
        raise NotImplementedError

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    def time_text(self, expr: str) -> str:
        """The time expression ``expr`` as the text ``bot.clock.to_db()`` writes (``Database.time_text``)."""
        return expr

    def for_update(self, of: str | None = None) -> str:
        """A suffix that row-locks what a SELECT read until the transaction ends (empty on SQLite)."""
        return ""

    def skip_locked(self, of: str | None = None) -> str:
        """A suffix for a claim: lock the rows read, skipping rows another transaction holds."""
        return ""

    async def lock_row(self, table: str, column: str, key: Any) -> None:
        """Hold the row ``table.column = key`` until the transaction ends, so transactions that decide
        from it (a session's seats) run one after the other. SQLite: already so (BEGIN IMMEDIATE)."""

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], conflict: str = ""
    ) -> None:
        """``INSERT INTO table (columns) VALUES ... [conflict]`` for many rows at once."""
        raise NotImplementedError

    async def load_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk-load rows into a plain (e.g. temporary) table: COPY on PostgreSQL."""
        await self.insert_rows(table, columns, rows)

    async def delete_keys(self, table: str, columns: Sequence[str], keys: Sequence[Sequence[Any]]) -> None:
        """Delete the rows whose ``columns`` equal one of ``keys``."""
        raise NotImplementedError


class Backend(Protocol):
    dialect: str

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Params = ()) -> int: ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]: ...

    async def table_columns(self, table: str) -> set[str]: ...

    async def references(self, table: str) -> set[str]: ...

    async def tables(self) -> list[str]: ...

    async def close(self) -> None: ...

    def explain(self, sql: str) -> str: ...

    def as_bytes(self, expr: str) -> str: ...

    def joined_ids(self, expr: str) -> str: ...

    def joined_text(self, expr: str, order: str) -> str: ...

    def time_text(self, expr: str) -> str: ...

    async def after_migrate(self) -> None: ...

    async def integrity_check(self) -> str: ...
