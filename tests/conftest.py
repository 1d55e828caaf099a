"""Shared fixtures: a real database with migrations applied, on each backend.

``database_url`` (and ``db`` on it) is parametrised over SQLite (a temp file) and PostgreSQL (an empty
migrated schema per test, see ``SchemaPool``), so every test that stands on them runs on both. PostgreSQL
is the server at ``CONSULTATION_TEST_POSTGRES`` (default 127.0.0.1:5432, database ``test``); where it
cannot be reached its runs are deselected with one line in the header, unless
``CONSULTATION_REQUIRE_POSTGRES=1`` (CI), where the run stops. A test that is SQLite's by nature
(backups, file locks, a full disk) says so with ``@pytest.mark.sqlite_only``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import hypothesis  # noqa: F401  (imported up front: a lazy import at the summary hook trips a CPython 3.11 AST bug)
import pytest

from bot.client import ConsultationBot, extension_names
from bot.clock import FakeClock
from bot.config import load_settings
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository

GUILD_ID = 111_111_111_111_111_111
POSTGRES_URL = os.environ.get("CONSULTATION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CONSULTATION_REQUIRE_POSTGRES", "") == "1"
BACKENDS = ("sqlite", "postgresql")
_postgres_problem: str | None = None


async def _probe_postgres() -> str | None:
    try:
        import asyncpg

        connection = await asyncio.wait_for(asyncpg.connect(POSTGRES_URL), 5)
        await connection.close()
    except Exception as error:  # any reason at all: the run says it in one line
        return f"{type(error).__name__}: {error}"
    return None


def pytest_configure(config: pytest.Config) -> None:
    global _postgres_problem
    config.addinivalue_line(
        "markers", "sqlite_only: a test of SQLite itself (files, locks); not run on PostgreSQL"
    )
    _postgres_problem = asyncio.run(_probe_postgres())
    if _postgres_problem and REQUIRE_POSTGRES:
        raise pytest.UsageError(
            f"CONSULTATION_REQUIRE_POSTGRES=1 but PostgreSQL at {POSTGRES_URL} is unreachable "
            f"({_postgres_problem})"
        )


def pytest_report_header(config: pytest.Config) -> str:
    if _postgres_problem:
        return f"PostgreSQL runs SKIPPED: {POSTGRES_URL} unreachable ({_postgres_problem})"
    return f"backends: sqlite and postgresql ({POSTGRES_URL})"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The one line that says the PostgreSQL half did not run (shown with -q too)."""
    if _postgres_problem:
        terminalreporter.write_line(
            f"PostgreSQL runs SKIPPED (deselected): {POSTGRES_URL} unreachable ({_postgres_problem})",
            yellow=True,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL runs of SQLite-only tests, and all of them when the server is away, are deselected."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if on_postgres and (_postgres_problem or item.get_closest_marker("sqlite_only")):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _in_thread(coroutine_function: Any) -> Any:
    """Run an async step from a sync (session) fixture, whatever event loop the test has."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function()).result()


def _schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}search_path={schema}"


class SchemaPool:
    """Migrated PostgreSQL schemas, emptied and reused from test to test.

    Measured on 2 busy cores: a new schema with the migrations applied costs 0.6-1.4 s, a database copied
    from a template 0.3-1.2 s, TRUNCATE of every table 0.6 s; emptying the tables with DELETE (foreign key
    triggers off) and rewinding the identity sequences costs ~5 ms. A schema whose clean-up fails is dropped.
    """

    def __init__(self) -> None:
        self.free: list[str] = []
        self.made: list[str] = []
        self.reset_sql: str | None = None

    async def take(self) -> str:
        if self.free:
            return self.free.pop()
        import asyncpg

        schema = f"t_{uuid.uuid4().hex[:16]}"
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f"CREATE SCHEMA {schema}")
        finally:
            await admin.close()
        self.made.append(schema)
        database = await Database.open(_schema_url(schema))
        try:
            if self.reset_sql is None:
                self.reset_sql = await self._reset_script(database)
        finally:
            await database.close()
        return schema

    @staticmethod
    async def _reset_script(database: Database) -> str:
        tables = [t for t in await database.tables() if t != "schema_migrations"]
        rows = await database.fetchall(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND column_name = 'id' AND is_identity = 'YES'"
        )
        rewind = [f"SELECT setval(pg_get_serial_sequence('{row[0]}', 'id'), 1, false)" for row in rows]
        return ";".join(
            ["SET session_replication_role = replica", *(f"DELETE FROM {t}" for t in tables), *rewind]
        )

    async def give_back(self, schema: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            _schema_url(schema), server_settings={"synchronous_commit": "off", "lock_timeout": "5s"}
        )
        try:
            assert self.reset_sql is not None
            await connection.execute(self.reset_sql)
        except Exception:
            await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            self.made.remove(schema)
            return
        finally:
            await connection.close()
        self.free.append(schema)

    async def drop_all(self) -> None:
        import asyncpg

        if not self.made:
            return
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            for schema in self.made:
                await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await admin.close()


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[SchemaPool]:
    pool = SchemaPool()
    yield pool
    _in_thread(pool.drop_all)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a test's database lives: a SQLite file, or an empty migrated PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schemas: SchemaPool = request.getfixturevalue("postgres_schemas")
    schema = await schemas.take()
    try:
        yield _schema_url(schema)
    finally:
        await schemas.give_back(schema)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url)
    yield database
    await database.close()


@pytest.fixture
async def loaded_bot(db: Database) -> AsyncIterator[ConsultationBot]:
    """Every extension loaded into a bot that never logs in (``async with`` readies its internals)."""
    async with ConsultationBot(load_settings({}), database=db) as bot:
        await bot.build_services()
        for name in extension_names():
            await bot.load_extension(name)
        try:
            yield bot
        finally:
            for name in extension_names():
                await bot.unload_extension(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def guild(db: Database, clock: FakeClock) -> int:
    """A guild with the default content loaded."""
    await GuildRepository(db).ensure(GUILD_ID, load_content(), clock.now())
    return GUILD_ID


# DISCORD_SPEC_CHECK=all checks every REST call of the run against Discord's OpenAPI description.
from tests.conformance.suite import pytest_sessionfinish, pytest_sessionstart  # noqa: E402, F401
