"""Sharding settings, the shard formula in Python and in SQL, and the sweeping queries it filters."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.config import ConfigError, load_settings
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.heartbeat import KEY, heartbeat_key
from bot.data.officehours import OfficeHoursRepository
from bot.officehours import OfficeHoursService, SessionDraft
from bot.sharding import ALL_SHARDS, ShardScope, shard_of


def guild_on(shard: int, count: int, seed: int) -> int:
    """A guild id (snowflake-sized) that shard ``shard`` of ``count`` serves."""
    base = random.Random(seed).randrange(1 << 36, 1 << 38) << 22
    return base + (((shard - shard_of(base, count)) % count) << 22) + seed


def test_settings_read_shard_count_and_ids():
    assert (load_settings({}).shard_count, load_settings({}).shard_ids) == (None, None)
    settings = load_settings({"SHARD_COUNT": "6", "SHARD_IDS": " 3, 2 "})
    assert (settings.shard_count, settings.shard_ids) == (6, (2, 3))
    assert load_settings({"SHARD_COUNT": "4"}).shard_ids is None


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0;1"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "SHARD_IDS"),
    ],
)
def test_malformed_shard_settings_name_the_setting(environ, setting):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    assert str(caught.value).startswith(setting) and "\n" not in str(caught.value)


def test_scope_owns_its_shards_guilds_and_shard_zero_runs_process_wide_jobs():
    scope = ShardScope.of(3, [2, 1])
    assert scope.ids == (1, 2) and not scope.everything and not scope.process_wide
    assert [scope.owns(guild_on(n, 3, n)) for n in range(3)] == [False, True, True]
    assert ShardScope.of(3).everything and ShardScope.of(3, [0]).process_wide
    assert ALL_SHARDS.where("guild_id") == ("", ())
    with pytest.raises(ValueError):
        ShardScope.of(2, [2])


async def test_the_sql_condition_picks_the_same_guilds_as_discord(db: Database):
    guild_ids = [guild_on(n % 5, 5, n) for n in range(60)] + [
        random.Random(n).getrandbits(63) for n in range(60)
    ]
    await db.execute("CREATE TEMP TABLE guilds_seen (guild_id INTEGER NOT NULL)")
    for guild_id in guild_ids:
        await db.execute("INSERT INTO guilds_seen (guild_id) VALUES (?)", (guild_id,))
    for scope in (ShardScope.of(5, [0]), ShardScope.of(5, [1, 3]), ShardScope.of(5), ShardScope.of(2, [1])):
        condition, params = scope.where("guild_id")
        rows = await db.fetchall("SELECT guild_id FROM guilds_seen WHERE 1 = 1" + condition, params)
        assert sorted(r[0] for r in rows) == sorted(g for g in guild_ids if scope.owns(g))


async def test_reminders_and_notices_are_claimed_only_by_their_guilds_shards(db: Database, clock: FakeClock):
    repo = OfficeHoursRepository(db)
    svc = OfficeHoursService(repo, GuildRepository(db), clock)
    zero, one = guild_on(0, 2, 1), guild_on(1, 2, 2)
    sessions = {}
    for guild_id in (zero, one):
        await GuildRepository(db).ensure(guild_id, load_content(), clock.now())
        draft = SessionDraft(
            title="Ask",
            start="2026-01-10T18:00+00:00",
            duration_minutes=60,
            capacity=1,
            location_text="Jitsi",
        )
        sessions[guild_id] = (await svc.schedule(guild_id, 1, draft)).id
        await svc.sign_up(guild_id, sessions[guild_id], 10, None)
        await svc.sign_up(guild_id, sessions[guild_id], 11, None)  # waitlisted
        await svc.cancel_signup(guild_id, sessions[guild_id], 10)  # 11 promoted: a notice to send
    shard_one = ShardScope.of(2, [1])
    notice = await repo.claim_notice(clock.now(), shard_one)
    assert notice is not None and notice.session_id == sessions[one]
    assert await repo.claim_notice(clock.now(), shard_one) is None
    clock.set(datetime(2026, 1, 9, 18, 0, tzinfo=UTC))
    assert [d.session.guild_id for d in await svc.claim_due_reminders(shard_one)] == [one]
    assert await svc.claim_due_reminders(shard_one) == []
    assert [d.session.guild_id for d in await svc.claim_due_reminders(ShardScope.of(2, [0]))] == [zero]
    notice = await repo.claim_notice(clock.now(), ShardScope.of(2, [0]))
    assert notice is not None and notice.session_id == sessions[zero]


def test_each_process_beats_under_its_own_key():
    assert heartbeat_key(None) == KEY
    assert heartbeat_key((0, 1)) != heartbeat_key((2, 3)) != KEY
