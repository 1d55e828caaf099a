"""PostgreSQL through an asyncpg pool: many transactions at once, each on its own connection.

Nothing serialises transactions here, so every rule SQLite's single writer made safe is made safe by the
statement: a row lock on the session (``for_update``), claims that skip rows another process holds
(``skip_locked``), upserts and unique keys. Statements arrive in the repositories' dialect and are
rewritten by ``dialect.to_numbered`` (cached). A plain ``execute`` of an INSERT into a table keyed by an
identity ``id`` returns the new id (``RETURNING id``), as ``lastrowid`` does on SQLite.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import asyncpg

from bot.data.backends.base import DatabaseBusy, Params, Row, Transaction
from bot.data.backends.dialect import to_numbered, translate_ddl

log = logging.getLogger(__name__)

_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_CREATE = re.compile(r"^\s*CREATE\s", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)

# Serialization failure, deadlock, lock not available, disk full, out of memory, too many connections,
# and every connection exception (class 08): "not now", not "wrong statement".
_BUSY_STATES = {"40001", "40P01", "55P03", "53100", "53200", "53300", "57P03"}
_BUSY_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
)


# What sqlite3.OperationalError is to SQLite: the database failed the statement at run time (a table
# or column that is gone, resources, the server's own errors), not a rule of the data (IntegrityError).
OPERATIONAL_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.UndefinedTableError,
    asyncpg.exceptions.UndefinedColumnError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.PostgresSystemError,
    asyncpg.exceptions.InternalServerError,
)


@contextmanager
def mapped_errors() -> Iterator[None]:
    try:
        yield
    except asyncpg.PostgresError as error:
        state = getattr(error, "sqlstate", "") or ""
        if state in _BUSY_STATES or state.startswith("08"):
            raise DatabaseBusy(str(error)) from error
        raise
    except _BUSY_ERRORS as error:
        raise DatabaseBusy(str(error) or type(error).__name__) from error


def _clean(value: Any) -> Any:
    """PostgreSQL's text cannot hold NUL (SQLite's can): a NUL a member typed is stored as U+FFFD."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _args(sql: str, params: Params) -> tuple[str, list[Any]]:
    text, args = to_numbered(sql, params)
    return text, [_clean(a) for a in args]


def _numeric(text: str) -> int | float | Decimal:
    """SUM over BIGINT is NUMERIC on PostgreSQL; the repositories expect the int SQLite gives."""
    try:
        return int(text)
    except ValueError:
        return float(text)


# An advisory lock's key: its name within this deployment's schema (advisory locks are per database,
# and deployments or test runs may share one database in schemas of their own), as a bigint.
_ADVISORY_KEY = (
    "('x' || left(md5('consultation-bot/' || current_schema() || '/' || $1::text), 16))::bit(64)::bigint"
)


# Times are TIMESTAMPTZ columns (``dialect.translate_ddl``) but travel as the text ``bot.clock.to_db()``
# writes: the codec turns that text into PostgreSQL's binary form (microseconds since 2000-01-01 UTC,
# asyncpg's "tuple" format: binary, so COPY and arrays take it too) and back into the same text, to the
# byte. The empty string, which SQLite's text orders before every time (repositories use it as "no
# lower bound"), is -infinity, and -infinity reads back as "".
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MINUS_INFINITY = -(2**63)


def _encode_time(value: str | datetime) -> tuple[int]:
    if isinstance(value, str):
        return (_microseconds(value),)
    if value.tzinfo is None:
        raise ValueError(f"a time without a timezone: {value!r}")
    return ((value - _PG_EPOCH) // _MICROSECOND,)


@lru_cache(maxsize=4096)  # a batch's rows share their stamp (the reaction writer's 50k events: one)
def _microseconds(text: str) -> int:
    if not text:
        return _MINUS_INFINITY
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"a time without a timezone: {text!r}")
    return (moment - _PG_EPOCH) // _MICROSECOND


