"""Discord's rules for starting gateway sessions (IDENTIFY), as its gateway documentation states them.

- ``max_concurrency`` (in ``GET /gateway/bot``'s ``session_start_limit``): shards identify in buckets,
  ``rate_limit_key = shard_id % max_concurrency``; each bucket may start one session per 5 seconds.
  "Clients are limited by maximum concurrency when Identifying; if they exceed this limit, the gateway
  will respond with an Opcode 9 Invalid Session" (not a close code): the client waits and identifies
  again. (Close code 4008 "Rate limited" is for payloads sent too fast on one connection, 4009 for a
  session timed out: neither is this.)
- An invalid ``shard`` (not ``[id, count]`` with ``0 <= id < count``) closes with 4010 Invalid shard.
- A session that would hold more guilds than one shard may (2,500 on Discord; ``max_guilds`` here so a
  test can use a few) closes with 4011 Sharding required.
- ``session_start_limit``: ``total`` session starts per 24 hours (1,000), ``remaining`` of them, and
  ``reset_after`` (ms until the oldest start of the period leaves it).

The 5-second window is scaled by a ``pace`` (as ``ratelimits.py`` scales its windows: 1.0 is Discord's
own, the end-to-end tests run faster); None turns the concurrency rule off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IDENTIFY_WINDOW = 5.0  # seconds, per rate-limit bucket
SESSION_START_TOTAL = 1000
SESSION_START_PERIOD = 24 * 3600.0  # seconds
MAX_GUILDS_PER_SESSION = 2500

INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011


@dataclass
class IdentifyLimits:
    """What the gateway checks before a session starts, and the session starts it counted."""

    max_concurrency: int = 1
    pace: float | None = 1.0
    max_guilds: int = MAX_GUILDS_PER_SESSION
    total: int = SESSION_START_TOTAL
    starts: list[float] = field(default_factory=list)  # loop time of every session started
    last_in_bucket: dict[int, float] = field(default_factory=dict)
    refused: int = 0  # IDENTIFYs answered with Opcode 9 (too many at once)

    @staticmethod
    def valid_shard(shard: Any) -> bool:
        return shard is None or (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
            and 0 <= shard[0] < shard[1]
        )

    def bucket(self, shard: list[int] | None) -> int:
        return (shard[0] if shard else 0) % max(1, self.max_concurrency)

    def admit(self, shard: list[int] | None, now: float) -> bool:
        """True when this IDENTIFY may start a session now (it is counted); False: Opcode 9."""
        if self.pace is not None:
            bucket = self.bucket(shard)
            last = self.last_in_bucket.get(bucket)
            if last is not None and now - last < IDENTIFY_WINDOW * self.pace:
                self.refused += 1
                return False
            self.last_in_bucket[bucket] = now
        self.starts.append(now)
        return True

    def session_start_limit(self, now: float) -> dict[str, int]:
        recent = [t for t in self.starts if now - t < SESSION_START_PERIOD]
        reset_after = (recent[0] + SESSION_START_PERIOD - now) if recent else SESSION_START_PERIOD
        return {
            "total": self.total,
            "remaining": max(0, self.total - len(recent)),
            "reset_after": int(reset_after * 1000),
            "max_concurrency": self.max_concurrency,
        }
