"""Moderation services against a real database: phases, hiding, forgotten members, export and erasure."""

from datetime import timedelta

import pytest

from bot.data.audit import AuditRepository
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.moderation import ModerationRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.reactions import ReactionChange, ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.moderation.hiding import HidingService
from bot.moderation.phases import PhaseService
from bot.moderation.privacy import ForgottenRegistry, PrivacyService
from bot.moderation.threads import parse_message_reference
from bot.officehours.service import OfficeHoursService

# Snowflake-sized ids: a short id like 501 turns up by chance inside hex hashes and salts.
ALICE, BOB, CHEN, MOD = (1_180_000_000_000_000_000 + n for n in (501, 502, 503, 504))


async def all_values(db):
    """Every value of every row of every table (the "no trace" check)."""
    tables = await db.tables()
    values = []
    for table in tables:
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            values.extend((table, value) for value in tuple(row))
    return values


def traces(values, user_id):
    return [(table, v) for table, v in values if v == user_id or (isinstance(v, str) and str(user_id) in v)]


# -- phases ------------------------------------------------------------------------------------


async def test_phase_changes_and_refusals(db, clock, guild):
    phases = PhaseService(GuildRepository(db), clock)
    with pytest.raises(UserError) as refused:
        await phases.change(guild, "open")
    assert refused.value.key == "moderation.phase.already_open"
    change = await phases.change(guild, "closed")
    assert change.closed_now and not change.reopened
    assert change.after.phase == "closed" and change.after.phase_changed_at == clock.now()
    with pytest.raises(UserError):
        await phases.change(guild, "sideways")
    again = await phases.change(guild, "open")
    assert again.reopened
    with pytest.raises(UserError) as public:
        await phases.change(guild, "draft", published=True)
    assert public.value.key == "moderation.phase.draft_after_publish"
    assert (await phases.change(guild, "draft")).after.phase == "draft"


async def test_scheduled_close_comes_due(db, clock, guild):
    phases = PhaseService(GuildRepository(db), clock)
    with pytest.raises(UserError) as past:
        await phases.schedule_close(guild, clock.now() - timedelta(minutes=1))
    assert past.value.key == "moderation.phase.close_in_past"
    await phases.schedule_close(guild, clock.now() + timedelta(hours=2))
    assert await phases.due_closes() == []
    clock.advance(hours=2)
    assert await phases.due_closes() == [guild]
    change = await phases.change(guild, "closed")
    assert change.after.closes_at is None  # a change drops the schedule
    assert await phases.due_closes() == []


async def test_cancel_scheduled_close(db, clock, guild):
    phases = PhaseService(GuildRepository(db), clock)
    with pytest.raises(UserError):
        await phases.cancel_scheduled_close(guild)
    await phases.schedule_close(guild, clock.now() + timedelta(days=1))
    settings = await phases.cancel_scheduled_close(guild)
    assert settings.closes_at is None and settings.phase == "open"


# -- hiding ------------------------------------------------------------------------------------


async def add_feedback(db, clock, guild, author=ALICE, number=1, anonymous=False, body="More translations."):
    rec = await RecommendationRepository(db).by_number(guild, number)
    return await FeedbackRepository(db).add(
        guild_id=guild,
        recommendation_id=rec.id,
        version=rec.version,
        author_id=author,
        body=body,
        source="form",
        now=clock.now(),
        anonymous=anonymous,
    )


async def test_hide_keeps_the_item_but_leaves_working_group_views(db, clock, guild):
    item = await add_feedback(db, clock, guild)
    feedback = FeedbackRepository(db)
    hiding = HidingService(feedback, clock)
    with pytest.raises(UserError) as no_reason:
        await hiding.hide(guild, item.id, MOD, "   ")
    assert no_reason.value.key == "moderation.feedback.reason_needed"
    hidden = await hiding.hide(guild, item.id, MOD, "personal attack")
    assert hidden.hidden and hidden.hidden_reason == "personal attack" and hidden.hidden_by == MOD
    assert await feedback.for_working_group(guild) == []
    assert await feedback.count_for_working_group(guild) == (0, 0)
    assert [f.id for f in await feedback.for_author(guild, ALICE)] == [item.id]  # kept, the author sees it
    with pytest.raises(UserError) as twice:
        await hiding.hide(guild, item.id, MOD, "again")
    assert twice.value.key == "moderation.feedback.already_hidden"
    restored = await hiding.restore(guild, item.id)
    assert not restored.hidden
    assert [i.id for i in await feedback.for_working_group(guild)] == [item.id]
    with pytest.raises(UserError) as not_hidden:
        await hiding.restore(guild, item.id)
    assert not_hidden.value.key == "moderation.feedback.not_hidden"


async def test_hiding_another_guilds_item_is_refused(db, clock, guild):
    item = await add_feedback(db, clock, guild)
    hiding = HidingService(FeedbackRepository(db), clock)
    with pytest.raises(UserError) as refused:
        await hiding.hide(guild + 1, item.id, MOD, "spam")
    assert refused.value.key == "moderation.feedback.unknown"
    assert not (await FeedbackRepository(db).get(item.id)).hidden


