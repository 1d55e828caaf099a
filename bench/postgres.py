"""PostgreSQL beside SQLite in one run: reaction ingest, a sign-up rush and the digest.

Run: ``python -m bench.postgres [--events N] [--clicks N] [--reactions N] [--feedback N]``; PostgreSQL is
``BENCH_POSTGRES`` (default postgresql://postgres@127.0.0.1:5432/test), each measurement in a schema of
its own, dropped after.
- ingest: gateway payloads through the tally cog's handler and batched writer until committed (as
  ``bench.ingest``), on each backend; PostgreSQL's anchor is raw asyncpg in one transaction, both
  ``copy_records_to_table`` and ``executemany``, same rows. Target: bot >= 0.5x the executemany anchor;
  the ratio to COPY is printed too (the bot's write is COPY into a temp table + one INSERT ... SELECT, so
  the gap to COPY is the handler's own time, the same as on SQLite).
- sign-up rush: N clicks over the emulator in the same instant for 50 seats (as ``bench.signup_rush``).
- digest: the whole digest (five files) over generated data (``bench.digest``'s generator, in SQLite,
  copied to PostgreSQL with ``migrate-data``'s code), best of 3.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import asyncpg

from bench import digest as digest_bench
from bench._common import machine, posted_consultation, run_main, say, timed
from bench.ingest import bot_path, make_events, raw_anchor
from bench.signup_rush import click_all
from bot.data.officehours import OfficeHoursRepository
from bot.digest.builder import DigestBuilder
from bot.digest.heatmap import HeatmapPainter
from bot.ops.migrate_data import migrate_data
from rehearsal.world import World

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
STAMP = "2026-03-02T09:00:00.000000Z"
SETUP_TIMEOUT = 120  # seconds for the rush's set-up steps (World's defaults: 15 s to start, 5 s a card)


@asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    """A URL whose search_path is a new, empty schema (dropped on the way out)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


async def pg_anchors(events: list[dict]) -> tuple[float, float]:
    """The same rows straight through asyncpg in one transaction: COPY, then executemany."""
    # Raw asyncpg with its own types: reacted_at is a timestamptz, a datetime to asyncpg.
    stamp = datetime.fromisoformat(STAMP)
    rows = [(int(e["message_id"]), e["emoji"]["name"], int(e["user_id"]), stamp) for e in events]
    seconds = []
    for method in ("copy", "executemany"):
        async with pg_schema() as url:
            db, _, _ = await posted_consultation(url)  # type: ignore[arg-type]
            await db.close()
            connection = await asyncpg.connect(url)
            try:
                with timed() as timer:
                    async with connection.transaction():
                        if method == "copy":
                            await connection.copy_records_to_table(
                                "reactions",
                                records=rows,
                                columns=["message_id", "emoji", "user_id", "reacted_at"],
                            )
                        else:
                            await connection.executemany(
                                "INSERT INTO reactions (message_id, emoji, user_id, reacted_at)"
                                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                rows,
                            )
                seconds.append(timer.seconds)
            finally:
                await connection.close()
    return seconds[0], seconds[1]


async def ingest(count: int, folder: Path) -> None:
    db, posts, options = await posted_consultation(folder / "setup.sqlite3")
    await db.close()
    events = make_events(count, posts, options)
    say(f"Reaction ingest, handler to durable: {count:,} events")
    sqlite_bot, sqlite_flushes = await bot_path(folder / "bot.sqlite3", events)
    sqlite_raw = await raw_anchor(folder / "raw.sqlite3", events)
    async with pg_schema() as url:
        pg_bot, pg_flushes = await bot_path(url, events)  # type: ignore[arg-type]
    pg_copy, pg_many = await pg_anchors(events)
    for label, seconds, note in (
        ("SQLite  bot tally path   ", sqlite_bot, f"{sqlite_flushes} transactions"),
        ("SQLite  raw executemany  ", sqlite_raw, "1 transaction"),
        ("Postgres bot tally path  ", pg_bot, f"{pg_flushes} transactions"),
        ("Postgres asyncpg COPY    ", pg_copy, "1 transaction"),
        ("Postgres asyncpg execmany", pg_many, "1 transaction"),
    ):
        say(f"  {label} {count / seconds:>10,.0f} events/s  ({seconds:.2f} s, {note})")
    say(f"  ratio SQLite bot / raw executemany        {sqlite_raw / sqlite_bot:5.2f}x  (target >= 0.5x)")
    say(f"  ratio Postgres bot / asyncpg executemany  {pg_many / pg_bot:5.2f}x  (target >= 0.5x)")
    say(f"  ratio Postgres bot / asyncpg COPY         {pg_copy / pg_bot:5.2f}x  (the stricter anchor)")
    if pg_many / pg_bot < 0.5:
        raise SystemExit("PostgreSQL ingest is below 0.5x the executemany anchor")


