"""The running bot's heartbeat: one row of ``bot_state`` that ``python -m bot health`` reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Database

KEY = "heartbeat"


def heartbeat_key(shard_ids: tuple[int, ...] | None) -> str:
    """One beat per process: a process running configured shards (``SHARD_IDS``) beats under its own
    key, so processes sharing a database never overwrite each other's beat."""
    return KEY if shard_ids is None else f"{KEY}:shards:{','.join(map(str, shard_ids))}"


@dataclass(frozen=True, slots=True)
class Beat:
    at: datetime  # when it was written
    connected: bool  # the gateway's state
    since: datetime  # when ``connected`` last changed
    running: bool  # False once the bot stopped on purpose
    pid: int


class HeartbeatRepository:
    def __init__(self, db: Database, key: str = KEY) -> None:
        self.db = db
        self.key = key

    async def write(self, beat: Beat) -> None:
        value = json.dumps(
            {
                "at": to_db(beat.at),
                "connected": beat.connected,
                "since": to_db(beat.since),
                "running": beat.running,
                "pid": beat.pid,
            }
        )
        await self.db.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (self.key, value),
        )

    async def clear(self) -> None:
        await self.db.execute("DELETE FROM bot_state WHERE key = ?", (self.key,))

    async def read(self) -> Beat | None:
        """The last beat, or None when no bot ever wrote one (or the database has no schema yet)."""
        try:
            raw = await self.db.fetchval("SELECT value FROM bot_state WHERE key = ?", (self.key,))
        except Exception:  # no schema yet (either backend), or the database is busy
            return None
        if raw is None:
            return None
        data = json.loads(raw)
        return Beat(
            at=from_db(data["at"]),
            connected=bool(data["connected"]),
            since=from_db(data["since"]),
            running=bool(data["running"]),
            pid=int(data["pid"]),
        )
