"""Group commit: requests that arrive while a transaction is being written wait, and the next
transaction decides and writes all of them, in arrival order; each caller gets its own result.

A burst of N interactions on one key (a session, a guild) costs a handful of transactions instead of
N, and nobody waits behind N thread hops. ``commit(key, items)`` must be all or nothing: when it
raises, nothing of the group was written and every member of the group gets that exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Waiting(Generic[T, R]):
    item: T
    answer: asyncio.Future[R]


class GroupCommit(Generic[K, T, R]):
    """Per-key queues served by one task each; ``commit`` returns one result per item, in order."""

    def __init__(self, commit: Callable[[K, list[T]], Awaitable[list[R]]], *, name: str) -> None:
        self._commit = commit
        self._name = name
        self._queues: dict[K, list[_Waiting[T, R]]] = {}
        self._in_flight = 0
        self._servers: set[asyncio.Task[None]] = set()
        self.groups = 0  # transactions attempted, for tests and benchmarks

    @property
    def pending(self) -> int:
        """Requests not answered yet: waiting in a queue or inside a group being written."""
        return self._in_flight + sum(len(queue) for queue in self._queues.values())

    async def submit(self, key: K, item: T) -> R:
        """Queue ``item`` (before any await, so the queue's order is the order of the calls) and wait
        for the result of the group it was written in."""
        waiting: _Waiting[T, R] = _Waiting(item, asyncio.get_running_loop().create_future())
        queue = self._queues.get(key)
        if queue is None:
            self._queues[key] = [waiting]
            server = asyncio.create_task(self._serve(key), name=f"{self._name}-{key}")
            self._servers.add(server)
            server.add_done_callback(self._servers.discard)
        else:
            queue.append(waiting)
        return await waiting.answer

    async def _serve(self, key: K) -> None:
        """Commit the key's waiting requests in groups until none is left."""
        while True:
            waiting = self._queues.get(key)
            if not waiting:
                self._queues.pop(key, None)
                return
            self._queues[key] = []
            group = [w for w in waiting if not w.answer.done()]  # a caller that gave up is not written
            if not group:
                continue
            self._in_flight += len(group)
            self.groups += 1
            try:
                results = await self._commit(key, [w.item for w in group])
            except asyncio.CancelledError:
                for member in group:
                    member.answer.cancel()
                raise
            except Exception as error:
                # Nothing of the group was written: every member of it is answered with the error.
                log.debug("A group of %d %s failed: %s", len(group), self._name, error)
                for member in group:
                    if not member.answer.done():
                        member.answer.set_exception(error)
                continue
            finally:
                self._in_flight -= len(group)
            for member, result in zip(group, results, strict=True):
                if not member.answer.done():
                    member.answer.set_result(result)
