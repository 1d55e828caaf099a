"""Operations against a running bot: a backup taken in the middle of a reaction burst, a restore refused
while a bot process holds the database, and the heartbeat the bot writes for ``python -m bot health``.

The backup's moment is defined exactly: the tally is read on the backup's own connection in the same read
transaction the copy is made from (``take_backup(during=...)``), while the bot's writer keeps committing.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bot.data.database import Database
from bot.data.reactions import ReactionRepository
from bot.ops.backup import check_integrity, restore_backup, take_backup
from bot.ops.heartbeat import check_health
from rehearsal.world import World, database_tally, discord_tally
from tests.cli import run_bot

from .conftest import OPTIONS, add_members, live_posts
from .test_crash import ROOT, start_bot

# Backups, restores and the heartbeat file checks are the SQLite deployment's tools (PostgreSQL: pg_dump).
pytestmark = pytest.mark.sqlite_only


async def tally_of(db: Database, guild_id: int) -> tuple[list, list]:
    reactions = ReactionRepository(db)
    return await reactions.area_tally(guild_id), await reactions.stance_tally(guild_id)


async def test_a_backup_during_a_reaction_burst_restores_the_tally_of_its_moment(world, figures, tmp_path):
    await world.publish()
    posts = await live_posts(world)
    people = add_members(world, 150)
    writer = world.bot.services.tally.writer
    rng = random.Random(29)
    backed_up = asyncio.Event()

    async def burst() -> None:
        """Chunks of reactions, each waited on until the writer has committed more: writing never stops
        until three chunks after the backup."""
        after = 0
        while after < 3:
            events = [
                (rng.choice(people), post.thread_id, post.message_id, rng.choice(OPTIONS), rng.random() < 0.8)
                for post in rng.choices(posts, k=250)
            ]
            flushed = writer.flushes  # read first: this chunk's events guarantee a later flush
            figures.add("events", await world.emu.react_many(events))
            await world.emu.wait_until(lambda flushed=flushed: writer.flushes > flushed, timeout=20)
            figures.add("chunks")
            after += backed_up.is_set()

    bursting = asyncio.create_task(burst())
    start = writer.flushes
    await world.emu.wait_until(lambda: writer.flushes >= start + 3, timeout=30)
    target = tmp_path / "during-burst.sqlite3"
    flushes_before = writer.flushes
    at_backup = await take_backup(world.database_path, target, during=lambda db: tally_of(db, world.guild_id))
    figures["flushes_during_backup"] = writer.flushes - flushes_before
    backed_up.set()
    await bursting
    await world.settle()

    final = await tally_of(world.db, world.guild_id)
    assert at_backup[0] and at_backup != final  # taken mid-burst: writes went on after its moment
    assert await database_tally(world) == await discord_tally(world)

    restored = tmp_path / "restored.sqlite3"
    assert await restore_backup(target, restored, world.clock.now()) is None
    assert check_integrity(restored) == "ok"
    copy = await Database.open(restored)
    try:
        assert await copy.integrity_check() == "ok"
        assert await tally_of(copy, world.guild_id) == at_backup
    finally:
        await copy.close()
    figures["backup_bytes"] = target.stat().st_size


def cli(world: World, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        "DATABASE_PATH": str(world.database_path),
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": world.emu.token,
        "DISCORD_API_BASE": world.emu.api_base,
    }
    return run_bot(*args, env=env, cwd=workdir)


async def test_restore_and_a_second_bot_are_refused_while_a_bot_runs(tmp_path, figures):
    world = await World.create(tmp_path / "running.sqlite3")
    bot = await start_bot(world, tmp_path)
    try:
        assert (await world.setup_consultation("forum")).ephemeral
        backup = tmp_path / "while-running.sqlite3"
        taken = await asyncio.to_thread(cli, world, tmp_path, "backup", str(backup))
        assert taken.returncode == 0, taken.stderr
        refused = await asyncio.to_thread(cli, world, tmp_path, "restore", str(backup))
        assert refused.returncode == 2
        pid = bot.process.pid
        assert refused.stderr.strip() == (
            f"error: {world.database_path} is in use by python -m bot run (pid {pid}): "
            "stop it first (systemctl stop consultation-bot)."
        )
        second = await asyncio.to_thread(cli, world, tmp_path, "run")
        assert second.returncode == 2 and f"is in use by python -m bot run (pid {pid})" in second.stderr
        healthy = await asyncio.to_thread(cli, world, tmp_path, "health")
        assert healthy.returncode == 0, healthy.stderr
    finally:
        assert await bot.stop() == 0
        await world.close()
    stopped = await asyncio.to_thread(cli, world, tmp_path, "health")
    assert stopped.returncode == 1 and "the bot stopped at" in stopped.stderr
    restored = await asyncio.to_thread(cli, world, tmp_path, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    figures["refused"] = 2


async def test_the_heartbeat_follows_the_gateway(world, figures):
    """Written by the bot with its clock: connected once ready, stale when the clock moves past it,
    stopped after a clean shutdown."""
    heartbeat = world.bot.get_cog("HeartbeatCog").heartbeat
    await world.emu.wait_until(lambda: heartbeat.connected and heartbeat.beats > 0, timeout=10)
    now = world.clock.now()
    verdict = await check_health(world.database_path, now)
    assert verdict.healthy, verdict.sentence
    later = await check_health(world.database_path, now + timedelta(minutes=5))
    assert not later.healthy and later.sentence.startswith("the heartbeat is stale since ")

    beats = heartbeat.beats
    await world.emu.drop_connections(resume=True)
    await world.emu.wait_until(lambda: world.emu.connected >= 1, timeout=20)
    # The drop and the RESUME were both written at once, not at the next periodic beat.
    await world.emu.wait_until(lambda: heartbeat.beats >= beats + 2 and heartbeat.connected, timeout=10)
    assert (await check_health(world.database_path, world.clock.now())).healthy

    await world.stop_bot()
    stopped = await check_health(world.database_path, world.clock.now())
    assert not stopped.healthy and stopped.sentence.startswith("the bot stopped at ")
    figures["beats"] = beats + 2
