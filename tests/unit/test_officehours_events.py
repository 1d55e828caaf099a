"""Following a session's Discord event, without Discord: the rules against a real SQLite database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.officehours_events import OfficeHoursEventsRepository
from bot.officehours import OfficeHoursService, SessionDraft
from bot.officehours.events import EventFollower, EventSnapshot

START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
EVENT_ID = 424242


async def setup(db: Database, clock: FakeClock, guild: int) -> tuple[EventFollower, EventSnapshot, int]:
    repo = OfficeHoursRepository(db)
    svc = OfficeHoursService(repo, GuildRepository(db), clock)
    draft = SessionDraft("Ask", START.isoformat(), 60, 2, location_text="Jitsi")
    session = await svc.schedule(guild, 1, draft)
    await repo.attach_discord(session.id, scheduled_event_id=EVENT_ID)
    same = EventSnapshot(EVENT_ID, "scheduled", START, START + timedelta(minutes=60), "Ask", None, "Jitsi")
    return EventFollower(repo, OfficeHoursEventsRepository(db), clock), same, session.id


async def test_an_echo_of_the_stored_state_changes_nothing(
    db: Database, clock: FakeClock, guild: int
) -> None:
    follower, same, _sid = await setup(db, clock, guild)
    outcome = await follower.follow(same)
    assert (outcome.moved, outcome.cancelled, outcome.edited) == (None, None, None)
    assert await follower.follow(replace(same, event_id=1)) == await follower.follow(same)  # not ours


async def test_a_new_time_moves_once(db: Database, clock: FakeClock, guild: int) -> None:
    follower, same, _sid = await setup(db, clock, guild)
    later = replace(same, starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=1, minutes=45))
    first = await follower.follow(later)
    assert first.moved is not None and first.moved.duration_minutes == 45
    assert first.before is not None and first.before.starts_at == START
    second = await follower.follow(later)
    assert second.moved is None


async def test_an_impossible_length_keeps_the_duration(db: Database, clock: FakeClock, guild: int) -> None:
    follower, same, _sid = await setup(db, clock, guild)
    outcome = await follower.follow(replace(same, ends_at=START + timedelta(hours=30)))
    assert outcome.moved is None  # same start, 30 hours refused: nothing to move
    outcome = await follower.follow(replace(same, ends_at=None, starts_at=START + timedelta(hours=1)))
    assert outcome.moved is not None and outcome.moved.duration_minutes == 60


async def test_status_changes(db: Database, clock: FakeClock, guild: int) -> None:
    follower, same, _sid = await setup(db, clock, guild)
    active = replace(same, status="active", starts_at=START + timedelta(hours=2))
    assert (await follower.follow(active)).moved is None  # a running event keeps the session's time
    cancelled = await follower.follow(replace(same, status="cancelled"))
    assert cancelled.cancelled is not None and cancelled.cancelled.cancelled
    assert (await follower.follow(replace(same, status="cancelled"))).cancelled is None
    assert (await follower.follow_deleted(EVENT_ID)).cancelled is None


async def test_an_ended_session_is_left_alone(db: Database, clock: FakeClock, guild: int) -> None:
    follower, same, _sid = await setup(db, clock, guild)
    clock.set(START + timedelta(minutes=61))
    assert (await follower.follow_deleted(EVENT_ID)).cancelled is None
    assert (await follower.follow(replace(same, status="cancelled"))).cancelled is None


async def test_phase_claims_are_once_only(db: Database, clock: FakeClock, guild: int) -> None:
    _follower, _same, sid = await setup(db, clock, guild)
    events = OfficeHoursEventsRepository(db)
    assert await events.due_to_start(clock.now()) == []
    clock.set(START)
    assert [s.id for s in await events.due_to_start(clock.now())] == [sid]
    assert await events.claim_phase(sid, "active", clock.now())
    assert not await events.claim_phase(sid, "active", clock.now())
    assert await events.due_to_start(clock.now()) == []
    assert await events.due_to_complete(clock.now()) == []  # started only once the phase is done
    assert await events.phase_done(sid, "active", clock.now())
    assert await events.due_to_complete(clock.now()) == []
    clock.set(START + timedelta(minutes=60))
    assert [s.id for s in await events.due_to_complete(clock.now())] == [sid]
