"""Fixtures shared by the unit tests of the tally and the digest."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.recommendations import Post, RecommendationRepository


@pytest.fixture
async def posts(db: Database, guild: int, clock: FakeClock) -> dict[int, Post]:
    """A live post for every draft (by number): message id = 1000 + number."""
    recommendations = RecommendationRepository(db)
    created = {}
    for rec in await recommendations.all(guild):
        created[rec.number] = await recommendations.add_post(
            guild_id=guild,
            recommendation_id=rec.id,
            message_id=1000 + rec.number,
            channel_id=50,
            thread_id=2000 + rec.number,
            kind="forum",
            now=clock.now(),
        )
    return created
