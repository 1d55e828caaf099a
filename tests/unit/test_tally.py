"""The tally: reaction rows, batched writes, reconciliation and the per-area cross-tab."""

import asyncio
import random

import pytest

from bot.data.guilds import GuildRepository
from bot.data.reactions import ReactionChange, ReactionRepository, net_changes
from bot.data.recommendations import RecommendationRepository
from bot.recommendations.writer import ReactionWriter

SUPPORT, OPPOSE, NEEDS_WORK = "👍", "👎", "🛠️"
AREA = {n: f"{n}\ufe0f\u20e3" for n in range(1, 10)}


def add(message, emoji, user):
    return ReactionChange(True, message, emoji, user)


def remove(message, emoji, user):
    return ReactionChange(False, message, emoji, user)


def test_net_changes_last_event_wins():
    adds, removes = net_changes([add(1, "a", 7), remove(1, "a", 7), add(1, "b", 7), add(1, "b", 7)])
    assert adds == [(1, "b", 7)]
    assert removes == [(1, "a", 7)]


async def test_duplicates_and_replays_never_double_count(db, posts, clock):
    repo = ReactionRepository(db)
    batch = [add(1001, SUPPORT, 5), add(1001, SUPPORT, 5)]
    await repo.apply(batch, clock.now())
    await repo.apply(batch, clock.now())  # a replayed batch
    assert await repo.members(1001, SUPPORT) == {5}
    await repo.apply([remove(1001, SUPPORT, 5)], clock.now())
    await repo.apply([remove(1001, SUPPORT, 5)], clock.now())
    assert await repo.members(1001, SUPPORT) == set()


async def test_cross_tab_against_a_model(db, guild, posts, clock):
    """Random reactions: the SQL cross-tab equals a tally computed by hand in Python."""
    rng = random.Random(7)
    repo = ReactionRepository(db)
    truth: set[tuple[int, str, int]] = set()
    emojis = [*AREA.values(), SUPPORT, OPPOSE, NEEDS_WORK]
    for _ in range(3000):
        key = (1000 + rng.randint(1, 9), rng.choice(emojis), rng.randint(1, 60))
        if rng.random() < 0.7:
            truth.add(key)
            await repo.apply([add(*key)], clock.now())
        else:
            truth.discard(key)
            await repo.apply([remove(*key)], clock.now())
    rows = await repo.area_tally(guild)
    assert len(rows) == 81
    for row in rows:
        message = 1000 + row.recommendation_number
        tagged = {u for (m, e, u) in truth if m == message and e == AREA[row.area_number]}
        stance = {
            key: {u for (m, e, u) in truth if m == message and e == emoji}
            for key, emoji in (("support", SUPPORT), ("oppose", OPPOSE), ("needs_work", NEEDS_WORK))
        }
        assert row.members == len(tagged)
        assert row.support == len(tagged & stance["support"])
        assert row.oppose == len(tagged & stance["oppose"])
        assert row.needs_work == len(tagged & stance["needs_work"])
    overall = await repo.stance_tally(guild)
    for row in overall:
        message = 1000 + row.recommendation_number
        assert row.members == len({u for (m, _, u) in truth if m == message})
        assert row.support == len({u for (m, e, u) in truth if m == message and e == SUPPORT})


async def test_deleted_posts_leave_the_tally(db, guild, posts, clock):
    repo = ReactionRepository(db)
    await repo.apply([add(1001, SUPPORT, 1), add(1001, AREA[1], 1)], clock.now())
    await RecommendationRepository(db).mark_post_deleted(1001, clock.now())
    rows = await repo.stance_tally(guild)
    assert rows[0].members == 0


async def test_reconcile(db, posts, clock):
    repo = ReactionRepository(db)
    await repo.apply([add(1002, OPPOSE, u) for u in (1, 2, 3)], clock.now())
    result = await repo.reconcile(1002, OPPOSE, {2, 3, 4, 5}, clock.now())
    assert (result.added, result.removed, result.unchanged) == (2, 1, 2)
    assert await repo.members(1002, OPPOSE) == {2, 3, 4, 5}


