"""``run_client``: connect a real discord.py client to an emulator for the duration of a block."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import discord

from bot.endpoint import use_api_base

if TYPE_CHECKING:
    from .control import DiscordEmulator

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def run_client(
    emu: DiscordEmulator, client: discord.Client, *, timeout: float = 10
) -> AsyncIterator[discord.Client]:
    """Point discord.py at ``emu``, start ``client`` as a task, wait for ``on_ready``; close after.

    Give the client ``guild_ready_timeout=0.1`` (or so) or READY waits 2 s for guilds."""
    await use_api_base(emu.api_base, emu.token)
    task = asyncio.create_task(client.start(emu.token), name="emulated-discord-client")
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    try:
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raise the client's failure
            raise TimeoutError(f"discord.py client not ready within {timeout}s")
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)
