"""The single batched writer for reaction events.

Gateway handlers only append to a buffer; one task writes the buffer in one transaction when it
reaches ``batch_size`` or every ``interval`` seconds, and on shutdown. A burst of thousands of
reactions per second costs a few transactions, not thousands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.data.reactions import ReactionChange, ReactionRepository

log = logging.getLogger(__name__)

FlushListener = Callable[[set[int]], Awaitable[None]]


@dataclass
class Watch:
    """The events of one post seen since a catch-up began reading Discord's list of it."""

    message_id: int
    events: list[ReactionChange] = field(default_factory=list)


class ReactionWriter:
    def __init__(
        self,
        repository: ReactionRepository,
        clock: Clock,
        *,
        interval: float = 0.05,
        batch_size: int = 5000,
        on_flushed: FlushListener | None = None,
        on_contradiction: FlushListener | None = None,
    ) -> None:
        self.repository = repository
        self.clock = clock
        self.interval = interval
        self.batch_size = batch_size
        self.on_flushed = on_flushed
        self.on_contradiction = on_contradiction
        self._buffer: list[ReactionChange] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._flush_lock = asyncio.Lock()
        self._in_flight = 0
        self._watched: dict[int, list[ReactionChange]] = {}  # message id -> events since a watch began
        self.flushes = 0
        self.written = 0

    def submit(self, change: ReactionChange) -> None:
        self._buffer.append(change)
        watched = self._watched.get(change.message_id) if self._watched else None
        if watched is not None:
            watched.append(change)
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    @contextlib.contextmanager
    def watching(self, message_id: int) -> Iterator[Watch]:
        """Keep a copy of a post's events from now on (while catch-up reads Discord's list of it)."""
        watch = Watch(message_id)
        self._watched[message_id] = watch.events
        try:
            yield watch
        finally:
            self._watched.pop(message_id, None)

    async def apply_watched(self, watch: Watch) -> int:
        """Write the events seen since ``watch`` began, in order, as newer than the post's rows.

        They leave the buffer in the same step, so the writer never applies them a second time (which
        would look like a contradiction); a batch already in flight is waited for first, so it cannot land
        after them. On failure they stay buffered.
        """
        async with self._flush_lock:
            newer = list(watch.events)
            watch.events.clear()
            if not newer:
                return 0
            await self.repository.apply(newer, self.clock.now())
            ids = {id(change) for change in newer}
            self._buffer = [change for change in self._buffer if id(change) not in ids]
            return len(newer)

    @property
    def pending(self) -> int:
        """Events acknowledged but not yet on disk: the buffer and the batch being written."""
        return len(self._buffer) + self._in_flight

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="reaction-writer")

    async def stop(self) -> None:
        """Stop the loop (never in the middle of a write) and write whatever is still buffered."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                # The batch stays buffered (flush puts it back) and is retried next round.
                log.exception("Writing reactions failed; %d kept for the next attempt", self.pending)
                if not self._stopping:
                    await asyncio.sleep(min(5.0, self.interval * 20))

    async def flush(self) -> int:
        async with self._flush_lock:
            if not self._buffer:
                return 0
            batch, self._buffer = self._buffer, []
            self._in_flight = len(batch)
            try:
                suspects: set[int] = set()
                if self.on_contradiction is None:
                    await self.repository.apply(batch, self.clock.now())
                else:
                    suspects = await self.repository.apply_checked(batch, self.clock.now())
            except BaseException:
                self._buffer[:0] = batch
                raise
            finally:
                self._in_flight = 0
            self.flushes += 1
            self.written += len(batch)
        if self.on_flushed is not None:
            try:
                await self.on_flushed({change.message_id for change in batch})
            except Exception:
                log.exception("A flush listener failed")
        if suspects and self.on_contradiction is not None:
            try:
                await self.on_contradiction(suspects)
            except Exception:
                log.exception("A contradiction listener failed")
        return len(batch)
