"""Phases end to end: closing freezes the tally (live and through catch-up), refuses feedback and sign-ups,
says so on the posts, locks the threads; a scheduled close; hidden feedback; the audit log and mod-log."""

from __future__ import annotations

from bot.data.audit import AuditRepository
from bot.data.feedback import FeedbackRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from rehearsal.world import database_tally, discord_tally
from tests.e2e.test_officehours import click

SUPPORT, OPPOSE = "👍", "👎"
AREA_1, AREA_2 = "1\ufe0f\u20e3", "2\ufe0f\u20e3"


def answer(result):
    return result.followups[-1].content if result.deferred else result.content


async def run(world, name, command, timeout=10, **options):
    result = await world.command(name, command, timeout=timeout, **options)
    if result.deferred:
        await result.wait_for_followup(timeout)
    return result


async def schedule_ask_us(world, capacity):
    """The working group schedules "Ask us" in the voice channel: its answer and the session."""
    scheduled = await run(
        world,
        "wg",
        "officehours-manage schedule",
        title="Ask us",
        start="2026-01-10 18:00 UTC",
        duration=60,
        capacity=capacity,
        channel=world.voice_id,
    )
    session = (await OfficeHoursRepository(world.db).upcoming(world.guild_id, world.clock.now()))[0].session
    return scheduled, session


async def posts(world):
    return sorted(
        await RecommendationRepository(world.db).live_posts(world.guild_id), key=lambda p: p.message_id
    )


async def react(world, name, post, emoji):
    await world.emu.react(world.members[name], post.thread_id, post.message_id, emoji)


def text_inputs(modal):
    found = []

    def walk(component):
        if component.get("type") == 4:
            found.append(component["custom_id"])
        for child in component.get("components", []):
            walk(child)
        if "component" in component:
            walk(component["component"])

    for top in modal["components"]:
        walk(top)
    return found


async def give_feedback(world, name, number, text, **options):
    opened = await world.command(name, "feedback give", recommendation=number, **options)
    assert opened.modal is not None, answer(opened)
    submitted = await world.emu.submit_modal(
        world.members[name], opened, {text_inputs(opened.modal)[0]: text}
    )
    await submitted.wait(10)
    if submitted.deferred:
        await submitted.wait_for_followup(10)
    items = await FeedbackRepository(world.db).for_author(world.guild_id, world.members[name])
    return items[0]


async def test_reactions_after_close_are_not_counted_also_through_catch_up(world):
    await world.publish()
    first, second = (await posts(world))[:2]
    await react(world, "alice", first, AREA_1)
    await react(world, "alice", first, SUPPORT)
    await react(world, "bob", second, OPPOSE)
    await world.settle()
    at_close = await database_tally(world)
    assert at_close == await discord_tally(world)
    closed = await run(world, "mod", "mod phase", state="closed", reason="deadline")
    assert answer(closed).startswith("The consultation is closed")
    assert "9 threads locked" in answer(closed)
    # Live reactions after the close: on Discord, not in the tally.
    await react(world, "chen", first, AREA_1)
    await react(world, "chen", first, SUPPORT)
    await world.emu.unreact(world.members["alice"], first.thread_id, first.message_id, SUPPORT)
    await world.settle()
    assert await database_tally(world) == at_close
    assert await discord_tally(world) != at_close
    # While the bot is away, more reactions; the catch-up after the restart leaves the frozen tally alone.
    await world.stop_bot()
    world.emu.react_silently(world.members["dana"], second.thread_id, second.message_id, AREA_2)
    world.emu.react_silently(world.members["eve"], first.thread_id, first.message_id, OPPOSE)
    await world.start_bot()
    tally = world.bot.services.tally
    await world.wait_for_catch_up()
    await world.settle()
    assert await database_tally(world) == at_close
    # Reopening resumes counting: the catch-up brings the tally back in line with Discord.
    reopened = await run(world, "mod", "mod phase", state="open")
    assert "9 threads locked at closing were unlocked" in answer(reopened)
    await tally.catch_up()
    assert await database_tally(world) == await discord_tally(world)