# -- forgotten members -------------------------------------------------------------------------


async def test_registry_keeps_only_a_salted_hash(db, clock, guild):
    guilds = GuildRepository(db)
    registry = ForgottenRegistry(ModerationRepository(db), guilds)
    await registry.load()
    assert not registry.contains(guild, ALICE)
    assert await guilds.get_state("privacy.salt") is None  # loading never writes
    await registry.register(guild, ALICE, clock)
    assert registry.contains(guild, ALICE)
    assert not registry.contains(guild, BOB) and not registry.contains(guild + 1, ALICE)
    assert traces(await all_values(db), ALICE) == []
    reloaded = ForgottenRegistry(ModerationRepository(db), guilds)
    await reloaded.load()
    assert reloaded.contains(guild, ALICE)  # same salt, from bot_state
    assert reloaded.digest(guild, ALICE) == registry.digest(guild, ALICE)


# -- export and erasure ------------------------------------------------------------------------


async def world_with_alice(db, clock, guild):
    """Alice gave feedback (one anonymous), holds a seat with Bob waiting, and reacted on a post."""
    recs = RecommendationRepository(db)
    rec = await recs.by_number(guild, 1)
    post = await recs.add_post(
        guild_id=guild,
        recommendation_id=rec.id,
        message_id=9001,
        channel_id=77,
        thread_id=9001,
        kind="forum",
        now=clock.now(),
    )
    feedback = FeedbackRepository(db)
    first = await add_feedback(db, clock, guild)
    await add_feedback(db, clock, guild, anonymous=True, body="Quietly: fund small wikis.")
    await feedback.edit(first.id, "More translations, please.", clock.now())
    await feedback.add_response(first.id, MOD, "Thanks, noted.", clock.now())
    await add_feedback(db, clock, guild, author=CHEN, body="Chen's view.")
    officehours = OfficeHoursRepository(db)
    session = await officehours.create_session(
        guild_id=guild,
        title="Ask the WG",
        starts_at=clock.now() + timedelta(days=2),
        duration_minutes=60,
        capacity=1,
        location_channel_id=None,
        location_text="Zoom",
        host_id=MOD,
        created_by=MOD,
        reminder_minutes=[15],
        now=clock.now(),
    )
    seats = OfficeHoursService(officehours, GuildRepository(db), clock)
    assert (await seats.sign_up(guild, session.id, ALICE, "en-US", "Alice")).status == "confirmed"
    assert (await seats.sign_up(guild, session.id, BOB, "fr", "Bob")).status == "waitlisted"
    await ReactionRepository(db).apply(
        [
            ReactionChange(True, post.message_id, "👍", ALICE),
            ReactionChange(True, post.message_id, "1️⃣", ALICE),
            ReactionChange(True, post.message_id, "👍", BOB),
        ],
        clock.now(),
    )
    await AuditRepository(db).record(guild, ALICE, "thread.lock", "<#9001>", "calm down", clock.now())
    return session, post


async def test_export_holds_everything_about_the_member(db, clock, guild):
    await world_with_alice(db, clock, guild)
    data = await PrivacyService(db, GuildRepository(db), clock).export(guild, ALICE)
    assert len(data["feedback"]) == 2
    assert {f["anonymous"] for f in data["feedback"]} == {True, False}
    named = next(f for f in data["feedback"] if not f["anonymous"])
    assert named["earlier_texts"][0]["text"] == "More translations."
    assert named["responses"][0]["text"] == "Thanks, noted."
    assert "Chen's view." not in str(data)
    assert [s["status"] for s in data["office_hours_signups"]] == ["confirmed"]
    assert sorted(r["emoji"] for r in data["reactions"]) == ["1️⃣", "👍"]
    assert [a["action"] for a in data["audit_log_as_actor"]] == ["thread.lock"]


async def test_erase_leaves_no_trace_and_promotes_the_waitlist(db, clock, guild):
    session, post = await world_with_alice(db, clock, guild)
    service = PrivacyService(db, GuildRepository(db), clock)
    before = traces(await all_values(db), ALICE)
    assert before  # the check can see Alice
    report = await service.erase(guild, ALICE)
    assert report.feedback == 2 and report.signups == 1 and len(report.reactions) == 2
    assert report.freed_sessions == [session.id] and report.promoted == 1
    assert traces(await all_values(db), ALICE) == []
    officehours = OfficeHoursRepository(db)
    assert (await officehours.signup(session.id, BOB)).status == "confirmed"
    assert (BOB, "promoted", None) in await officehours.notices(session.id)
    assert await ReactionRepository(db).members(post.message_id, "👍") == {BOB}
    assert [f.author_id for f in await FeedbackRepository(db).for_author(guild, CHEN)] == [CHEN]
    assert (await service.export(guild, ALICE))["feedback"] == []


def test_message_references():
    assert parse_message_reference("https://discord.com/channels/1/22/333", None) == (22, 333)
    assert parse_message_reference(" 444 ", 55) == (55, 444)
    with pytest.raises(UserError):
        parse_message_reference("not a message", 55)
    with pytest.raises(UserError):
        parse_message_reference("444", None)
