"""Shared fixtures: a real database with migrations applied, on each backend.

``database_url`` (and ``db`` on it) is parametrised over SQLite (a temp file) and PostgreSQL (a schema of
its own per test, dropped after), so every test that stands on them runs on both. PostgreSQL is the
server at ``CONSULTATION_TEST_POSTGRES`` (default 127.0.0.1:5432, database ``test``); where it cannot be
reached its runs are deselected with one line in the header, unless ``CONSULTATION_REQUIRE_POSTGRES=1``
(CI), where the run stops. A test that is SQLite's by nature (backups, file locks, a full disk) says so
with ``@pytest.mark.sqlite_only``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

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


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a test's database lives: a SQLite file, or a fresh PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


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
