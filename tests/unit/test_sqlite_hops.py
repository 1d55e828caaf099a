"""SQLite transactions: BEGIN IMMEDIATE travels with the first statement (one thread hop fewer)."""

from __future__ import annotations

import sqlite3

import pytest

from bot.data.database import Database

pytestmark = pytest.mark.sqlite_only


def count_hops(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    connection = db._backend.connection  # type: ignore[attr-defined]
    hops: list[object] = []
    original = connection._execute

    async def counted(fn: object, *args: object, **kwargs: object) -> object:
        hops.append(fn)
        return await original(fn, *args, **kwargs)

    monkeypatch.setattr(connection, "_execute", counted)
    return hops


async def test_a_transaction_of_one_statement_is_two_hops(db, monkeypatch):
    hops = count_hops(db, monkeypatch)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO bot_state (key, value) VALUES ('a', '1')")
    assert len(hops) == 2  # BEGIN IMMEDIATE + INSERT, then COMMIT
    assert await db.fetchval("SELECT value FROM bot_state WHERE key = 'a'") == "1"


async def test_an_empty_transaction_runs_nothing_and_a_failed_one_keeps_nothing(db, monkeypatch):
    hops = count_hops(db, monkeypatch)
    async with db.transaction():
        pass
    assert hops == []
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_state (key, value) VALUES ('b', '1')")
            raise RuntimeError("the rule refused")
    assert await db.fetchval("SELECT COUNT(*) FROM bot_state WHERE key = 'b'") == 0
    async with db.transaction() as tx:  # the connection is usable: no transaction was left open
        await tx.execute("INSERT INTO bot_state (key, value) VALUES ('c', '1')")
    assert await db.fetchval("SELECT COUNT(*) FROM bot_state WHERE key = 'c'") == 1


async def test_writes_nobody_reads_leave_with_the_commit(db, monkeypatch):
    hops = count_hops(db, monkeypatch)
    async with db.transaction() as tx:  # a sign-up group's shape: a read, then the rows
        await tx.fetchall("SELECT key FROM bot_state")
        await tx.executemany("INSERT INTO bot_state (key, value) VALUES (?, ?)", [("d", "1"), ("e", "2")])
    assert len(hops) == 2
    hops.clear()
    async with db.transaction() as tx:
        await tx.executemany("INSERT INTO bot_state (key, value) VALUES (?, ?)", [("f", "1")])
        # A later statement sees the deferred rows: they run first, in the same hop.
        assert await tx.fetchval("SELECT COUNT(*) FROM bot_state WHERE key IN ('d', 'e', 'f')") == 3
    assert len(hops) == 2


async def test_a_deferred_write_that_fails_fails_the_block_and_keeps_nothing(db):
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO bot_state (key, value) VALUES ('g', '1')")
            await tx.executemany("INSERT INTO bot_state (key, value) VALUES (?, ?)", [("g", "again")])
    assert await db.fetchval("SELECT COUNT(*) FROM bot_state WHERE key = 'g'") == 0
