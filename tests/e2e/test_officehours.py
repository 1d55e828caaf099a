"""Office hours end to end: schedule, sign-ups, waitlist, promotion, reminders, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.data.officehours import OfficeHoursRepository
from bot.i18n import catalogue, language_of, t
from rehearsal.emulator import EmulatorError


def fixed_part(key: str, locale: str) -> str:
    """The longest literal stretch of a sentence in the member's language (between placeholders)."""
    template = catalogue(language_of(locale)).get(key) or catalogue("en")[key]
    pieces = re.split(r"\$\d+|\{\{[^{}]*\}\}", template)
    return max(pieces, key=len).strip()


START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)  # the FakeClock starts on 2026-01-05 09:00 UTC


def cog(world):
    found = world.bot.get_cog("OfficeHoursCog")
    found.notifier.interval = 0
    found.cards.interval = 0.05
    return found


async def schedule(world, capacity=2, **options):
    options = {
        "title": "Ask the working group",
        "start": "2026-01-10 19:00 Europe/Madrid",
        "duration": 60,
        "capacity": capacity,
        "channel": world.voice_id,
        **options,
    }
    options = {k: v for k, v in options.items() if v is not None}
    result = await world.command("wg", "officehours-manage schedule", timeout=10, **options)
    if result.deferred:
        await result.wait_for_followup()
    sessions = await OfficeHoursRepository(world.db).upcoming(world.guild_id, world.clock.now())
    return result, sessions[-1].session if sessions else None


def answer(result):
    return result.followups[-1].content if result.deferred else result.content


async def click(world, name_or_id, session, action="signup", timeout=10):
    user = world.members[name_or_id] if isinstance(name_or_id, str) else name_or_id
    result = await world.emu.click_button(
        user, session.card_channel_id, session.card_message_id, f"officehours:{action}:{session.id}"
    )
    return await result.wait(timeout)


async def settle(world):
    found = cog(world)
    await world.emu.wait_until(lambda: True)
    await found.notifier.deliver_all()
    await found.cards.flush()


async def test_schedule_creates_event_card_and_thread(world):
    result, session = await schedule(world, capacity=3)
    assert result.ephemeral
    assert "Scheduled **Ask the working group**" in answer(result)
    assert session.starts_at == START
    [event] = world.emu.scheduled_events(world.guild_id)
    assert event.name == "Ask the working group" and event.entity_type == 2
    assert event.channel_id == world.voice_id
    assert datetime.fromisoformat(event.scheduled_start_time) == START
    card = world.emu.message(session.card_message_id)
    assert session.card_channel_id == world.text_id
    embed = card.embeds[0]
    assert f"<t:{int(START.timestamp())}:F>" in embed["fields"][0]["value"]
    assert f"<t:{int(START.timestamp())}:R>" in embed["fields"][0]["value"]
    assert "3 of 3 left" in str(embed["fields"])
    ids = [c["custom_id"] for row in card.components for c in row["components"]]
    assert f"officehours:signup:{session.id}" in ids and f"officehours:cancel:{session.id}" in ids
    assert session.thread_id is not None and world.emu.channel(session.thread_id).parent_id == world.text_id


async def test_external_place_and_bad_input(world):
    _, session = await schedule(world, channel=None, place="https://meet.example/wg")
    assert session.location_text == "https://meet.example/wg"
    [event] = world.emu.scheduled_events(world.guild_id)
    assert event.entity_type == 3 and event.entity_metadata == {"location": "https://meet.example/wg"}
    for options, sentence in (
        ({"start": "2026-01-01 10:00 UTC"}, "already in the past"),
        ({"start": "soon-ish"}, "could not read"),
        ({"start": "2026-01-10 19:00"}, "has no time zone"),
        ({"channel": None}, "Say where the session happens"),
    ):
        given = {
            "title": "x",
            "start": "2026-01-10 19:00 UTC",
            "duration": 30,
            "capacity": 2,
            "channel": world.voice_id,
            **options,
        }
        bad = await world.command(
            "wg", "officehours-manage schedule", **{k: v for k, v in given.items() if v is not None}
        )
        assert bad.ephemeral and sentence in bad.content, bad.content
    options = {"title": "x", "start": "1800000000", "duration": 30, "capacity": 2}
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("alice", "officehours-manage schedule", **options)
    # An administrator showed the working group's command to everyone: the bot still refuses.
    world.emu.override_command_visibility(world.guild_id, "officehours-manage", world.guild_id)
    refused = await world.command("alice", "officehours-manage schedule", **options)
    assert refused.content == "Only members of the working group can do that."


