"""Reliability and security scenarios: the real bot (in process, or as a subprocess) against the emulator.

Each scenario records its size and outcome with the ``figures`` fixture; with ``RELIABILITY_FIGURES=path``
set, the figures are appended to that file as JSON lines (docs/reliability.md is written from them).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord.utils
import pytest

from bot.data.recommendations import Post, RecommendationRepository
from rehearsal.world import World
from tests.pacing import paced

# Discord's rate limits at a hundredth of their pace here too (tests/pacing.py).
__all__ = ["paced"]

discord.utils.setup_logging()

SUPPORT, OPPOSE, NEEDS_WORK = "👍", "👎", "🛠️"
AREAS = [f"{n}\ufe0f\u20e3" for n in range(1, 10)]
OPTIONS = [*AREAS, SUPPORT, OPPOSE, NEEDS_WORK]


class Figures:
    """What one scenario did (events, members, drops, kills...) and how it ended."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[str, Any] = {}
        self.started = time.monotonic()

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = value

    def add(self, key: str, amount: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + amount


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    found = Figures(request.node.name)
    yield found
    report = getattr(request.node, "rep_call", None)
    found["result"] = "passed" if report is not None and report.passed else "failed"
    found["seconds"] = round(time.monotonic() - found.started, 2)
    logging.getLogger("reliability").info("%s: %s", found.name, found.values)
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"scenario": found.name, **found.values}, ensure_ascii=False) + "\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


@pytest.fixture
async def world(tmp_path: Path, database_url: str) -> AsyncIterator[World]:
    """The bot running in a guild set up with a forum channel, roles and a digest channel (each backend)."""
    world = await World.create(tmp_path / "reliability.sqlite3", database_url=database_url)
    try:
        await world.start_bot()
        result = await world.setup_consultation("forum")
        assert result.ephemeral, result.content
        yield world
    finally:
        await world.close()


async def live_posts(world: World) -> list[Post]:
    return await RecommendationRepository(world.db).live_posts(world.guild_id)


def add_members(world: World, count: int, prefix: str = "m") -> list[int]:
    return [world.emu.create_member(world.guild_id, f"{prefix}{i:04d}").id for i in range(count)]