async def test_closing_updates_posts_locks_threads_and_refuses_feedback_and_signups(world):
    await world.publish()
    live = await posts(world)
    manually_locked = live[0]
    await run(world, "mod", "mod lock", thread=manually_locked.thread_id)
    await run(world, "mod", "mod phase", state="closed")
    for post in live:
        starter = world.emu.message(post.message_id)
        assert "The consultation is closed" in str(starter.embeds[0]), post
        assert world.emu.channel(post.thread_id).locked
    refused = await world.command("alice", "feedback give", recommendation=1)
    assert refused.modal is None and refused.ephemeral
    assert answer(refused) == (
        "The consultation is closed, so new feedback is no longer collected. Thank you for taking part."
    )
    assert (
        await run(world, "mod", "mod phase", state="closed")
    ).content == "The consultation is already closed."
    # Reopening unlocks only what the close locked: a moderator's own lock stays.
    await run(world, "mod", "mod phase", state="open")
    assert world.emu.channel(manually_locked.thread_id).locked
    assert not any(world.emu.channel(p.thread_id).locked for p in live[1:])
    assert "The consultation is closed" not in str(world.emu.message(live[1].message_id).embeds[0])
    actions = [e.action for e in await AuditRepository(world.db).latest(world.guild_id, limit=10)]
    assert actions[:3] == ["phase.open", "phase.closed", "thread.lock"]


async def test_office_hours_sign_ups_are_refused_once_closed(world):
    scheduled, session = await schedule_ask_us(world, capacity=3)
    assert "Ask us" in answer(scheduled) or scheduled.ephemeral
    await run(world, "mod", "mod phase", state="closed")
    clicked = await click(world, "alice", session)
    assert answer(clicked) == "The consultation is closed, so sign-ups for office hours are closed too."


async def test_scheduled_close(world):
    await world.publish()
    first = (await posts(world))[0]
    scheduled = await run(world, "mod", "mod phase", state="closed", at="2026-01-05 12:00 UTC")
    assert answer(scheduled).startswith("The consultation will close automatically at <t:")
    bad = await run(world, "mod", "mod phase", state="closed", at="2026-01-01 12:00 UTC")
    assert answer(bad) == "That moment has passed. Give a future time, or close now without a time."
    wrong = await run(world, "mod", "mod phase", state="open", at="2026-01-06 12:00 UTC")
    assert answer(wrong) == "A time only goes with closing: use state closed with at."
    keeper = world.bot.get_cog("PhaseKeeper")
    world.clock.advance(hours=2)  # 11:00
    assert await keeper.run_due_phase_changes() == []
    await react(world, "alice", first, SUPPORT)
    world.clock.advance(hours=1)  # 12:00
    assert await keeper.run_due_phase_changes() == [world.guild_id]
    assert await keeper.run_due_phase_changes() == []  # once
    settings = await world.bot.guild_repository.get(world.guild_id)
    assert settings.phase == "closed" and settings.closes_at is None
    frozen = await database_tally(world)
    await react(world, "bob", first, SUPPORT)
    await world.settle()
    assert await database_tally(world) == frozen
    entry = (await AuditRepository(world.db).latest(world.guild_id, limit=1))[0]
    assert (entry.action, entry.actor_id, entry.reason) == ("phase.closed", None, "scheduled close")


async def test_cancel_a_scheduled_close_and_draft_phase(world):
    await run(world, "mod", "mod phase", state="closed", at="2026-02-01 12:00 UTC")
    cancelled = await run(world, "mod", "mod phase", state="open")
    assert answer(cancelled) == "The scheduled close is cancelled; the phase stays as it is."
    assert (await world.bot.guild_repository.get(world.guild_id)).closes_at is None
    draft = await run(world, "mod", "mod phase", state="draft")
    assert answer(draft).startswith("The consultation is back in the draft phase")
    published = await world.publish()
    assert published.followups and "draft" in published.followups[-1].content.lower()
    assert world.emu.threads(world.forum_id) == []
    await run(world, "mod", "mod phase", state="open")
    await world.publish()
    back = await run(world, "mod", "mod phase", state="draft")
    assert answer(back).startswith("The drafts are already posted for everyone to see")
    assert (await world.bot.guild_repository.get(world.guild_id)).phase == "open"


