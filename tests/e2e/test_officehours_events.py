"""Office hours and their Discord scheduled events: changes made on Discord's own event page are
followed with the commands' notices, the bot's own changes are not followed twice, and the bot
starts and completes each event at its times, once, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.data.audit import AuditRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.officehours_events import OfficeHoursEventsRepository
from bot.i18n import t
from rehearsal.emulator import ApiError
from tests.e2e.test_officehours import START, answer, click, cog, fixed_part, schedule, settle

NEW = datetime(2026, 1, 12, 17, 30, tzinfo=UTC)


def sync(world):
    return cog(world).event_sync


def event_of(world, session):
    return world.emu.state.guilds[world.guild_id].events[session.scheduled_event_id]


def thread_notices(world, session, word):
    return [m for m in world.emu.messages(session.thread_id) if word in m.content]


def dms_with(world, name, key):
    sentence = fixed_part(key, world.locales[name])
    return [m for m in world.emu.dms(world.members[name]) if sentence in m.content]


async def followed(world, count, start):
    """Wait until the bot has followed ``count`` gateway updates since ``start``."""
    await world.emu.wait_until(lambda: sync(world).handled >= start + count, timeout=10)


async def signed_up(world, capacity=1):
    """A session with alice seated and bob waitlisted asking for DMs."""
    _, session = await schedule(world, capacity=capacity)
    await click(world, "alice", session)
    await click(world, "bob", session)
    await click(world, "bob", session, "dm")
    return session


async def test_moved_in_discord_notifies_once_and_reminders_follow(world):
    session = await signed_up(world)
    seen = sync(world).handled
    world.emu.deliver_twice()  # the update arrives twice, as after a replay: still one move
    await world.emu.edit_scheduled_event_as_user(
        world.guild_id, session.scheduled_event_id, start=NEW, end=NEW + timedelta(minutes=90)
    )
    await followed(world, 2, seen)
    [notice] = await world.emu.wait_until(lambda: thread_notices(world, session, "moved"))
    assert f"<t:{int(NEW.timestamp())}:F>" in notice.content
    assert {int(u) for u in notice.allowed_mentions["users"]} == {
        world.members["alice"],
        world.members["bob"],
    }
    await settle(world)
    assert len(dms_with(world, "bob", "officehours.notice.moved")) == 1
    repo = OfficeHoursRepository(world.db)
    moved = await repo.get(session.id)
    assert moved.starts_at == NEW and moved.duration_minutes == 90 and not moved.cancelled
    assert [due for _, due in await repo.pending_reminders(session.id)] == [
        NEW - timedelta(hours=24),
        NEW - timedelta(minutes=15),
    ]
    card = world.emu.message(session.card_message_id)
    assert f"<t:{int(NEW.timestamp())}:F>" in str(card.embeds[0]["fields"])
    [entry] = await AuditRepository(world.db).latest(world.guild_id, action="officehours.move")
    assert entry.actor_id is None and entry.reason == t("officehours.audit.from_discord")
    # The old reminder time passes quietly; the new one reminds.
    world.clock.set(START - timedelta(minutes=15))
    assert await cog(world).run_due_reminders() == 0
    world.clock.set(NEW - timedelta(minutes=15))
    assert await cog(world).run_due_reminders() == 1
    await settle(world)
    assert len(thread_notices(world, session, "moved")) == 1


async def test_bot_own_move_and_cancel_do_not_notify_twice(world):
    session = await signed_up(world)
    seen = sync(world).handled
    moved = await world.command(
        "wg", "officehours-manage move", session=session.id, start="2026-01-12T17:30Z"
    )
    await moved.wait_for_followup()
    assert "Moved **Ask the working group**" in answer(moved)
    await followed(world, 1, seen)  # the echo of the bot's own PATCH
    await world.emu.wait_until(lambda: thread_notices(world, session, "moved"))
    cancelled = await world.command("wg", "officehours-manage cancel", session=session.id)
    await cancelled.wait_for_followup()
    await followed(world, 2, seen)
    await world.emu.wait_until(lambda: thread_notices(world, session, "cancelled"))
    await settle(world)
    assert len(thread_notices(world, session, "moved")) == 1
    assert len(thread_notices(world, session, "cancelled")) == 1
    assert len(dms_with(world, "bob", "officehours.notice.moved")) == 1
    assert len(dms_with(world, "bob", "officehours.notice.cancelled")) == 1
    audit = AuditRepository(world.db)
    assert [e.actor_id for e in await audit.latest(world.guild_id, action="officehours.move")] == [
        world.members["wg"]
    ]
    assert len(await audit.latest(world.guild_id, action="officehours.cancel")) == 1
    assert event_of(world, session).status == 4


@pytest.mark.parametrize("how", ["cancel", "delete"])
async def test_cancelled_or_deleted_in_discord_cancels_once(world, how):
    session = await signed_up(world)
    seen = sync(world).handled
    world.emu.deliver_twice()
    if how == "cancel":
        await world.emu.cancel_scheduled_event_as_user(world.guild_id, session.scheduled_event_id)
    else:
        await world.emu.delete_scheduled_event_as_user(world.guild_id, session.scheduled_event_id)
    await followed(world, 2, seen)
    [notice] = await world.emu.wait_until(lambda: thread_notices(world, session, "cancelled"))
    assert {int(u) for u in notice.allowed_mentions["users"]} == {
        world.members["alice"],
        world.members["bob"],
    }
    await settle(world)
    assert len(dms_with(world, "bob", "officehours.notice.cancelled")) == 1
    assert not world.emu.dms(world.members["alice"])
    assert (await OfficeHoursRepository(world.db).get(session.id)).cancelled
    [entry] = await AuditRepository(world.db).latest(world.guild_id, action="officehours.cancel")
    key = "officehours.audit.from_discord" if how == "cancel" else "officehours.audit.deleted_in_discord"
    assert entry.reason == t(key)
    card = world.emu.message(session.card_message_id)
    buttons = {c["custom_id"]: c for row in card.components for c in row["components"]}
    assert buttons[f"officehours:signup:{session.id}"].get("disabled")
    listed = await world.command("alice", "officehours list")
    assert "No office hours" in listed.content


async def test_title_and_place_edited_in_discord(world):
    _, session = await schedule(world)
    seen = sync(world).handled
    await world.emu.edit_scheduled_event_as_user(
        world.guild_id, session.scheduled_event_id, name="Budget  questions", location="Room 4"
    )
    await followed(world, 1, seen)
    edited = await OfficeHoursRepository(world.db).get(session.id)
    assert (edited.title, edited.location_text, edited.location_channel_id) == (
        "Budget questions",
        "Room 4",
        None,
    )
    assert edited.starts_at == START  # a title edit is not a move
    await world.emu.wait_until(
        lambda: "Budget questions" in world.emu.message(session.card_message_id).embeds[0]["title"]
    )
    assert not thread_notices(world, session, "moved")
    [entry] = await AuditRepository(world.db).latest(world.guild_id, action="officehours.edit")
    assert "Budget questions" in entry.target


async def test_bot_starts_and_completes_the_event_once_across_restarts(world):
    _, session = await schedule(world)
    patches = rf"^/guilds/{world.guild_id}/scheduled-events/{session.scheduled_event_id}$"
    world.clock.set(START - timedelta(minutes=1))
    await cog(world).run_due_reminders()
    assert event_of(world, session).status == 1
    world.clock.set(START)
    await cog(world).run_due_reminders()
    assert event_of(world, session).status == 2
    await cog(world).run_due_reminders()
    await world.restart_bot()
    await cog(world).run_due_reminders()
    assert world.emu.request_count("PATCH", patches) == 1
    world.clock.set(START + timedelta(minutes=59))
    await cog(world).run_due_reminders()
    assert event_of(world, session).status == 2
    world.clock.set(START + timedelta(minutes=60))
    await cog(world).run_due_reminders()
    assert event_of(world, session).status == 3
    await world.restart_bot()
    await cog(world).run_due_reminders()
    await cog(world).run_due_reminders()
    assert world.emu.request_count("PATCH", patches) == 2
    assert await OfficeHoursEventsRepository(world.db).phases(session.id) == ["active", "completed"]
    # The echoes of ACTIVE and COMPLETED changed nothing about the session.
    kept = await OfficeHoursRepository(world.db).get(session.id)
    assert not kept.cancelled and kept.starts_at == START
    assert not thread_notices(world, session, "cancelled") and not thread_notices(world, session, "moved")


async def test_session_missed_while_down_is_started_and_completed(world):
    _, session = await schedule(world)
    world.clock.set(START + timedelta(hours=2))
    assert await sync(world).run_due_transitions() == 2
    assert event_of(world, session).status == 3


async def test_cancelling_a_running_session_ends_its_event(world):
    session = await signed_up(world)
    world.clock.set(START + timedelta(minutes=5))
    await cog(world).run_due_reminders()
    assert event_of(world, session).status == 2
    cancelled = await world.command("wg", "officehours-manage cancel", session=session.id)
    await cancelled.wait_for_followup()
    assert "2 signed-up members were told" in answer(cancelled)
    await world.emu.wait_until(lambda: event_of(world, session).status == 3)  # ACTIVE cannot be CANCELED


async def test_changes_made_while_the_bot_was_away_are_followed_at_start(world):
    moved = await signed_up(world)
    _, deleted = await schedule(world, title="Second session")
    await world.stop_bot()
    await world.emu.edit_scheduled_event_as_user(
        world.guild_id, moved.scheduled_event_id, start=NEW, end=NEW + timedelta(minutes=60)
    )
    await world.emu.delete_scheduled_event_as_user(world.guild_id, deleted.scheduled_event_id)
    await world.start_bot()
    await cog(world).run_due_reminders()
    await world.emu.wait_until(lambda: thread_notices(world, moved, "moved"))
    await world.emu.wait_until(lambda: thread_notices(world, deleted, "cancelled"))
    repo = OfficeHoursRepository(world.db)
    assert (await repo.get(moved.id)).starts_at == NEW
    assert (await repo.get(deleted.id)).cancelled
    await cog(world).run_due_reminders()
    await settle(world)
    assert len(thread_notices(world, moved, "moved")) == 1
    assert len(dms_with(world, "bob", "officehours.notice.moved")) == 1


async def test_emulator_refuses_illegal_status_transitions(world):
    _, session = await schedule(world)
    http = world.bot.http
    event_id = session.scheduled_event_id
    with pytest.raises(discord.HTTPException) as refused:
        await http.edit_scheduled_event(world.guild_id, event_id, status=3)  # SCHEDULED -> COMPLETED
    assert refused.value.status == 400 and refused.value.code == 50035
    assert "status" in str(refused.value)
    assert event_of(world, session).status == 1
    await http.edit_scheduled_event(world.guild_id, event_id, status=4)
    for status in (1, 2, 3):
        with pytest.raises(discord.HTTPException) as finished:
            await http.edit_scheduled_event(world.guild_id, event_id, status=status)
        assert finished.value.status == 400 and finished.value.code == 180000
    with pytest.raises(ApiError) as by_hand:
        await world.emu.edit_scheduled_event_as_user(world.guild_id, event_id, name="Too late")
    assert by_hand.value.code == 180000
    assert event_of(world, session).status == 4 and event_of(world, session).name == "Ask the working group"
    with pytest.raises(ApiError) as no_right:
        await world.emu.edit_scheduled_event_as_user(
            world.guild_id, event_id, user_id=world.members["alice"], name="x"
        )
    assert no_right.value.status == 403