def _decode_time(value: tuple[int]) -> str:
    return _text(value[0])


@lru_cache(maxsize=4096)
def _text(microseconds: int) -> str:
    if microseconds == _MINUS_INFINITY:
        return ""
    d = _PG_EPOCH + timedelta(microseconds=microseconds)
    return (
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
        f".{d.microsecond:06d}Z"
    )


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text"
    )
    await connection.set_type_codec(
        "timestamptz", encoder=_encode_time, decoder=_decode_time, schema="pg_catalog", format="tuple"
    )


def _time_text(expr: str) -> str:
    """A timestamptz as the text of bot.clock.to_db(), to the byte (the session's TimeZone is UTC)."""
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


class PostgresBackend:
    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.path = None
        self.id_tables: set[str] = set()

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresBackend:
        with mapped_errors():
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                server_settings={"TimeZone": "UTC", "application_name": "consultation-bot"},
            )
        assert pool is not None
        backend = cls(pool, url)
        await backend.after_migrate()
        return backend

    async def close(self) -> None:
        await self.pool.close()

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.pool.acquire() as connection:
            return await PostgresTransaction(connection, self.id_tables).fetchall(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.pool.acquire() as connection:
            return await PostgresTransaction(connection, self.id_tables).execute(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """READ COMMITTED, on a connection of the pool held until COMMIT or ROLLBACK."""
        with mapped_errors():
            async with self.pool.acquire() as connection, connection.transaction():
                yield PostgresTransaction(connection, self.id_tables)

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """A session-level advisory lock (``pg_try_advisory_lock``) named ``name``, held on a pooled
        connection for the block: True in the one process holding it, False (at once, no wait) in every
        other process of the same schema. Ended by the block or by the connection's end (a killed
        process). It holds one pooled connection for the block: the work inside takes others."""
        with mapped_errors():
            async with self.pool.acquire() as connection:
                held = bool(await connection.fetchval(f"SELECT pg_try_advisory_lock({_ADVISORY_KEY})", name))
                try:
                    yield held
                finally:
                    if held:
                        await connection.fetchval(f"SELECT pg_advisory_unlock({_ADVISORY_KEY})", name)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Transaction]:
        """A pooled connection in one REPEATABLE READ, READ ONLY transaction: one snapshot, no locks."""
        with mapped_errors():
            async with (
                self.pool.acquire() as connection,
                connection.transaction(isolation="repeatable_read", readonly=True),
            ):
                yield PostgresTransaction(connection, self.id_tables)

    async def table_columns(self, table: str) -> set[str]:
        rows = await self.fetchall(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        return {row[0] for row in rows}

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        return [row[0] for row in rows]

    async def references(self, table: str) -> set[str]:
        rows = await self.fetchall(
            "SELECT confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ?::regclass",
            (table,),
        )
        return {row[0] for row in rows}

    def explain(self, sql: str) -> str:
        return f"EXPLAIN {sql}"

    def time_text(self, expr: str) -> str:
        return _time_text(expr)

    def as_bytes(self, expr: str) -> str:
        return f"convert_to({expr}, 'UTF8')"

    def joined_ids(self, expr: str) -> str:
        return f"string_agg(CAST({expr} AS TEXT), ',')"

    def joined_text(self, expr: str, order: str) -> str:
        return f"string_agg({expr}, '' ORDER BY {order})"

    async def after_migrate(self) -> None:
        """Learn which tables have an identity ``id`` (an INSERT into them returns it)."""
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND column_name = 'id' AND is_identity = 'YES'"
        )
        self.id_tables.clear()
        self.id_tables.update(row[0] for row in rows)

    async def integrity_check(self) -> str:
        await self.fetchall("SELECT 1")
        return "ok"


class PostgresTransaction(Transaction):
    dialect = "postgresql"

    def __init__(self, connection: asyncpg.Connection, id_tables: set[str]) -> None:
        self._connection = connection
        self._id_tables = id_tables

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, args = _args(sql, params)
        with mapped_errors():
            return await self._connection.fetch(text, *args)

    async def execute(self, sql: str, params: Params = ()) -> int:
        if _CREATE.match(sql):  # a temp table of the repositories' dialect: INTEGER -> BIGINT
            sql = translate_ddl(sql)
        match = _INSERT_INTO.match(sql)
        if match and match.group(1).lower() in self._id_tables and not _RETURNING.search(sql):
            text, args = _args(sql + " RETURNING id", params)
            with mapped_errors():
                value = await self._connection.fetchval(text, *args)
            return int(value or 0)
        await self.execute_rowcount(sql, params)
        return 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        text, args = _args(sql, params)
        with mapped_errors():
            status = await self._connection.execute(text, *args)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = list(rows)
        if not batch:
            return
        text, _ = to_numbered(sql, batch[0])
        with mapped_errors():
            await self._connection.executemany(text, [_args(sql, row)[1] for row in batch])

    async def copy_rows(self, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]) -> int:
        """COPY ``records`` into ``table`` (binary protocol): the bulk path, for migrate-data and benches."""
        with mapped_errors():
            status = await self._connection.copy_records_to_table(
                table, records=[tuple(_clean(v) for v in r) for r in records], columns=list(columns)
            )
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def load_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.copy_rows(table, columns, rows)

    async def rewind_identity(self, table: str) -> None:
        """The identity of ``table.id`` continues after the highest id (after rows were copied in)."""
        await self.fetchall(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
            f" FROM {table}"
        )

    async def lock_row(self, table: str, column: str, key: Any) -> None:
        # Its own statement: what the caller reads next is read after the lock is granted (a later
        # statement, a later READ COMMITTED snapshot), never from a snapshot older than the lock.
        await self.fetchall(f"SELECT 1 FROM {table} WHERE {column} = ? FOR UPDATE", (key,))

    def time_text(self, expr: str) -> str:
        return _time_text(expr)

    def for_update(self, of: str | None = None) -> str:
        return f" FOR UPDATE OF {of}" if of else " FOR UPDATE"

    def skip_locked(self, of: str | None = None) -> str:
        return self.for_update(of) + " SKIP LOCKED"

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], conflict: str = ""
    ) -> None:
        """One statement for the whole batch: the rows arrive as arrays, one per column (``unnest``)."""
        if not rows:
            return
        types = await self._column_types(table, columns)
        arrays = [[_clean(v) for v in column] for column in zip(*rows, strict=True)]
        unnest = ", ".join(f"${i + 1}::{types[c]}[]" for i, c in enumerate(columns))
        with mapped_errors():
            await self._connection.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({unnest}) {conflict}",
                *arrays,
            )

    async def delete_keys(self, table: str, columns: Sequence[str], keys: Sequence[Sequence[Any]]) -> None:
        if not keys:
            return
        types = await self._column_types(table, columns)
        arrays = [[_clean(v) for v in column] for column in zip(*keys, strict=True)]
        unnest = ", ".join(f"${i + 1}::{types[c]}[]" for i, c in enumerate(columns))
        names = ", ".join(f"k{i}" for i in range(len(columns)))
        match = " AND ".join(f"t.{c} = k.k{i}" for i, c in enumerate(columns))
        with mapped_errors():
            await self._connection.execute(
                f"DELETE FROM {table} t USING unnest({unnest}) AS k({names}) WHERE {match}", *arrays
            )

    async def _column_types(self, table: str, columns: Sequence[str]) -> dict[str, str]:
        key = (table, tuple(columns))
        cached = _TYPES.get(key)
        if cached is None:
            # regclass resolves the name as the statement will (search_path, temp tables first).
            rows = await self._connection.fetch(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                table,
            )
            found = {row[0]: row[1] for row in rows}
            cached = _TYPES[key] = {c: found[c] for c in columns}
        return cached


_TYPES: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
