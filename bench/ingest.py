"""Reaction ingest, handler to durable: the bot's tally path against two anchors, measured side by side.

Run: ``python -m bench.ingest [--events N]``.
- bot: gateway payloads (the JSON's dicts) through the tally cog's own handler (``take_reaction``:
  filter, batched writer) until every row is committed to SQLite;
- raw anchor: the same rows with plain ``sqlite3`` ``executemany`` in one transaction (same pragmas);
- tutorial anchor: an aiosqlite handler that inserts and commits once per event, default settings,
  as a tutorial bot is written (timed on a slice: it is slow; its rate is what is compared).
Targets: >= 0.5x the raw anchor, >= 20x commit-per-event.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
from pathlib import Path

import aiosqlite

from bench._common import GUILD, machine, posted_consultation, run_main, say, timed
from bot.client import ConsultationBot
from bot.clock import FakeClock
from bot.config import load_settings
from cogs.recommendations._tally import TallyCog


def make_events(count: int, posts: list, options: list[str], seed: int = 1) -> list[dict]:
    """Distinct (post, emoji, member) adds: every event is a new row."""
    rng = random.Random(seed)
    seen: set[tuple[int, str, int]] = set()
    events = []
    members = max(1000, count // 4)
    while len(events) < count:
        post = rng.choice(posts)
        key = (post.message_id, rng.choice(options), 1_000_000 + rng.randrange(members))
        if key in seen:
            continue
        seen.add(key)
        events.append(
            {
                "message_id": str(key[0]),
                "channel_id": str(post.channel_id),
                "user_id": str(key[2]),
                "guild_id": str(GUILD),
                "emoji": {"id": None, "name": key[1]},
                "type": 0,
                "burst": False,
            }
        )
    return events


async def bot_path(path: Path, events: list[dict]) -> tuple[float, int]:
    db, _, _ = await posted_consultation(path)
    bot = ConsultationBot(load_settings({}), database=db, clock=FakeClock())
    await bot.build_services()
    services = bot.services
    cog = TallyCog(bot, services.tally)
    writer = services.tally.writer
    await services.tally.filter.load(bot.guild_repository, services.tally.recommendations)
    writer.start()
    with timed() as timer:
        for index, payload in enumerate(events):
            cog.take_reaction(payload, True)  # what the cog's gateway parser does with each payload
            if index % 2000 == 0:
                await asyncio.sleep(0)  # the gateway yields between frames; let the writer run
        await writer.stop()
    flushes = writer.flushes
    stored = await db.fetchval("SELECT COUNT(*) FROM reactions")
    await db.close()
    assert stored == len(events), (stored, len(events))
    return timer.seconds, flushes


async def raw_anchor(path: Path, events: list[dict]) -> float:
    db, _, _ = await posted_consultation(path)
    await db.close()
    rows = [
        (int(e["message_id"]), e["emoji"]["name"], int(e["user_id"]), "2026-03-02T09:00:00.000000Z")
        for e in events
    ]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    with timed() as timer:
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO reactions (message_id, emoji, user_id, reacted_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            rows,
        )
        connection.execute("COMMIT")
    connection.close()
    return timer.seconds


async def tutorial_anchor(path: Path, events: list[dict]) -> float:
    """``on_raw_reaction_add`` -> INSERT -> commit, one event at a time (aiosqlite defaults)."""
    db, _, _ = await posted_consultation(path)
    await db.close()
    async with aiosqlite.connect(path) as connection:
        await connection.execute("PRAGMA journal_mode = DELETE")
        with timed() as timer:
            for event in events:
                await connection.execute(
                    "INSERT OR IGNORE INTO reactions (message_id, emoji, user_id, reacted_at)"
                    " VALUES (?, ?, ?, ?)",
                    (int(event["message_id"]), event["emoji"]["name"], int(event["user_id"]), "now"),
                )
                await connection.commit()
    return timer.seconds


async def main(count: int, tutorial_count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        db, posts, options = await posted_consultation(base / "setup.sqlite3")
        await db.close()
        events = make_events(count, posts, options)
        say(f"Reaction ingest, handler to durable: {count:,} events ({machine()})")
        bot_seconds, flushes = await bot_path(base / "bot.sqlite3", events)
        raw_seconds = await raw_anchor(base / "raw.sqlite3", events)
        tutorial_events = events[:tutorial_count]
        tutorial_seconds = await tutorial_anchor(base / "tutorial.sqlite3", tutorial_events)
    bot_rate = count / bot_seconds
    raw_rate = count / raw_seconds
    tutorial_rate = len(tutorial_events) / tutorial_seconds
    say(f"  bot tally path        {bot_rate:>12,.0f} events/s  ({bot_seconds:.2f} s, {flushes} transactions)")
    say(f"  raw executemany       {raw_rate:>12,.0f} events/s  ({raw_seconds:.2f} s, 1 transaction)")
    say(
        f"  commit per event      {tutorial_rate:>12,.0f} events/s  "
        f"({tutorial_seconds:.2f} s for {len(tutorial_events):,} events)"
    )
    say(f"  ratio bot / raw anchor         {bot_rate / raw_rate:6.2f}x   (target >= 0.5x)")
    say(f"  ratio bot / commit-per-event   {bot_rate / tutorial_rate:6.1f}x   (target >= 20x)")


if __name__ == "__main__":
    run_main(main, __doc__, ("--events", 100_000, None), ("--tutorial-events", 3_000, None))
