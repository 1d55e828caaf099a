"""The real bot against the loopback emulator: a set-up guild (forum channel) ready for commands."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import discord.utils
import pytest

from rehearsal.world import World
from tests.pacing import paced

discord.utils.setup_logging()  # without it, errors inside the client vanish

# Discord's rate limits at a hundredth of their pace in every test here (tests/pacing.py).
__all__ = ["paced"]


@pytest.fixture
async def bare_world(tmp_path, database_url) -> AsyncIterator[World]:
    """The bot running in a guild where nobody has run /consultation setup yet (on each backend)."""
    world = await World.create(tmp_path / "e2e.sqlite3", database_url=database_url)
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
