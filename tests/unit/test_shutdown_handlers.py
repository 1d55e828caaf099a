"""An event handler still running while the bot shuts down loses its database: that is the shutdown,
not an error to report (a shard test saw "Ignoring exception in on_consultation_settings_changed")."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.client import ConsultationBot
from bot.config import load_settings
from bot.data.database import Database


@pytest.mark.sqlite_only
async def test_a_handler_cut_off_by_the_shutdown_is_not_an_error(db: Database, caplog) -> None:
    release, finished = asyncio.Event(), asyncio.Event()
    bot = ConsultationBot(load_settings({}), database=db)

    async def on_slow_event() -> None:
        try:
            await release.wait()
            raise ValueError("Connection closed")
        finally:
            finished.set()

    async def on_broken_event() -> None:
        raise ValueError("a real bug")

    async with bot:
        bot.add_listener(on_slow_event)
        bot.add_listener(on_broken_event)
        bot.dispatch("broken_event")  # while running: reported as an error
        bot.dispatch("slow_event")
        await asyncio.sleep(0)  # both handlers start (the dispatch schedules them)
        await bot.close()
        release.set()
        await finished.wait()
        await asyncio.sleep(0)  # the handler's task reaches on_error
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["Ignoring exception in on_broken_event"]
