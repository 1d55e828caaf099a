"""Office hours: the data layer and the service against a real SQLite database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.officehours import OfficeHoursRepository
from bot.errors import UserError
from bot.officehours import OfficeHoursService, SessionDraft

START = "2026-01-10T18:00+00:00"  # the FakeClock starts on 2026-01-05 09:00 UTC


def service(db: Database, clock: FakeClock) -> OfficeHoursService:
    return OfficeHoursService(OfficeHoursRepository(db), GuildRepository(db), clock)


async def schedule(svc: OfficeHoursService, guild: int, capacity: int = 2) -> int:
    draft = SessionDraft(
        title="Ask the working group",
        start=START,
        duration_minutes=60,
        capacity=capacity,
        location_text="Jitsi",
    )
    session = await svc.schedule(guild, 1, draft)
    return session.id


async def test_schedule_arms_default_reminders(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild)
    session = await svc.session(guild, sid)
    assert session.starts_at == datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
    assert session.reminder_minutes == (1440, 15)
    due = await svc.repo.pending_reminders(sid)
    assert [(m, d) for m, d in due] == [
        (1440, datetime(2026, 1, 9, 18, 0, tzinfo=UTC)),
        (15, datetime(2026, 1, 10, 17, 45, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"start": "2026-01-01 10:00 UTC"}, "officehours.time.in_past"),
        ({"start": "next tuesday"}, "officehours.time.unparseable"),
        ({"start": "2026-02-01 10:00"}, "officehours.time.no_zone"),
        ({"capacity": 0}, "officehours.schedule.bad_capacity"),
        ({"duration_minutes": 2}, "officehours.schedule.bad_duration"),
        ({"duration_minutes": 600}, "officehours.schedule.bad_duration"),
        ({"location_text": None}, "officehours.schedule.where"),
        ({"location_channel_id": 5}, "officehours.schedule.where"),
        ({"title": "   "}, "officehours.schedule.bad_title"),
        ({"reminders": "tomorrow"}, "officehours.schedule.bad_reminders"),
    ],
)
async def test_schedule_refuses_bad_input(
    db: Database, clock: FakeClock, guild: int, changes: dict[str, object], key: str
) -> None:
    base = {
        "title": "Ask",
        "start": START,
        "duration_minutes": 60,
        "capacity": 3,
        "location_text": "Jitsi",
    }
    with pytest.raises(UserError) as caught:
        await service(db, clock).schedule(guild, 1, SessionDraft(**{**base, **changes}))
    assert caught.value.key == key
    assert await db.fetchval("SELECT COUNT(*) FROM office_hours") == 0


async def test_seats_waitlist_duplicate_and_promotion(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild, capacity=2)
    a = await svc.sign_up(guild, sid, 10, "en-US")
    b = await svc.sign_up(guild, sid, 11, "fr")
    c = await svc.sign_up(guild, sid, 12, None)
    d = await svc.sign_up(guild, sid, 13, None)
    assert (a.status, b.status, c.status, d.status) == ("confirmed", "confirmed", "waitlisted", "waitlisted")
    assert (c.position, d.position) == (1, 2)
    again = await svc.sign_up(guild, sid, 13, None)
    assert again.already and again.status == "waitlisted" and again.position == 2
    seat = await svc.sign_up(guild, sid, 10, None)
    assert seat.already and seat.status == "confirmed"

    out = await svc.cancel_signup(guild, sid, 11)
    assert out.previous == "confirmed" and out.promoted_user_id == 12
    signed = await svc.repo.signups(sid)
    assert [(s.user_id, s.status) for s in signed] == [
        (10, "confirmed"),
        (12, "confirmed"),
        (13, "waitlisted"),
    ]
    assert await svc.repo.notices(sid) == [(12, "promoted", None)]

    # Leaving the waitlist promotes nobody; signing up again goes to the back of the queue.
    out = await svc.cancel_signup(guild, sid, 13)
    assert out.previous == "waitlisted" and out.promoted_user_id is None
    back = await svc.sign_up(guild, sid, 11, None)
    assert back.status == "waitlisted" and back.position == 1
    with pytest.raises(UserError) as caught:
        await svc.cancel_signup(guild, sid, 99)
    assert caught.value.key == "officehours.cancel_signup.not_signed_up"


async def test_sign_up_closes_at_start_and_when_consultation_closed(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild)
    clock.set(datetime(2026, 1, 10, 18, 0, tzinfo=UTC))
    with pytest.raises(UserError) as caught:
        await svc.sign_up(guild, sid, 10, None)
    assert caught.value.key == "officehours.signup.refused_started"
    clock.set(datetime(2026, 1, 6, tzinfo=UTC))
    await db.execute("UPDATE guild_settings SET phase = 'closed' WHERE guild_id = ?", (guild,))
    with pytest.raises(UserError) as caught:
        await svc.sign_up(guild, sid, 10, None)
    assert caught.value.key == "officehours.signup.refused_consultation_closed"
    with pytest.raises(UserError) as caught:
        await svc.sign_up(guild + 1, sid, 10, None)
    assert caught.value.key == "officehours.signup.refused_not_found"


async def test_concurrent_sign_ups_keep_capacity_and_click_order(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild, capacity=50)
    users = list(range(1000, 1400))
    outcomes = await asyncio.gather(*(svc.sign_up(guild, sid, u, None) for u in users))
    assert sum(o.status == "confirmed" for o in outcomes) == 50
    signed = await svc.repo.signups(sid)
    assert len(signed) == 400
    waitlist = [s for s in signed if s.status == "waitlisted"]
    # gather starts the coroutines in order and the transactions queue on one lock: click order holds.
    assert [s.user_id for s in waitlist] == users[50:]
    assert sorted(o.position for o in outcomes if o.position) == list(range(1, 351))


async def test_reminders_fire_once_to_confirmed_only(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild, capacity=1)
    await svc.sign_up(guild, sid, 10, None)
    await svc.sign_up(guild, sid, 11, None)  # waitlisted
    assert await svc.toggle_dm_reminders(guild, sid, 10) is True
    assert await svc.claim_due_reminders() == []
    clock.set(datetime(2026, 1, 9, 18, 0, tzinfo=UTC))
    due = await svc.claim_due_reminders()
    assert [(d.minutes_before, d.attendee_ids) for d in due] == [(1440, (10,))]
    assert await svc.claim_due_reminders() == []
    assert await svc.repo.notices(sid) == []  # the DMs are queued once the thread post went out
    assert await svc.finish_reminder(due[0])
    assert await svc.repo.notices(sid) == [(10, "reminder", None)]
    assert not await svc.finish_reminder(due[0])  # finished once
    clock.set(datetime(2026, 1, 10, 17, 50, tzinfo=UTC))
    assert [d.minutes_before for d in await svc.claim_due_reminders()] == [15]
    assert await svc.claim_due_reminders() == []


async def test_bot_down_sends_only_the_nearest_reminder(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild)
    await svc.sign_up(guild, sid, 10, None)
    clock.set(datetime(2026, 1, 10, 17, 50, tzinfo=UTC))
    [due] = await svc.claim_due_reminders()
    assert due.minutes_before == 15 and await svc.finish_reminder(due)
    assert await svc.repo.pending_reminders(sid) == []
    clock.set(datetime(2026, 1, 10, 18, 30, tzinfo=UTC))
    assert await svc.claim_due_reminders() == []


async def test_move_rearms_reminders_and_stale_ones_never_fire(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild)
    await svc.sign_up(guild, sid, 10, None)
    before, after, signed = await svc.move_session(guild, sid, "2026-01-12 18:00 UTC")
    assert before.starts_at.day == 10 and after.starts_at.day == 12 and [s.user_id for s in signed] == [10]
    clock.set(datetime(2026, 1, 10, 17, 50, tzinfo=UTC))  # the old 15-minute reminder time
    assert await svc.claim_due_reminders() == []
    clock.set(datetime(2026, 1, 11, 18, 0, tzinfo=UTC))
    due = await svc.claim_due_reminders()
    assert [(d.minutes_before, d.session.starts_at.day) for d in due] == [(1440, 12)]
    with pytest.raises(UserError) as caught:
        await svc.move_session(guild, sid, "2026-01-12 18:00 UTC")
    assert caught.value.key == "officehours.move.same_time"


async def test_cancel_session_tells_everyone_and_disarms(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild, capacity=1)
    await svc.sign_up(guild, sid, 10, None)
    await svc.sign_up(guild, sid, 11, None)
    await svc.toggle_dm_reminders(guild, sid, 11)
    session, signed = await svc.cancel_session(guild, sid)
    assert session.cancelled and [s.user_id for s in signed] == [10, 11]
    assert await svc.repo.notices(sid) == [(11, "cancelled", None)]
    assert await svc.repo.pending_reminders(sid) == []
    with pytest.raises(UserError):
        await svc.cancel_session(guild, sid)
    with pytest.raises(UserError) as caught:
        await svc.sign_up(guild, sid, 12, None)
    assert caught.value.key == "officehours.signup.refused_cancelled"


async def test_notice_outbox_claims_each_once(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild, capacity=1)
    await svc.sign_up(guild, sid, 10, "de")
    await svc.sign_up(guild, sid, 11, "pt-BR")
    await svc.cancel_signup(guild, sid, 10)
    notice = await svc.repo.claim_notice(clock.now())
    assert notice is not None and (notice.user_id, notice.kind, notice.locale) == (11, "promoted", "pt-BR")
    assert await svc.repo.claim_notice(clock.now()) is None
    assert await svc.repo.finish_notice(notice.id, "thread", clock.now())
    assert await svc.repo.notices(sid) == [(11, "promoted", "thread")]


async def test_question_and_dm_toggle(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild)
    with pytest.raises(UserError):
        await svc.set_question(guild, sid, 10, "hello")
    await svc.sign_up(guild, sid, 10, None)
    assert await svc.set_question(guild, sid, 10, "  How are areas weighed? " + "x" * 400) is not None
    signup = await svc.repo.signup(sid, 10)
    assert signup is not None and signup.question is not None and len(signup.question) == 300
    assert await svc.toggle_dm_reminders(guild, sid, 10) is True
    assert await svc.toggle_dm_reminders(guild, sid, 10) is False


async def test_upcoming_lists_seats(db: Database, clock: FakeClock, guild: int) -> None:
    svc = service(db, clock)
    sid = await schedule(svc, guild, capacity=1)
    await svc.sign_up(guild, sid, 10, None)
    await svc.sign_up(guild, sid, 11, None)
    [summary] = await svc.upcoming(guild)
    assert (summary.confirmed, summary.waitlisted, summary.seats_left) == (1, 1, 0)
    clock.advance(timedelta(days=6))
    assert await svc.upcoming(guild) == []
