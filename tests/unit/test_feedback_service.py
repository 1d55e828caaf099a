"""Feedback rules and service against a real SQLite database and a clock the tests move."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.recommendations import Post, RecommendationRepository
from bot.errors import UserError
from bot.feedback.language import LanguageDetector
from bot.feedback.rules import COOLDOWN_ITEMS, MAX_LENGTH, check_text, cooldown_retry_after, is_blank
from bot.feedback.service import FeedbackService
from bot.i18n import t

ALICE, BOB, WG = 1001, 1002, 2001
THREAD, MESSAGE = 5000, 4999


def service(db: Database, clock: FakeClock) -> FeedbackService:
    return FeedbackService(db, GuildRepository(db), clock, LanguageDetector(use_model=False))


async def rec_id(db: Database, guild: int, number: int = 1) -> int:
    recommendation = await RecommendationRepository(db).by_number(guild, number)
    assert recommendation is not None
    return recommendation.id


async def posted(db: Database, clock: FakeClock, guild: int) -> Post:
    return await RecommendationRepository(db).add_post(
        guild_id=guild,
        recommendation_id=await rec_id(db, guild),
        message_id=MESSAGE,
        channel_id=4000,
        thread_id=THREAD,
        kind="text",
        now=clock.now(),
    )


def refusal(error: pytest.ExceptionInfo[UserError]) -> str:
    """The sentence the member reads: every refusal key must exist in the catalogue."""
    return t(error.value.key, None, **error.value.params)


# -- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", " ", "\n\t ", "\u200b\u200b", "\u3000", "\u2028", "\x00", "\ufeff \u200d"]
)
def test_blank_texts_are_refused(text: str) -> None:
    assert is_blank(text)
    with pytest.raises(UserError) as error:
        check_text(text)
    assert error.value.key == "feedback.empty"
    assert "empty" in refusal(error)


@pytest.mark.parametrize("text", ["ok", " 👍 ", "ـ", "**bold**", "@everyone", "\u200bx", "٣"])
def test_visible_texts_are_kept_exactly(text: str) -> None:
    assert check_text(text) == text


def test_over_long_text_is_refused_with_both_numbers() -> None:
    assert check_text("é" * MAX_LENGTH) == "é" * MAX_LENGTH
    with pytest.raises(UserError) as error:
        check_text("é" * (MAX_LENGTH + 1))
    assert error.value.params == {"limit": MAX_LENGTH, "length": MAX_LENGTH + 1}
    assert "4001" in refusal(error) and "4000" in refusal(error)


def test_cooldown_arithmetic() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    seconds = timedelta(seconds=1)
    assert cooldown_retry_after([], now) == 0
    assert cooldown_retry_after([now - 10 * seconds, now - 5 * seconds], now) == 0
    recent = [now - 50 * seconds, now - 20 * seconds, now]
    assert cooldown_retry_after(recent, now) == 10
    assert cooldown_retry_after(recent, now + 10 * seconds) == 0
    assert cooldown_retry_after(recent, now + 9.5 * seconds) == 1


# -- form feedback --------------------------------------------------------------------------


async def give(svc: FeedbackService, guild: int, rec: int, text: str = "Looks good.", **kw: object):
    values: dict[str, object] = {
        "guild_id": guild,
        "user_id": ALICE,
        "recommendation_id": rec,
        "text": text,
        "anonymous": False,
        "area_number": None,
        "locale": "fr",
    }
    values.update(kw)
    return await svc.give(**values)  # type: ignore[arg-type]


async def test_give_stores_version_area_locale_and_exact_text(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc = service(db, clock)
    rec = await rec_id(db, guild)
    await RecommendationRepository(db).revise(rec, "New title", "New body", WG, clock.now())
    text = "  **Très** bien — mais @everyone <@&1> 🧪\n\nà revoir  "
    item = await give(svc, guild, rec, text, area_number=3, anonymous=True, channel_id=77, locale="en-US")
    assert item.body == text and item.version == 2 and item.area_number == 3
    # Without the model, two French words are not enough to tell: not known, never the client's locale.
    assert item.language is None and item.anonymous and item.source == "form" and item.channel_id == 77
    assert await db.fetchval("SELECT locale FROM feedback WHERE id = ?", (item.id,)) == "en-US"


@pytest.mark.parametrize(
    ("phase", "key"), [("draft", "feedback.phase_draft"), ("closed", "feedback.phase_closed")]
)
async def test_feedback_is_refused_unless_open(
    db: Database, clock: FakeClock, guild: int, phase: str, key: str
) -> None:
    svc = service(db, clock)
    await GuildRepository(db).update(guild, clock.now(), phase=phase)
    with pytest.raises(UserError) as error:
        await give(svc, guild, await rec_id(db, guild))
    assert error.value.key == key
    with pytest.raises(UserError):
        await svc.check_may_give(guild, ALICE)
    assert await FeedbackRepository(db).for_author(guild, ALICE) == []


async def test_unknown_recommendation_and_area(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    with pytest.raises(UserError) as error:
        await svc.recommendation_by_number(guild, 42)
    assert error.value.key == "feedback.unknown_recommendation" and "42" in refusal(error)
    with pytest.raises(UserError) as error:
        await give(svc, guild, 999_999)
    assert error.value.key == "feedback.unknown_recommendation_button"
    with pytest.raises(UserError) as error:
        await give(svc, guild, await rec_id(db, guild), area_number=99)
    assert error.value.key == "feedback.unknown_area"
    with pytest.raises(UserError) as error:
        await svc.recommendation_by_id(guild + 1, await rec_id(db, guild))
    assert error.value.key == "feedback.unknown_recommendation_button", "another guild's draft"


async def test_cooldown_per_member_moves_with_the_clock(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    rec = await rec_id(db, guild)
    for _ in range(COOLDOWN_ITEMS):
        await give(svc, guild, rec)
        clock.advance(seconds=10)
    with pytest.raises(UserError) as error:
        await give(svc, guild, rec)
    assert error.value.key == "feedback.too_fast" and error.value.params["seconds"] == 30
    with pytest.raises(UserError):
        await svc.check_may_give(guild, ALICE)
    await give(svc, guild, rec, user_id=BOB)  # another member is not slowed down
    clock.advance(seconds=30)
    await give(svc, guild, rec)
    assert len(await FeedbackRepository(db).for_author(guild, ALICE)) == COOLDOWN_ITEMS + 1


# -- thread replies -------------------------------------------------------------------------


async def test_thread_reply_edit_delete(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    post = await posted(db, clock, guild)
    item = await svc.capture_reply(
        post=post, message_id=1, channel_id=THREAD, author_id=BOB, text="Ελπίζω ναι"
    )
    assert item is not None and item.source == "thread" and item.language == "el" and item.message_id == 1
    assert (
        await svc.capture_reply(post=post, message_id=1, channel_id=THREAD, author_id=BOB, text="x") is None
    )
    assert (
        await svc.capture_reply(post=post, message_id=2, channel_id=THREAD, author_id=BOB, text=" ") is None
    )
    clock.advance(minutes=2)
    assert await svc.reply_edited(1, "Ελπίζω ναι, αλλά όχι τώρα")
    repo = FeedbackRepository(db)
    edited = await repo.get(item.id)
    assert edited.body == "Ελπίζω ναι, αλλά όχι τώρα" and edited.updated_at == clock.now()
    assert [h.body for h in await repo.history(item.id)] == ["Ελπίζω ναι"]
    assert not await svc.reply_edited(12345, "not feedback")
    assert await svc.reply_deleted(1)
    assert (await repo.get(item.id)).status == "deleted"
    assert not await svc.reply_edited(1, "too late")


async def test_thread_reply_is_tied_to_the_version_current_then(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc = service(db, clock)
    post = await posted(db, clock, guild)
    before = await svc.capture_reply(
        post=post, message_id=1, channel_id=THREAD, author_id=BOB, text="v1 comment"
    )
    await RecommendationRepository(db).revise(post.recommendation_id, "T", "B", WG, clock.now())
    after = await svc.capture_reply(
        post=post, message_id=2, channel_id=THREAD, author_id=BOB, text="v2 comment"
    )
    assert before is not None and after is not None
    assert (before.version, after.version) == (1, 2)


async def test_thread_replies_ignored_when_not_open(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    post = await posted(db, clock, guild)
    item = await svc.capture_reply(
        post=post, message_id=1, channel_id=THREAD, author_id=BOB, text="said while open"
    )
    await GuildRepository(db).update(guild, clock.now(), phase="closed")
    assert (
        await svc.capture_reply(post=post, message_id=2, channel_id=THREAD, author_id=BOB, text="late")
        is None
    )
    assert not await svc.reply_edited(1, "rewritten after closing")
    assert item is not None and (await FeedbackRepository(db).get(item.id)).body == "said while open"


# -- own items and responses ----------------------------------------------------------------


async def test_edit_and_withdraw_own_items_only(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    rec = await rec_id(db, guild)
    item = await give(svc, guild, rec, "first", anonymous=True)
    with pytest.raises(UserError) as error:
        await svc.edit_own(guild, BOB, item.id, "hijack")
    assert error.value.key == "feedback.not_yours"
    with pytest.raises(UserError) as error:
        await svc.edit_own(guild, ALICE, item.id, "   ")
    assert error.value.key == "feedback.empty"
    edited = await svc.edit_own(guild, ALICE, item.id, "second")
    assert edited.body == "second"
    await GuildRepository(db).update(guild, clock.now(), phase="closed")
    with pytest.raises(UserError):
        await svc.edit_own(guild, ALICE, item.id, "third")
    await svc.withdraw_own(guild, ALICE, item.id)  # still allowed once closed
    with pytest.raises(UserError):
        await svc.withdraw_own(guild, ALICE, item.id)


async def test_thread_items_are_edited_in_the_thread(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    post = await posted(db, clock, guild)
    item = await svc.capture_reply(post=post, message_id=1, channel_id=THREAD, author_id=BOB, text="reply")
    assert item is not None
    with pytest.raises(UserError) as error:
        await svc.edit_own(guild, BOB, item.id, "changed")
    assert error.value.key == "feedback.edit_in_thread"


async def test_respond_names_the_thread_for_named_items_only(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc = service(db, clock)
    post = await posted(db, clock, guild)
    named = await give(svc, guild, post.recommendation_id, "named", user_id=BOB)
    secret = await give(svc, guild, post.recommendation_id, "secret", anonymous=True)
    answered = await svc.respond(guild, WG, named.id, "Thank you, Bob.")
    assert answered.thread_id == THREAD and not answered.anonymous and answered.author_id == BOB
    assert answered.item.author_id == BOB and answered.item.responses == 1
    answered = await svc.respond(guild, WG, secret.id, "Thank you.")
    assert answered.anonymous and answered.item.author_id is None
    # Two commands at once: the answer is shown by one of them, never twice.
    (first, _), (second, _) = await asyncio.gather(
        svc.take_pending(guild, ALICE, 10), svc.take_pending(guild, ALICE, 10)
    )
    assert sorted(p.feedback_id for p in first + second) == [secret.id]
    taken, at = await svc.take_pending(guild, BOB, 10)
    await svc.give_back([p.id for p in taken], at)  # Bob could not be shown it: it waits for him
    assert [p.feedback_id for p in (await svc.take_pending(guild, BOB, 10))[0]] == [named.id]
    with pytest.raises(UserError) as error:
        await svc.respond(guild, WG, 999, "?")
    assert error.value.key == "feedback.unknown_item"
    with pytest.raises(UserError) as error:
        await svc.respond(guild, WG, named.id, "x" * 1501)
    assert error.value.key == "feedback.too_long"
    await FeedbackRepository(db).hide(named.id, WG, "spam", clock.now())
    with pytest.raises(UserError):
        await svc.respond(guild, WG, named.id, "hidden items cannot be answered")
