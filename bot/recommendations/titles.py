"""Thread titles that follow their draft's title, within Discord's two renames per ten minutes.

Discord allows a channel's (and so a thread's) name two changes per ten minutes. The third gets a 429
whose headers still show room in the route's bucket, with ``retry_after`` of up to ten minutes, and
discord.py would sleep that long inside whatever awaited the rename: a working group member's edit
would hang until the interaction's token expired. The bot waits at most ``RATE_LIMIT_WAIT``
(``max_ratelimit_timeout``); a longer wait raises ``discord.RateLimited``, and the rename is retried here,
in the background, when Discord allows it, with the latest title wanted by then.
"""

from __future__ import annotations

import asyncio
import logging

import discord

log = logging.getLogger(__name__)

RATE_LIMIT_WAIT = 30.0  # seconds: the smallest max_ratelimit_timeout discord.py accepts


class ThreadTitles:
    """Renames threads now when Discord allows it, else once it does (the latest name wins)."""

    def __init__(self) -> None:
        self._wanted: dict[int, str] = {}
        self._retries: dict[int, tuple[asyncio.Task[None], float]] = {}  # thread: (retry, its loop time)

    async def follow(self, thread: discord.Thread, name: str) -> float | None:
        """Give ``thread`` the title ``name``: None once done, else the seconds until it will be."""
        if thread.id in self._retries:  # already waiting for Discord: the retry takes the newest name
            self._wanted[thread.id] = name
            return self._retry_in(thread.id)
        try:
            await thread.edit(name=name)
            return None
        except discord.RateLimited as limited:
            self._wanted[thread.id] = name
            self._schedule(thread, limited.retry_after)
            log.info(
                "Thread %s renamed in %.0f s (Discord's limit on renames)", thread.id, limited.retry_after
            )
            return limited.retry_after

    def pending(self, thread_id: int) -> str | None:
        """The title a thread is waiting for, if any."""
        return self._wanted.get(thread_id)

    def stop(self) -> None:
        for task, _ in self._retries.values():
            task.cancel()
        self._retries.clear()
        self._wanted.clear()

    def _schedule(self, thread: discord.Thread, delay: float) -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._retry(thread, delay), name=f"thread-title-{thread.id}")
        self._retries[thread.id] = (task, loop.time() + delay)

    def _retry_in(self, thread_id: int) -> float:
        _, due = self._retries[thread_id]
        return max(0.0, due - asyncio.get_running_loop().time())

    async def _retry(self, thread: discord.Thread, delay: float) -> None:
        await asyncio.sleep(delay)  # Discord's own retry_after: the moment a rename is allowed again
        del self._retries[thread.id]
        name = self._wanted.pop(thread.id, None)
        if name is None or name == thread.name:
            return
        try:
            await self.follow(thread, name)
        except discord.HTTPException as failed:  # deleted, or the bot lost its permission meanwhile
            log.warning("Could not rename thread %s: %s", thread.id, failed)
