"""Which guilds this process works for: Discord's shard formula, in Python and as an SQL condition.

A process runs some shards of ``count`` (``SHARD_IDS`` of ``SHARD_COUNT``); a guild belongs to shard
``(guild_id >> 22) % count``. Every background job (reminders, notices, catch-up, digests...) only
touches guilds of the process's own shards, so several processes over one database never take each
other's work; process-wide jobs (the command sync) run in the process holding shard 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def shard_of(guild_id: int, count: int) -> int:
    """Discord's formula: the shard that receives a guild's events."""
    return (guild_id >> 22) % count


@dataclass(frozen=True, slots=True)
class ShardScope:
    """The shards one process runs (``ids``, of ``count``)."""

    count: int = 1
    ids: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a shard count is at least 1, not {self.count}")
        if not self.ids or any(not 0 <= i < self.count for i in self.ids):
            raise ValueError(f"shard ids {self.ids} are not within 0..{self.count - 1}")

    @classmethod
    def of(cls, count: int, ids: Iterable[int] | None = None) -> ShardScope:
        """``ids`` None: every shard of ``count``."""
        return cls(count, tuple(sorted(set(ids))) if ids is not None else tuple(range(count)))

    @property
    def everything(self) -> bool:
        """True when this process runs every shard (no filter needed)."""
        return len(self.ids) == self.count

    @property
    def process_wide(self) -> bool:
        """True for the one process that runs process-wide jobs (the one holding shard 0)."""
        return 0 in self.ids

    def owns(self, guild_id: int) -> bool:
        return self.everything or shard_of(guild_id, self.count) in self.ids

    def where(self, column: str) -> tuple[str, tuple[int, ...]]:
        """``" AND <condition>"`` on a guild id column, and its parameters ("" when every shard is ours).

        Portable SQL (SQLite and PostgreSQL both have ``>>`` and ``%`` on integers); ``column`` is
        a column name written by the repository, never user input."""
        if self.everything:
            return "", ()
        marks = ", ".join("?" for _ in self.ids)
        return f" AND (({column} >> 22) % ?) IN ({marks})", (self.count, *self.ids)

    def describe(self) -> str:
        return f"shards {','.join(map(str, self.ids))} of {self.count}"


ALL_SHARDS = ShardScope()
