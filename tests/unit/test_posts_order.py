"""Live posts come back in draft number order on both backends, whatever order they were stored in."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.recommendations import RecommendationRepository


async def test_live_posts_are_in_draft_order_whatever_order_they_were_posted_in(
    db: Database, guild: int, clock: FakeClock
) -> None:
    """Publishing posts a draft's reactions alongside the next drafts, so the posts' rows are not always
    stored in draft order; ``live_posts`` had no ORDER BY, and a reliability test that read ``posts[0]``
    as R1 failed on PostgreSQL one run in many."""
    repo = RecommendationRepository(db)
    drafts = await repo.all(guild)
    for rec in sorted(drafts, key=lambda r: -r.number):  # stored last draft first
        await repo.add_post(
            guild_id=guild, recommendation_id=rec.id, message_id=1000 + rec.number, channel_id=50,
            thread_id=2000 + rec.number, kind="forum", now=clock.now(),
        )  # fmt: skip
    expected = [1000 + rec.number for rec in sorted(drafts, key=lambda r: r.number)]
    assert [p.message_id for p in await repo.live_posts(guild)] == expected
    assert [p.message_id for p in await repo.live_posts()] == expected
