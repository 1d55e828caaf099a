"""The real bot against the loopback emulator: a set-up guild (forum channel) ready for commands."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator

import discord.utils
import pytest

from rehearsal.emulator.ratelimits import set_default_pace
from rehearsal.world import World

discord.utils.setup_logging()  # without it, errors inside the client vanish

# Discord's rate limits are modelled in every end-to-end test, every window a hundredth of Discord's
# (reactions one per 2.5 ms per channel, five sends per 50 ms): the bot must wait as the headers say,
# and a test stays fast. tests/e2e/test_pace.py runs at Discord's real pace (1.0).
# E2E_PACE=off (or another factor) in the environment, to compare.
_pace = os.environ.get("E2E_PACE", "0.01")
E2E_PACE = None if _pace == "off" else float(_pace)


@pytest.fixture(autouse=True)
def paced() -> Iterator[float | None]:
    previous = set_default_pace(E2E_PACE)
    try:
        yield E2E_PACE
    finally:
        set_default_pace(previous)


@pytest.fixture
async def bare_world(tmp_path) -> AsyncIterator[World]:
    """The bot running in a guild where nobody has run /consultation setup yet."""
    world = await World.create(tmp_path / "e2e.sqlite3")
    try:
        await world.start_bot()
        yield world
    finally:
        await world.close()
        if world.emu.ratelimits is not None:
            logging.getLogger(__name__).info("Rate limits: %s", world.emu.ratelimits.summary())


@pytest.fixture
async def world(bare_world: World) -> World:
    """The bot running in a guild set up with a forum channel, roles and a digest channel."""
    result = await bare_world.setup_consultation("forum")
    assert result.ephemeral, result.content
    return bare_world


@pytest.fixture
async def text_world(bare_world: World) -> World:
    """As ``world``, with a text channel (a message and a thread per draft) instead of a forum."""
    result = await bare_world.setup_consultation("text")
    assert result.ephemeral, result.content
    return bare_world