async def test_sign_up_duplicate_cancel_and_promotion(world):
    _, session = await schedule(world, capacity=1)
    first = await click(world, "alice", session)
    assert first.ephemeral and "You have a seat" in first.content
    again = await click(world, "alice", session)
    assert "already have a seat" in again.content
    waiting = await click(world, "bob", session)
    assert fixed_part("officehours.signup.waitlisted", world.locales["bob"]) in waiting.content
    gone = await click(world, "alice", session, "cancel")
    assert "gave up your seat" in gone.content
    await settle(world)
    dms = world.emu.dms(world.members["bob"])
    assert dms and fixed_part("officehours.notice.promoted", world.locales["bob"]) in dms[-1].content
    nothing = await click(world, "chen", session, "cancel")
    assert fixed_part("officehours.cancel_signup.not_signed_up", world.locales["chen"]) in nothing.content
    card = world.emu.message(session.card_message_id)
    assert "0 of 1 left" not in str(card.embeds[0]) and "Full" in str(card.embeds[0]["fields"])


async def test_promotion_falls_back_to_thread_when_dms_closed(world):
    closed = world.emu.create_member(world.guild_id, "Closed", dm_open=False).id
    _, session = await schedule(world, capacity=1)
    await click(world, "alice", session)
    await click(world, closed, session)
    await click(world, "alice", session, "cancel")
    await settle(world)
    thread = world.emu.messages(session.thread_id)
    notice = [m for m in thread if f"<@{closed}>" in m.content]
    assert notice and "it is yours now" in notice[-1].content
    assert [int(u) for u in notice[-1].allowed_mentions["users"]] == [closed]
    notices = await OfficeHoursRepository(world.db).notices(session.id)
    assert notices == [(closed, "promoted", "thread")]


async def test_sign_up_after_start_is_refused(world):
    _, session = await schedule(world)
    world.clock.set(START + timedelta(minutes=1))
    late = await click(world, "alice", session)
    assert late.ephemeral and "already started" in late.content
    await cog(world).run_due_reminders()
    await settle(world)
    card = world.emu.message(session.card_message_id)
    assert "Sign-ups are closed" in card.embeds[0]["description"]
    with pytest.raises(EmulatorError):
        await click(world, "bob", session)  # the button is disabled now


async def test_sign_up_refused_when_consultation_closed(world):
    _, session = await schedule(world)
    await world.bot.guild_repository.db.execute(
        "UPDATE guild_settings SET phase = 'closed' WHERE guild_id = ?", (world.guild_id,)
    )
    refused = await click(world, "alice", session)
    assert "consultation is closed" in refused.content


async def test_reminders_fire_once_each_across_a_restart(world):
    _, session = await schedule(world, capacity=1)
    await click(world, "alice", session)
    await click(world, "bob", session)  # waitlisted: never reminded
    dm = await click(world, "alice", session, "dm")
    assert "direct message" in dm.content
    world.clock.set(START - timedelta(hours=24))
    assert await cog(world).run_due_reminders() == 1
    assert await cog(world).run_due_reminders() == 0
    await settle(world)
    pings = [m for m in world.emu.messages(session.thread_id) if "starts" in m.content]
    assert len(pings) == 1
    assert [int(u) for u in pings[0].allowed_mentions["users"]] == [world.members["alice"]]
    assert f"<@{world.members['bob']}>" not in pings[0].content
    assert len([m for m in world.emu.dms(world.members["alice"]) if "Reminder" in m.content]) == 1

    # The reminder loop also runs on its own after a restart; whoever claims a reminder first sends
    # it, so the pings in the thread are what must be counted.
    await world.restart_bot()
    await cog(world).run_due_reminders()
    world.clock.set(START - timedelta(minutes=15))
    await cog(world).run_due_reminders()
    await world.restart_bot()
    await cog(world).run_due_reminders()
    await settle(world)
    pings = [m for m in world.emu.messages(session.thread_id) if "starts" in m.content]
    assert len(pings) == 2
    assert len([m for m in world.emu.dms(world.members["alice"]) if "Reminder" in m.content]) == 2
    assert not any("Reminder" in m.content for m in world.emu.dms(world.members["bob"]))
    # The buttons still work after the restarts.
    world.clock.set(START - timedelta(minutes=10))
    later = await click(world, "chen", session)
    assert fixed_part("officehours.signup.waitlisted", world.locales["chen"]) in later.content


