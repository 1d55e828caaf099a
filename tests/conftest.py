"""Shared fixtures: a real SQLite database in a temp file, migrations applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import hypothesis  # noqa: F401  (imported up front: a lazy import at the summary hook trips a CPython 3.11 AST bug)
import pytest

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository

GUILD_ID = 111_111_111_111_111_111


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3")
    yield database
    await database.close()


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