async def test_writer_batches_and_flushes_on_stop(db, posts, clock):
    repo = ReactionRepository(db)
    flushed: list[set[int]] = []

    async def listener(ids):
        flushed.append(ids)

    writer = ReactionWriter(repo, clock, interval=60, batch_size=10_000, on_flushed=listener)
    writer.start()
    for user in range(5000):
        writer.submit(add(1003, SUPPORT, user))
    assert writer.pending == 5000
    await writer.stop()
    assert writer.flushes == 1
    assert len(await repo.members(1003, SUPPORT)) == 5000
    assert flushed == [{1003}]


async def test_writer_keeps_a_failed_batch(db, guild, clock):
    """A batch that cannot be written (here: an untracked message) is kept, not lost."""
    writer = ReactionWriter(ReactionRepository(db), clock)
    writer.submit(add(999_999, SUPPORT, 1))
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await writer.flush()
    assert writer.pending == 1


async def test_watch_keeps_events_newer_than_a_snapshot(db, posts, clock):
    """Events seen while a post's list is read are applied after it, once: they leave the buffer."""
    repo = ReactionRepository(db)
    writer = ReactionWriter(repo, clock)
    with writer.watching(1004) as watch:
        writer.submit(add(1004, SUPPORT, 1))
        writer.submit(add(1005, SUPPORT, 1))
        assert watch.events == [add(1004, SUPPORT, 1)]
        await repo.reconcile(1004, SUPPORT, set(), clock.now())  # the list, read before the event
        assert await writer.apply_watched(watch) == 1
    assert await repo.members(1004, SUPPORT) == {1}
    assert writer.pending == 1  # only the other post's event is left for the writer
    writer.submit(add(1004, SUPPORT, 2))  # no longer watched
    assert writer.pending == 2


async def test_apply_watched_waits_for_a_batch_in_flight(db, posts, clock):
    """A batch the writer took before the watch's events were applied cannot land after them."""
    repo = HeldRepository(db)
    writer = ReactionWriter(repo, clock, interval=60)
    repo.release.set()
    await repo.apply([add(1006, SUPPORT, 7)], clock.now())
    repo.release.clear()
    repo.writing.clear()
    with writer.watching(1006) as watch:
        writer.submit(add(1006, SUPPORT, 8))  # in the writer's next batch, and watched
        flushing = asyncio.create_task(writer.flush())
        await repo.writing.wait()  # that batch is in flight, held
        writer.submit(ReactionChange(False, 1006, SUPPORT, 8))  # newer: the member took it back
        applying = asyncio.create_task(writer.apply_watched(watch))
        repo.release.set()
        await flushing
        await applying
    assert await ReactionRepository(db).members(1006, SUPPORT) == {7}


async def test_top_areas(db, guild, posts, clock):
    repo = ReactionRepository(db)
    changes = [add(1001, AREA[n], u) for n in range(1, 8) for u in range(n)]
    await repo.apply(changes, clock.now())
    areas = {a.id: a.number for a in await GuildRepository(db).scoping_areas(guild)}
    top = await repo.top_areas(1001, guild, 5)
    assert [areas[a] for a in top] == [7, 6, 5, 4, 3]


class HeldRepository(ReactionRepository):
    """A real repository whose writes wait for the test's word, so a batch can be caught in flight."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    async def apply(self, changes, now):
        self.writing.set()
        await self.release.wait()
        return await super().apply(changes, now)


async def test_pending_counts_the_batch_being_written(db, posts, clock):
    """A batch in flight is still pending: a caller must never read 0 before it is on disk."""
    repo = HeldRepository(db)
    writer = ReactionWriter(repo, clock, interval=60)
    for user in range(3):
        writer.submit(add(1006, SUPPORT, user))
    flushing = asyncio.create_task(writer.flush())
    await repo.writing.wait()
    assert writer.pending == 3
    writer.submit(add(1006, SUPPORT, 99))
    assert writer.pending == 4
    repo.release.set()
    assert await flushing == 3
    assert writer.pending == 1
    await writer.flush()
    assert writer.pending == 0