async def rush(clicks: int, seats: int, folder: Path) -> None:
    say(f"Sign-up rush: {clicks:,} clicks in the same instant for {seats} seats")
    for label in ("SQLite  ", "Postgres"):
        async with pg_schema() as url:
            world = await World.create(
                folder / f"rush-{uuid.uuid4().hex[:6]}.sqlite3",
                members={},
                database_url=url if label == "Postgres" else None,
            )
            try:
                # World's waits (15 s to start, 5 s for the card) are for tests on an idle machine; the
                # set-up here is not what is measured, so it may take what a loaded machine needs.
                with timed() as start_timer:
                    await world.start_bot(timeout=SETUP_TIMEOUT)
                await world.setup_consultation("forum")
                session = await world.schedule_office_hours(
                    "Rush", capacity=seats, place="https://x.example", timeout=SETUP_TIMEOUT
                )
                members = [world.emu.create_member(world.guild_id, f"r{i:05d}").id for i in range(clicks)]
                with timed() as timer:
                    answers = await click_all(
                        world,
                        members,
                        session.card_channel_id,
                        session.card_message_id,
                        f"officehours:signup:{session.id}",
                        0.0,
                    )
                signups = await OfficeHoursRepository(world.db).signups(session.id)
            finally:
                await world.close()
        elapsed = sorted(a.elapsed for a in answers)
        late = sum(not a.answered_within_deadline for a in answers)
        confirmed = sum(s.status == "confirmed" for s in signups)
        say(
            f"  {label} p50 {statistics.median(elapsed) * 1000:6.0f} ms  p99 "
            f"{elapsed[int(len(elapsed) * 0.99) - 1] * 1000:6.0f} ms  max {elapsed[-1] * 1000:6.0f} ms  "
            f"all answered in {timer.seconds:.2f} s, {late} past 3 s; seats {confirmed} (expected {seats});"
            f" bot started in {start_timer.seconds:.1f} s"
        )
        if confirmed != seats:
            raise SystemExit(f"{label.strip()}: {confirmed} seats taken, capacity {seats}")


async def best_digest(target: str | Path, runs: int = 3) -> tuple[float, int]:
    from bot.data.database import Database

    database = await Database.open(target)
    painter = HeatmapPainter()
    await painter.warm_up()
    try:
        builder = DigestBuilder(database, painter)
        previous = await builder.repository.last_digest(digest_bench.GUILD)
        totals = []
        for _ in range(runs):
            built = await builder.build(
                digest_bench.GUILD, since=None, now=digest_bench.NOW, previous=previous
            )
            totals.append(built.seconds["total"])
        return min(totals), built.feedback_in_period
    finally:
        painter.close()
        await database.close()


async def digest(reactions: int, feedback: int, folder: Path) -> None:
    path = folder / "digest.sqlite3"
    await digest_bench.prepare(path)
    digest_bench.generate(path, reactions, feedback, 2019)
    say(f"Digest over everything: {reactions:,} reactions, {feedback:,} feedback items (best of 3)")
    sqlite_best, items = await best_digest(path)
    async with pg_schema() as url:
        with timed() as copy_timer:
            await migrate_data(f"sqlite:///{path}", url)
        pg_best, _ = await best_digest(url)
    say(f"  SQLite    {sqlite_best * 1000:7.0f} ms  ({items:,} items listed)")
    say(f"  Postgres  {pg_best * 1000:7.0f} ms  (data copied by migrate-data in {copy_timer.seconds:.1f} s)")
    say(f"  ratio Postgres / SQLite  {pg_best / sqlite_best:5.2f}x")


async def main(events: int, clicks: int, reactions: int, feedback: int) -> None:
    try:
        await (await asyncpg.connect(POSTGRES, timeout=5)).close()
    except (OSError, asyncpg.PostgresError) as error:
        say(f"PostgreSQL at {POSTGRES.split('@')[-1]} is unreachable ({error}); nothing measured.")
        return
    say(f"PostgreSQL beside SQLite ({machine()}; {POSTGRES.split('@')[-1]})")
    with tempfile.TemporaryDirectory(prefix="pg-bench-") as folder:
        await ingest(events, Path(folder))
        await rush(clicks, 50, Path(folder))
        await digest(reactions, feedback, Path(folder))


if __name__ == "__main__":
    run_main(
        main,
        __doc__,
        ("--events", 50_000, None),
        ("--clicks", 1000, None),
        ("--reactions", 200_000, None),
        ("--feedback", 20_000, None),
    )
