"""Feedback data layer against a real SQLite database: round-trips, history, anonymity, privacy."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository, WorkingGroupItem
from bot.data.guilds import GuildRepository
from bot.data.recommendations import RecommendationRepository

ALICE, BOB, WG = 1001, 1002, 2001


async def first_recommendation(db: Database, guild: int) -> int:
    recommendation = await RecommendationRepository(db).by_number(guild, 1)
    assert recommendation is not None
    return recommendation.id


async def add(repo: FeedbackRepository, guild: int, rec: int, clock: FakeClock, **kw: object):
    values: dict[str, object] = {
        "guild_id": guild,
        "recommendation_id": rec,
        "version": 1,
        "author_id": ALICE,
        "body": "Clear and fair.",
        "source": "form",
        "now": clock.now(),
    }
    values.update(kw)
    return await repo.add(**values)  # type: ignore[arg-type]


async def test_add_and_get_keep_everything(db: Database, clock: FakeClock, guild: int) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    areas = await GuildRepository(db).scoping_areas(guild)
    item = await add(repo, guild, rec, clock, scoping_area_id=areas[2].id, language="pt-BR", anonymous=True)
    got = await repo.get(item.id)
    assert got == item
    assert got.recommendation_number == 1 and got.area_number == areas[2].number
    assert got.anonymous and got.author_id == ALICE and got.language == "pt-BR"
    assert got.status == "active" and not got.hidden and got.source == "form"


unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # lone surrogates cannot be encoded at all
    min_size=1,
    max_size=400,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=unicode_text)
async def test_any_unicode_round_trips_unchanged(tmp_path: Path, body: str) -> None:
    """Hypothesis: whatever a member writes (any script, emoji, NUL, RTL marks, markdown) comes back as is."""
    db = await Database.open(tmp_path / f"prop-{uuid.uuid4().hex}.sqlite3")
    try:
        clock = FakeClock()
        await GuildRepository(db).ensure(7, load_content(), clock.now())
        repo = FeedbackRepository(db)
        rec = await first_recommendation(db, 7)
        item = await add(repo, 7, rec, clock, body=body)
        assert (await repo.get(item.id)).body == body
        [listed] = await repo.for_working_group(7)
        assert listed.body == body
        edited = body[::-1] + "\u200d"
        assert await repo.edit(item.id, edited, clock.advance(seconds=1))
        assert (await repo.get(item.id)).body == edited
        assert [h.body for h in await repo.history(item.id)] == [body]
    finally:
        await db.close()


async def test_edit_keeps_the_previous_text_in_history(db: Database, clock: FakeClock, guild: int) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    item = await add(repo, guild, rec, clock, body="first")
    assert await repo.edit(item.id, "second", clock.advance(minutes=1), language="fr")
    assert await repo.edit(item.id, "second", clock.advance(minutes=1))  # unchanged: no history line
    assert await repo.edit(item.id, "third", clock.advance(minutes=1))
    got = await repo.get(item.id)
    assert got.body == "third" and got.language == "fr" and got.updated_at == clock.now()
    assert [h.body for h in await repo.history(item.id)] == ["first", "second"]
    assert await repo.set_status(item.id, "withdrawn", clock.now())
    assert not await repo.edit(item.id, "fourth", clock.now()), "a withdrawn item is not edited"
    assert not await repo.set_status(item.id, "deleted", clock.now())


async def test_working_group_rows_never_carry_an_anonymous_author(
    db: Database, clock: FakeClock, guild: int
) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    named = await add(repo, guild, rec, clock, author_id=BOB, body="named")
    secret = await add(repo, guild, rec, clock, anonymous=True, body="anonymous")
    listed = {item.id: item for item in await repo.for_working_group(guild, limit=50)}
    assert listed[named.id].author_id == BOB
    assert listed[secret.id].author_id is None and listed[secret.id].anonymous
    single = await repo.working_group_item(guild, secret.id)
    assert single is not None and single.author_id is None
    for item in listed.values():
        assert ALICE not in dataclasses.astuple(item), "the anonymous author's id is in a working-group row"
    assert {f.name for f in dataclasses.fields(WorkingGroupItem)} >= {"author_id", "anonymous"}
    # The author still finds it.
    assert [item.id for item in await repo.for_author(guild, ALICE)] == [secret.id]


async def test_working_group_view_leaves_out_hidden_withdrawn_deleted(
    db: Database, clock: FakeClock, guild: int
) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    kept, hidden, withdrawn, deleted = [await add(repo, guild, rec, clock, body=str(i)) for i in range(4)]
    assert await repo.hide(hidden.id, WG, "personal attack", clock.now())
    assert not await repo.hide(hidden.id, WG, "again", clock.now())
    await repo.set_status(withdrawn.id, "withdrawn", clock.now())
    await repo.set_status(deleted.id, "deleted", clock.now())
    assert [item.id for item in await repo.for_working_group(guild)] == [kept.id]
    assert await repo.count_for_working_group(guild) == (1, 1)
    assert await repo.working_group_item(guild, hidden.id) is None
    stored = await repo.get(hidden.id)
    assert stored.hidden and stored.hidden_by == WG and stored.hidden_reason == "personal attack"
    assert await repo.restore(hidden.id, clock.now())
    assert not (await repo.get(hidden.id)).hidden
    assert len(await repo.for_working_group(guild)) == 2


async def test_unanswered_first_then_oldest_and_paging(db: Database, clock: FakeClock, guild: int) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    items = []
    for i in range(7):
        items.append(await add(repo, guild, rec, clock, body=f"item {i}"))
        clock.advance(minutes=1)
    await repo.add_response(items[0].id, WG, "Thanks, noted.", clock.now())
    order = [item.id for item in await repo.for_working_group(guild, limit=50)]
    assert order == [item.id for item in items[1:]] + [items[0].id]
    page2 = await repo.for_working_group(guild, limit=5, offset=5)
    assert [item.id for item in page2] == [items[6].id, items[0].id]
    assert page2[-1].responses == 1
    assert await repo.count_for_working_group(guild) == (7, 6)
    assert await repo.count_for_working_group(guild, recommendation_id=rec + 1) == (0, 0)


async def test_responses_and_delivery(db: Database, clock: FakeClock, guild: int) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    item = await add(repo, guild, rec, clock, anonymous=True)
    other = await add(repo, guild, rec, clock, author_id=BOB)
    first = await repo.add_response(item.id, WG, "We will change section 2.", clock.now())
    await repo.add_response(other.id, WG, "Thanks Bob.", clock.now())
    pending = await repo.take_undelivered(guild, ALICE, 10, clock.advance(minutes=5))
    assert [(p.id, p.feedback_id, p.recommendation_number, p.body) for p in pending] == [
        (first.id, item.id, 1, "We will change section 2.")
    ]
    assert await repo.take_undelivered(guild, ALICE, 10, clock.now()) == []  # taken once
    [response] = await repo.responses(item.id)
    assert response.delivered_at == clock.now()
    await repo.mark_delivered([first.id], clock.advance(minutes=5))  # already delivered: unchanged
    assert (await repo.responses(item.id))[0].delivered_at == response.delivered_at
    assert len(await repo.take_undelivered(guild, BOB, 10, clock.now())) == 1


async def test_recent_form_times_count_only_forms_in_the_window(
    db: Database, clock: FakeClock, guild: int
) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    start = clock.now()
    await add(repo, guild, rec, clock)
    clock.advance(seconds=30)
    await add(repo, guild, rec, clock)
    await add(repo, guild, rec, clock, source="thread", message_id=555)
    await add(repo, guild, rec, clock, author_id=BOB)
    assert await repo.recent_form_times(guild, ALICE, start) == [start, clock.now()]
    assert await repo.recent_form_times(guild, ALICE, clock.now()) == [clock.now()]


async def test_delete_and_export_author(db: Database, clock: FakeClock, guild: int) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    mine = await add(repo, guild, rec, clock, anonymous=True, body="v1")
    await repo.edit(mine.id, "v2", clock.advance(minutes=1))
    await repo.add_response(mine.id, WG, "Answer", clock.now())
    await repo.set_status((await add(repo, guild, rec, clock, body="gone")).id, "withdrawn", clock.now())
    bobs = await add(repo, guild, rec, clock, author_id=BOB)
    exported = await repo.export_author(guild, ALICE)
    assert [entry["text"] for entry in exported] == ["gone", "v2"]
    entry = next(e for e in exported if e["text"] == "v2")
    assert entry["earlier_texts"][0]["text"] == "v1" and entry["responses"][0]["text"] == "Answer"
    assert entry["anonymous"] is True and "author_id" not in entry
    assert await repo.delete_author(guild, ALICE) == 2
    assert await repo.for_author(guild, ALICE, active_only=False) == []
    assert await db.fetchval("SELECT COUNT(*) FROM feedback_history") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM feedback_responses") == 0
    assert (await repo.get(bobs.id)) is not None


async def test_by_message(db: Database, clock: FakeClock, guild: int) -> None:
    repo = FeedbackRepository(db)
    rec = await first_recommendation(db, guild)
    item = await add(repo, guild, rec, clock, source="thread", message_id=987, channel_id=654, language="de")
    assert (await repo.by_message(987)) == item
    assert await repo.by_message(988) is None
