"""The contradiction check behind the out-of-order repair, against a real SQLite database: which batches
flag a post for reconciliation, and that the batch is written all the same."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.reactions import ReactionChange, ReactionRepository, net_changes
from bot.data.recommendations import RecommendationRepository
from bot.recommendations.writer import ReactionWriter

GUILD_POST, OTHER_POST = 1001, 1002
SUPPORT = "👍"


async def make_posts(db, guild) -> None:
    repo = RecommendationRepository(db)
    recommendations = await repo.all(guild)
    for message_id, rec in ((GUILD_POST, recommendations[0]), (OTHER_POST, recommendations[1])):
        await repo.add_post(
            guild_id=guild,
            recommendation_id=rec.id,
            message_id=message_id,
            channel_id=9,
            thread_id=message_id,
            kind="forum",
            now=FakeClock().now(),
        )


def add(user: int, message: int = GUILD_POST) -> ReactionChange:
    return ReactionChange(True, message, SUPPORT, user)


def remove(user: int, message: int = GUILD_POST) -> ReactionChange:
    return ReactionChange(False, message, SUPPORT, user)


async def test_which_batches_contradict_the_stored_rows(db, guild, clock):
    await make_posts(db, guild)
    repo = ReactionRepository(db)
    assert await repo.apply_checked([add(1), add(2)], clock.now()) == set()
    # Ordinary toggles and a duplicated frame inside one batch: nothing suspicious.
    assert await repo.apply_checked([remove(1), add(1), add(3), add(3)], clock.now()) == set()
    # A remove that arrives before its add: the member was never stored.
    assert await repo.apply_checked([remove(4, OTHER_POST), add(4, OTHER_POST)], clock.now()) == {OTHER_POST}
    # An add of a reaction already stored (its remove is still on the way).
    assert await repo.apply_checked([add(2)], clock.now()) == {GUILD_POST}
    # The batch is written regardless, last event winning, like ``apply``.
    assert await repo.members(GUILD_POST, SUPPORT) == {1, 2, 3}
    assert await repo.members(OTHER_POST, SUPPORT) == {4}


@given(
    stored=st.sets(st.integers(1, 6), max_size=6),
    batch=st.lists(st.tuples(st.booleans(), st.integers(1, 6)), max_size=20),
)
@settings(max_examples=40, deadline=None, database=None, derandomize=True)
def test_flagged_exactly_when_a_first_event_contradicts(stored, batch):
    """The rule, checked against a model: flagged iff some member's first event in the batch adds what is
    stored or removes what is not; the rows afterwards are the model's net result."""

    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            db = await Database.open(Path(folder) / "model.sqlite3")
            try:
                await GuildRepository(db).ensure(7, load_content(), FakeClock().now())
                await make_posts(db, 7)
                repo = ReactionRepository(db)
                await repo.apply([add(user) for user in stored], FakeClock().now())
                changes = [add(user) if added else remove(user) for added, user in batch]
                first: dict[int, bool] = {}
                for added, user in batch:
                    first.setdefault(user, added)
                expected = any(added == (user in stored) for user, added in first.items())
                flagged = await repo.apply_checked(changes, FakeClock().now())
                assert flagged == ({GUILD_POST} if expected else set())
                adds, removes = net_changes(changes)
                model = (stored | {key[2] for key in adds}) - {key[2] for key in removes}
                assert await repo.members(GUILD_POST, SUPPORT) == model
            finally:
                await db.close()

    asyncio.run(run())


async def test_writer_reports_contradictions_after_writing(db, guild, clock):
    await make_posts(db, guild)
    seen: list[set[int]] = []

    async def listener(message_ids: set[int]) -> None:
        seen.append(message_ids)

    writer = ReactionWriter(ReactionRepository(db), clock, interval=60, on_contradiction=listener)
    writer.submit(remove(9))
    writer.submit(add(9))
    assert await writer.flush() == 2
    assert seen == [{GUILD_POST}]
    writer.submit(add(10))
    await writer.flush()
    assert seen == [{GUILD_POST}]  # nothing new to report
