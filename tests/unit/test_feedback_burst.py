"""Form feedback submitted in a burst: grouped in one transaction, exactly the rules of one at a time."""

from __future__ import annotations

import asyncio

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.feedback.language import LanguageDetector
from bot.feedback.service import FeedbackService
from tests.faults import install_insert_fault, remove_insert_fault


async def setup(db: Database, clock: FakeClock, guild: int) -> tuple[FeedbackService, int]:
    svc = FeedbackService(db, GuildRepository(db), clock, LanguageDetector(use_model=False))
    recommendation = await RecommendationRepository(db).by_number(guild, 1)
    assert recommendation is not None
    return svc, recommendation.id


def form(guild: int, user: int, rec: int, text: str = "Good.", **kw: object) -> dict[str, object]:
    values: dict[str, object] = {
        "guild_id": guild,
        "user_id": user,
        "recommendation_id": rec,
        "text": text,
        "anonymous": False,
        "area_number": None,
        "locale": "en",
    }
    values.update(kw)
    return values


async def test_a_burst_is_one_group_with_each_rule_applied_in_order(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, rec = await setup(db, clock, guild)
    burst = [form(guild, 10 + i % 20, rec, f"item {i}") for i in range(60)]  # 20 members, 3 items each
    burst += [
        form(guild, 10, rec, "a fourth item within the minute"),  # the cooldown counts the group
        form(guild, 99, rec, "   "),  # blank
        form(guild, 99, 123456, "no such draft"),
        form(guild, 99, rec, "no such area", area_number=42),
        form(guild, 99, rec, "kept", area_number=3, anonymous=True),
    ]
    before = svc.forms.groups
    results = await asyncio.gather(*(svc.give(**f) for f in burst), return_exceptions=True)  # type: ignore[arg-type]
    assert svc.forms.groups - before <= 3  # grouped: not one transaction per submission
    kept = results[:60]
    assert all(not isinstance(r, BaseException) for r in kept), kept
    assert [r.body for r in kept] == [f"item {i}" for i in range(60)]  # type: ignore[union-attr]
    assert [r.id for r in kept] == sorted(r.id for r in kept)  # type: ignore[union-attr]
    fourth, blank, unknown, area, last = results[60:]
    assert isinstance(fourth, UserError) and fourth.key == "feedback.too_fast"
    assert isinstance(blank, UserError) and blank.key == "feedback.empty"
    assert isinstance(unknown, UserError) and unknown.key == "feedback.unknown_recommendation_button"
    assert isinstance(area, UserError) and area.key == "feedback.unknown_area"
    assert not isinstance(last, BaseException)
    assert (last.body, last.area_number, last.anonymous) == ("kept", 3, True)
    stored = await FeedbackRepository(db).for_author(guild, 10)
    assert sorted(i.body for i in stored) == ["item 0", "item 20", "item 40"]


async def test_a_group_whose_transaction_fails_stores_none_of_it(
    db: Database, clock: FakeClock, guild: int
) -> None:
    """A real fault inside the transaction, after some rows of the group were inserted: a trigger writes
    to a table that is gone, for one member's item only. Everybody in the group gets the error."""
    svc, rec = await setup(db, clock, guild)
    await install_insert_fault(db, "feedback", "author_id", 13)
    results = await asyncio.gather(
        *(svc.give(**form(guild, user, rec)) for user in (11, 12, 13, 14)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    # Which submissions share 13's group depends on how fast the language detection threads return
    # (PostgreSQL starts the first group sooner than SQLite): 13's group fails whole, the others stand.
    failed = {u for u, r in zip((11, 12, 13, 14), results, strict=True) if isinstance(r, BaseException)}
    assert 13 in failed
    for user, result in zip((11, 12, 13, 14), results, strict=True):
        stored = await FeedbackRepository(db).for_author(guild, user)
        if user in failed:
            assert "fault_target" in str(result) and stored == [], (user, result)
        else:
            assert [i.body for i in stored] == ["Good."], (user, result)
    await remove_insert_fault(db, "feedback")
    again = await svc.give(**form(guild, 11, rec))  # type: ignore[arg-type]
    assert again.body == "Good."