async def test_move_rearms_and_cancel_notifies(world):
    _, session = await schedule(world, capacity=1)
    await click(world, "alice", session)
    await click(world, "bob", session)
    await click(world, "bob", session, "dm")  # bob (waitlisted) also wants notices by DM
    moved = await world.command(
        "wg", "officehours-manage move", session=session.id, start="2026-01-12T18:00Z"
    )
    await moved.wait_for_followup()
    assert "Moved **Ask the working group**" in answer(moved)
    # The event, the card and the thread follow once the working group member was answered.
    thread = await world.emu.wait_until(
        lambda: [m for m in world.emu.messages(session.thread_id) if "moved" in m.content]
    )
    [event] = world.emu.scheduled_events(world.guild_id)
    assert datetime.fromisoformat(event.scheduled_start_time) == datetime(2026, 1, 12, 18, 0, tzinfo=UTC)
    assert "moved" in thread[-1].content and f"<@{world.members['bob']}>" in thread[-1].content
    world.clock.set(START - timedelta(minutes=15))  # the old reminder time: stale, never fires
    assert await cog(world).run_due_reminders() == 0
    world.clock.set(datetime(2026, 1, 11, 18, 0, tzinfo=UTC))
    assert await cog(world).run_due_reminders() == 1

    cancelled = await world.command("wg", "officehours-manage cancel", session=session.id, reason="host ill")
    await cancelled.wait_for_followup()
    assert "2 signed-up members were told" in answer(cancelled)
    [last] = await world.emu.wait_until(
        lambda: [m for m in world.emu.messages(session.thread_id) if "cancelled" in m.content]
    )
    assert {int(u) for u in last.allowed_mentions["users"]} == {world.members["alice"], world.members["bob"]}
    [event] = world.emu.scheduled_events(world.guild_id)
    assert event.status == 4
    await settle(world)
    bob_dms = [m.content for m in world.emu.dms(world.members["bob"])]
    bob = world.locales["bob"]
    assert any(fixed_part("officehours.notice.moved", bob) in text for text in bob_dms)
    assert any(fixed_part("officehours.notice.cancelled", bob) in text for text in bob_dms)
    assert not world.emu.dms(world.members["alice"])  # no DM without opting in: the thread ping told her
    await settle(world)
    with pytest.raises(EmulatorError):
        await click(world, "chen", session)  # the card's buttons are disabled
    listed = await world.command("alice", "officehours list")
    assert "No office hours" in listed.content


async def test_list_ics_and_attendees_csv(world):
    _, session = await schedule(world, capacity=1)
    await click(world, "alice", session)
    await click(world, "bob", session)
    opened = await click(world, "bob", session, "question")
    assert opened.modal is not None
    saved = await (
        await world.emu.submit_modal(world.members["bob"], opened, {"question": "=How, are areas weighed?"})
    ).wait()
    assert saved.content == fixed_part("officehours.question.saved", world.locales["bob"])
    listed = await world.command("dana", "officehours list")
    assert (
        listed.ephemeral
        and "Ask the working group" in listed.content
        and t("officehours.list.full", world.locales["dana"], waitlisted=1) in listed.content
    )
    [(name, data)] = listed.files
    assert name == f"officehours-{session.id}.ics"
    text = data.decode()
    assert "\r\nDTSTART:20260110T180000Z\r\n" in text and "\r\nDTEND:20260110T190000Z\r\n" in text
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("dana", "officehours-manage attendees", session=session.id)
    world.emu.override_command_visibility(world.guild_id, "officehours-manage", world.guild_id)
    refused = await world.command("dana", "officehours-manage attendees", session=session.id)
    assert refused.content == t("access.working_group", world.locales["dana"])
    attendees = await world.command("wg", "officehours-manage attendees", session=session.id)
    assert (
        f"<@{world.members['alice']}>" in attendees.content and "How, are areas weighed?" in attendees.content
    )
    [(name, data)] = attendees.files
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["confirmed", "waitlisted"]
    assert rows[2][6] == "'=How, are areas weighed?"


async def test_no_card_means_no_session(world):
    world.emu.fail_route("POST", rf"^/channels/{world.text_id}/messages$", status=403, code=50013)
    result, session = await schedule(world)
    assert session is None  # withdrawn: nothing half made is listed
    assert "lacks the Discord permission" in answer(result)
    assert world.emu.scheduled_events(world.guild_id) == []


async def test_duplicate_gateway_delivery_of_a_click_books_once(world):
    _, session = await schedule(world, capacity=1)
    world.emu.deliver_twice()
    first = await click(world, "alice", session)
    await world.emu.wait_until(lambda: True)
    await click(world, "bob", session)
    signups = await OfficeHoursRepository(world.db).signups(session.id)
    assert [(s.user_id, s.status) for s in signups] == [
        (world.members["alice"], "confirmed"),
        (world.members["bob"], "waitlisted"),
    ]
    assert "You have a seat" in first.content