async def test_hide_and_restore_feedback(world):
    await world.publish()
    item = await give_feedback(world, "alice", 1, "This draft ignores small affiliates entirely.")
    other = await give_feedback(world, "bob", 1, "Fine by me.")
    feedback = FeedbackRepository(world.db)
    assert {i.id for i in await feedback.for_working_group(world.guild_id, limit=50)} == {item.id, other.id}
    hidden = await run(world, "mod", "mod hide", feedback=item.id, reason="off-topic rant")
    assert answer(hidden).startswith(f"Feedback #{item.id} (on R1) is hidden")
    assert {i.id for i in await feedback.for_working_group(world.guild_id, limit=50)} == {other.id}
    assert (await feedback.get(item.id)).body == "This draft ignores small affiliates entirely."  # kept
    listed = await run(world, "wg", "feedback-manage list")
    shown = str(listed.embeds if not listed.deferred else listed.followups[-1].embeds)
    assert "Fine by me." in shown and "small affiliates" not in shown
    twice = await run(world, "mod", "mod hide", feedback=item.id, reason="again")
    assert answer(twice) == f"Feedback #{item.id} is already hidden."
    unknown = await run(world, "mod", "mod hide", feedback=99999, reason="x")
    assert answer(unknown) == "There is no feedback item #99999 on this server."
    restored = await run(world, "mod", "mod restore", feedback=item.id)
    assert "visible to the working group again" in answer(restored)
    assert {i.id for i in await feedback.for_working_group(world.guild_id, limit=50)} == {item.id, other.id}
    entries = await AuditRepository(world.db).latest(world.guild_id, limit=2)
    assert [(e.action, e.target) for e in entries] == [
        ("feedback.restore", f"feedback #{item.id}"),
        ("feedback.hide", f"feedback #{item.id}"),
    ]
    assert entries[1].reason == "off-topic rant"


async def test_log_with_filters_and_the_modlog_channel(world):
    await world.publish()
    set_channel = await run(world, "admin", "mod logchannel", channel=world.digest_id)
    assert (
        answer(set_channel)
        == f"Every moderation and working-group action is now also posted in <#{world.digest_id}>."
    )
    await run(world, "mod", "mod lock", recommendation=1, reason="flame war")
    await run(world, "mod", "mod slowmode", seconds=30, recommendation=2)
    lines = [m.content for m in world.emu.messages(world.digest_id)]
    assert any("`thread.lock`" in line and "flame war" in line for line in lines), lines
    everything = await run(world, "mod", "mod log")
    text = everything.embeds[0]["description"]
    assert "`thread.slowmode`" in text and "`thread.lock`" in text and "`publish`" in text
    only_locks = await run(world, "mod", "mod log", action="thread.lock")
    description = only_locks.embeds[0]["description"]
    assert "`thread.lock`" in description and "slowmode" not in description
    by_admin = await run(world, "mod", "mod log", member=world.members["admin"], limit=5)
    assert "`modlog.channel`" in by_admin.embeds[0]["description"]
    assert "`thread.lock`" not in by_admin.embeds[0]["description"]
    offered = await world.emu.autocomplete(
        world.members["mod"], world.guild_id, "mod log", option="action", value="thread"
    )
    assert [c["value"] for c in offered] == ["thread.lock", "thread.slowmode"]
    nothing = await run(world, "mod", "mod log", action="privacy.forget")
    assert nothing.embeds[0]["description"] == "No audit entries match."
    cleared = await run(world, "admin", "mod logchannel")
    assert "no longer posted" in answer(cleared)
    count = len(world.emu.messages(world.digest_id))
    await run(world, "mod", "mod unlock", recommendation=1)
    assert len(world.emu.messages(world.digest_id)) == count


async def test_closing_a_text_channel_consultation(text_world):
    world = text_world
    await world.publish()
    live = await posts(world)
    closed = await run(world, "mod", "mod phase", state="closed")
    assert "9 threads locked" in answer(closed)
    for post in live:
        assert "The consultation is closed" in str(world.emu.message(post.message_id).embeds[0])
        assert world.emu.channel(post.thread_id).locked
    locked = await run(world, "mod", "mod unlock", recommendation=2)
    assert answer(locked).startswith("Unlocked")
