"""The bot's heartbeat and the health verdict ``python -m bot health`` gives from it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.data.database import Database
from bot.data.heartbeat import KEY, Beat, HeartbeatRepository

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
MAX_AGE_SECONDS = 3 * HEARTBEAT_SECONDS  # two missed beats are tolerated, not three


class Heartbeat:
    """Writes a beat every ``HEARTBEAT_SECONDS`` and at once when the gateway connects or drops."""

    def __init__(self, repository: HeartbeatRepository, clock: Clock) -> None:
        self.repository = repository
        self.clock = clock
        self.connected = False
        self.since = clock.now()
        self.beats = 0

    async def beat(self, *, connected: bool | None = None, running: bool = True) -> None:
        if connected is not None and connected != self.connected:
            self.connected = connected
            self.since = self.clock.now()
        try:
            await self.repository.write(
                Beat(self.clock.now(), self.connected, self.since, running, os.getpid())
            )
        except Exception as error:
            # A beat that cannot be written is itself the signal: the heartbeat goes stale.
            log.warning("Could not write the heartbeat: %s", error)
            return
        self.beats += 1

    async def stopped(self) -> None:
        await self.beat(connected=False, running=False)


@dataclass(frozen=True, slots=True)
class Health:
    healthy: bool
    sentence: str


def judge(beat: Beat | None, now: datetime, max_age: float = MAX_AGE_SECONDS) -> Health:
    if beat is None:
        return Health(False, "no heartbeat: no bot has run on this database yet.")
    at = beat.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if not beat.running:
        return Health(False, f"the bot stopped at {at}.")
    age = (now - beat.at).total_seconds()
    if age > max_age:
        return Health(
            False,
            f"the heartbeat is stale since {at} ({round(age)} s ago, more than {round(max_age)} s): "
            "the bot is not running or is stuck.",
        )
    if not beat.connected:
        since = beat.since.strftime("%Y-%m-%d %H:%M:%S UTC")
        return Health(False, f"the bot is running but its gateway is disconnected since {since}.")
    return Health(True, f"healthy: gateway connected, last heartbeat {max(0, round(age))} s ago.")


async def check_health(
    database: Path | str, now: datetime, max_age: float = MAX_AGE_SECONDS, key: str = KEY
) -> Health:
    """The verdict from the database's heartbeat (a SQLite path, or a ``postgresql://`` URL; ``key``:
    the process's); never creates the database."""
    if isinstance(database, Path) and not _exists(database):
        return Health(False, f"no heartbeat: there is no database at {database}.")
    db = await Database.open(database, migrate=False)
    try:
        beat = await HeartbeatRepository(db, key).read()
    finally:
        await db.close()
    return judge(beat, now, max_age)


def _exists(database: Path) -> bool:
    return database.is_file()
