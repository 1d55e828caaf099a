"""migrate-data on the demo's database: every table's row count and every guild's tally equal after."""

from __future__ import annotations

import asyncio

import pytest

from bot.data.database import Database
from bot.data.links import LinkRepository
from bot.data.mirrors import MirrorRepository
from bot.data.reactions import ReactionRepository
from bot.ops.migrate_data import MigrateDataError, migrate_data
from rehearsal.demo import prepare_output, run_demo
from tests.cli import run_bot

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def test_the_demo_database_moves_to_postgresql(tmp_path, database_url):
    out = prepare_output(tmp_path / "demo")
    assert await run_demo(out, members=36) == 0  # as the conformance run: the demo needs 31+
    source = f"sqlite:///{out / 'demo.sqlite3'}"

    report = await migrate_data(source, database_url)

    old, new = await Database.open(source, migrate=False), await Database.open(database_url)
    try:
        for table in await old.tables():
            if table != "schema_migrations":
                count = await old.fetchval(f"SELECT COUNT(*) FROM {table}")
                assert await new.fetchval(f"SELECT COUNT(*) FROM {table}") == count, table
        assert report.counts["reactions"] > 0 and report.counts["signups"] > 0
        assert report.counts["feedback"] > 0
        guild_ids = [row[0] for row in await old.fetchall("SELECT guild_id FROM guild_settings")]
        assert len(guild_ids) == 3  # the demo's home and its two linked servers
        for guild_id in guild_ids:
            assert await ReactionRepository(new).tallies(guild_id) == await ReactionRepository(old).tallies(
                guild_id
            )
        [guild_id] = [g for g in guild_ids if await LinkRepository(old).link(g) is None]  # the home
        servers = await LinkRepository(old).consultation_guilds(guild_id)
        assert len(servers) == 3  # the cross-server tally too: each person counted once, the same
        assert await MirrorRepository(new).tallies(guild_id, servers) == await MirrorRepository(old).tallies(
            guild_id, servers
        )
        # Identities continue after the copied ids: a new row gets a fresh id, not a collision.
        highest = await new.fetchval("SELECT MAX(id) FROM audit_log")
        new_id = await new.execute(
            "INSERT INTO audit_log (guild_id, action, created_at) VALUES (?, 'test', ?)",
            (guild_id, "2030-01-01T00:00:00.000000Z"),
        )
        assert new_id == highest + 1
    finally:
        await old.close()
        await new.close()

    with pytest.raises(MigrateDataError, match="not empty"):
        await migrate_data(source, database_url)


async def test_the_command_line_refuses_a_non_empty_target_in_one_sentence(tmp_path, database_url):
    source = tmp_path / "empty.sqlite3"
    await (await Database.open(source)).close()
    args = ("migrate-data", "--from", f"sqlite:///{source}", "--to", database_url)
    result = await asyncio.to_thread(run_bot, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "row counts and the tally of 0 guild(s) verified equal" in result.stdout
    db = await Database.open(database_url)
    await db.execute("INSERT INTO bot_state (key, value) VALUES ('x', 'y')")
    await db.close()
    again = await asyncio.to_thread(run_bot, *args, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip() == (
        "error: the target database is not empty (table bot_state has rows): migrate-data only fills an "
        "empty database."
    )
