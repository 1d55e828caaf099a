"""A digest reads on a connection of its own: writes never wait behind it.

The digest is stopped *inside* one of its SQL statements (a progress handler on its reader connection
blocks until the test lets it go), so its read transaction is open and its connection busy. A reaction
batch and a sign-up must be written and committed meanwhile: with the digest on the shared connection,
they would wait for that statement, and the test would time out instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from bot.clock import to_db
from bot.data.database import Database, Reader
from bot.data.guilds import GuildRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.reactions import ReactionChange, ReactionRepository
from bot.digest.builder import DigestBuilder
from bot.officehours import OfficeHoursService, SessionDraft

SUPPORT = "👍"
GUARD = 30.0  # seconds: only how long a failing run waits before it reports


@pytest.fixture
def stoppable_reader(monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, threading.Event]:
    """Every ``Database.reader()`` blocks inside its first listing statement (feedback.csv's lines) until
    ``release`` is set; ``inside`` is set once it is blocked (from the reader's own thread). By then the
    digest has read its title, tallies and figures: its snapshot is fixed."""
    inside, release = asyncio.Event(), threading.Event()
    original = Database.reader

    @asynccontextmanager
    async def reader(self: Database) -> AsyncIterator[Reader]:
        async with original(self) as opened:
            loop = asyncio.get_running_loop()
            connection = opened._connection
            raw = connection._conn

            listing = threading.Event()

            def started(sql: str) -> None:
                if "format('" in sql:
                    listing.set()

            def handler() -> int:
                if listing.is_set() and not release.is_set():
                    loop.call_soon_threadsafe(inside.set)
                    release.wait(GUARD)
                return 0  # carry on

            await connection._execute(raw.set_trace_callback, started)
            await connection._execute(raw.set_progress_handler, handler, 50)
            try:
                yield opened
            finally:
                await connection._execute(raw.set_progress_handler, None, 0)
                await connection._execute(raw.set_trace_callback, None)

    monkeypatch.setattr(Database, "reader", reader)
    return inside, release


async def test_writes_commit_while_a_digest_statement_is_running(db, guild, posts, clock, stoppable_reader):
    inside, release = stoppable_reader
    reactions = ReactionRepository(db)
    await reactions.apply([ReactionChange(True, 1001, SUPPORT, user) for user in range(1, 2001)], clock.now())
    for i in range(300):
        await db.execute(
            "INSERT INTO feedback (guild_id, recommendation_id, version, author_id, source, body, language,"
            " status, hidden, created_at, updated_at)"
            " SELECT ?, id, 1, ?, 'form', ?, 'en', 'active', 0, ?, ? FROM recommendations"
            " WHERE guild_id = ? AND number = 1",
            (guild, i + 1, f"item {i}", to_db(clock.now()), to_db(clock.now()), guild),
        )
    officehours = OfficeHoursService(OfficeHoursRepository(db), GuildRepository(db), clock)
    draft = SessionDraft(title="Q&A", start="2026-01-10T18:00Z", duration_minutes=60, capacity=5,
                         location_text="Jitsi")  # fmt: skip
    session = await officehours.schedule(guild, 1, draft)

    building = asyncio.create_task(
        DigestBuilder(db).build(guild, since=clock.now() - timedelta(days=1), now=clock.now())
    )
    try:
        await asyncio.wait_for(inside.wait(), GUARD)  # the digest is inside a statement, snapshot open
        written = await asyncio.wait_for(
            reactions.apply([ReactionChange(True, 1001, SUPPORT, 5000)], clock.now()), GUARD
        )
        seat = await asyncio.wait_for(officehours.sign_up(guild, session.id, 77, None), GUARD)
        assert written == 1 and seat.status == "confirmed"
        assert not building.done(), "the digest must still be inside its statement"
    finally:
        release.set()
    digest = await asyncio.wait_for(building, GUARD)
    # One snapshot: the digest counts what was committed before it began, not the write made meanwhile.
    r1 = next(row for row in digest.stance_tallies if row.recommendation_number == 1)
    assert (r1.members, r1.support) == (2000, 2000)
    assert digest.feedback_in_period == 300
    after = await DigestBuilder(db).build(guild, since=clock.now() - timedelta(days=1), now=clock.now())
    r1 = next(row for row in after.stance_tallies if row.recommendation_number == 1)
    assert (r1.members, r1.support) == (2001, 2001)
