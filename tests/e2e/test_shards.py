"""Sharding end to end: two guilds on two shards of one emulator, the real bot running both shards in
one process, or one shard each in turn over the same database file (one process at a time: several
processes at once is a PostgreSQL deployment). Every job works only on its own shards' guilds."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.data.digest import DigestRepository
from bot.data.officehours import OfficeHoursRepository, Session
from rehearsal.world import World

START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)  # the FakeClock starts on Monday 2026-01-05 09:00 UTC
ALL = None


@pytest.fixture
async def guilds(tmp_path) -> AsyncIterator[tuple[World, World]]:
    """Guild ``zero`` on shard 0 and guild ``one`` on shard 1 of 2 (Discord recommends 2 shards)."""
    clock = FakeClock()
    path = tmp_path / "shards.sqlite3"
    zero = await World.create(path, clock=clock, guild_name="Shard zero", shard=(0, 2))
    zero.emu.gateway.recommended_shards = 2
    one = await World.create(path, clock=clock, guild_name="Shard one", emu=zero.emu, shard=(1, 2))
    try:
        yield zero, one
    finally:
        one.bot = None
        await zero.close()


async def run(zero: World, one: World, shard_ids: tuple[int, ...] | None) -> None:
    """Start one process-worth of bot: every shard (None) or ``shard_ids`` of 2; both worlds use it."""
    await stop(zero, one)
    zero.shards = (2, shard_ids) if shard_ids is not None else None
    one.bot = await zero.start_bot()


async def stop(zero: World, one: World) -> None:
    one.bot = None
    await zero.stop_bot()


def cog(world: World, name: str):
    assert world.bot is not None
    found = world.bot.get_cog(name)
    if name == "OfficeHoursCog":
        found.notifier.interval = 0
    return found


async def session_with_attendee(world: World) -> Session:
    result = await world.setup_consultation("forum")
    assert result.ephemeral, result.content
    session = await world.schedule_office_hours(
        f"Office hours of {world.guild_id}", capacity=2, start="2026-01-10T18:00Z", channel=world.voice_id
    )
    signup = await world.emu.click_button(
        world.members["alice"],
        session.card_channel_id,
        session.card_message_id,
        f"officehours:signup:{session.id}",
    )
    await signup.wait(10)
    return session


def reminders_posted(world: World, session: Session) -> int:
    assert session.thread_id is not None
    return len([m for m in world.emu.messages(session.thread_id) if "starts" in m.content])


async def test_one_process_runs_both_recommended_shards(guilds: tuple[World, World]):
    zero, one = guilds
    # Discord's IDENTIFY rule at its own pace: max_concurrency 1, one IDENTIFY per 5 s, else Opcode 9.
    limits = zero.emu.gateway.limits
    limits.pace, limits.max_concurrency = 1.0, 1
    await run(zero, one, ALL)
    bot = zero.bot
    assert bot is not None
    assert bot.shard_count == 2 and bot.scope.everything and bot.scope.process_wide
    assert sorted(zero.emu.gateway.shards_connected()) == [[0, 2], [1, 2]]
    # The bot waited between its two IDENTIFYs (before_identify_hook): none refused.
    assert limits.refused == 0 and len(limits.starts) == 2 and limits.starts[1] - limits.starts[0] >= 5.0
    assert {g.id: g.shard_id for g in bot.guilds} == {zero.guild_id: 0, one.guild_id: 1}
    sessions = [await session_with_attendee(world) for world in (zero, one)]  # commands on both shards
    zero.clock.set(START - timedelta(hours=24))
    await cog(zero, "OfficeHoursCog").run_due_reminders()
    pairs = list(zip((zero, one), sessions, strict=True))
    await zero.emu.wait_until(lambda: [reminders_posted(w, s) for w, s in pairs] == [1, 1])


async def test_each_process_works_only_on_its_own_shards_guilds(guilds: tuple[World, World], caplog):
    zero, one = guilds
    caplog.set_level(logging.INFO)
    # A process without shard 0 never syncs the command tree (the process with shard 0 does it once).
    await run(zero, one, (1,))
    assert zero.bot is not None and [g.id for g in zero.bot.guilds] == [one.guild_id]
    assert zero.emu.gateway.shards_connected() == [[1, 2]]
    assert zero.emu.request_count("PUT", r"/applications/\d+/commands$") == 0

    await run(zero, one, ALL)
    assert zero.emu.request_count("PUT", r"/applications/\d+/commands$") == 1
    sessions = {world.guild_id: await session_with_attendee(world) for world in (zero, one)}

    # Reminders are due in both guilds: the shard-1 process claims and posts guild one's only; guild
    # zero's stays unclaimed in the database (before sharding it was claimed and lost: not in cache).
    # (The reminder loop runs on its own at start too: whoever claims first posts, so the thread's
    # pings and the database's claims are what is counted.)
    zero.clock.set(START - timedelta(hours=24))
    await run(zero, one, (1,))
    await cog(zero, "OfficeHoursCog").run_due_reminders()
    await zero.emu.wait_until(lambda: reminders_posted(one, sessions[one.guild_id]) == 1)
    assert [
        m for m, _ in await OfficeHoursRepository(zero.db).pending_reminders(sessions[zero.guild_id].id)
    ] == [1440, 15]
    assert [
        m for m, _ in await OfficeHoursRepository(zero.db).pending_reminders(sessions[one.guild_id].id)
    ] == [15]

    await run(zero, one, (0,))
    await cog(zero, "OfficeHoursCog").run_due_reminders()
    await zero.emu.wait_until(lambda: reminders_posted(zero, sessions[zero.guild_id]) == 1)
    assert [
        m for m, _ in await OfficeHoursRepository(zero.db).pending_reminders(sessions[zero.guild_id].id)
    ] == [15]
    await stop(zero, one)  # every post of the process is finished: none was sent twice
    assert [reminders_posted(w, sessions[w.guild_id]) for w in (zero, one)] == [1, 1]
    await run(zero, one, (0,))

    # The weekly digests (next Monday 09:00): each process posts its own guild's, once.
    zero.clock.set(datetime(2026, 1, 12, 9, 5, tzinfo=UTC))
    await cog(zero, "DigestCog").run_due_digests()
    await zero.emu.wait_until(lambda: digests_posted(zero) == 1)
    assert await weekly_keys(zero, one) == []
    await run(zero, one, (1,))
    await cog(zero, "DigestCog").run_due_digests()
    await zero.emu.wait_until(lambda: digests_posted(one) == 1)
    await run(zero, one, ALL)
    assert await cog(zero, "DigestCog").run_due_digests() == 0
    await stop(zero, one)
    assert [digests_posted(w) for w in (zero, one)] == [1, 1]
    # No job even looked at a guild outside its process's shards (it would find no channel and warn).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def digests_posted(world: World) -> int:
    return len([m for m in world.emu.messages(world.digest_id) if m.embeds])


async def weekly_keys(running: World, world: World) -> list[str]:
    digests = await DigestRepository(running.db).digests(world.guild_id, "weekly")
    return [d.period_key for d in digests]
