"""Claim-then-send jobs hold a lease (``bot.data.leases``): a claimer that "crashes" between its claim and
its post (drops the claim without marking it done) loses nothing. While the lease runs, nobody else takes
the job; once it has run out (the FakeClock moved past it), another claimer takes it, exactly once, and
the crashed claimer can no longer mark it done. One test per job: weekly digest, reminder, notice, and
a Discord event's phase. Each runs on SQLite and PostgreSQL (fixture ``db``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.leases import LEASE
from bot.data.links import LinkRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.officehours_events import OfficeHoursEventsRepository
from bot.digest.service import DigestService
from bot.officehours import OfficeHoursService, SessionDraft

START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)  # the FakeClock starts on 2026-01-05 09:00 UTC
PAST_THE_LEASE = LEASE + timedelta(seconds=1)


def office_hours(db: Database, clock: FakeClock, claimer: str) -> OfficeHoursService:
    return OfficeHoursService(OfficeHoursRepository(db), GuildRepository(db), clock, claimer=claimer)


async def schedule(svc: OfficeHoursService, guild: int, capacity: int = 1) -> int:
    draft = SessionDraft("Ask", START.isoformat(), 60, capacity, location_text="Jitsi")
    return (await svc.schedule(guild, 1, draft)).id


async def test_a_weekly_digest_leased_by_a_crashed_process_is_posted_once_after_the_lease(
    db: Database, guild: int, posts: object, clock: FakeClock
) -> None:
    await GuildRepository(db).update(
        guild, clock.now(), digest_channel_id=555, digest_weekday=2, digest_hour=18
    )
    crashed, other = DigestService(db, clock, claimer="a"), DigestService(db, clock, claimer="b")
    clock.set(datetime(2026, 1, 7, 18, 0, tzinfo=UTC))
    [due] = await crashed.due_weekly()
    assert await crashed.weekly(due) is not None
    # "Crash": the post never happens, sent_weekly is never called.
    clock.advance(LEASE - timedelta(seconds=1))
    assert await other.due_weekly() == []  # leased: not due for anyone
    assert await other.weekly(due) is None
    clock.advance(seconds=2)
    [again] = await other.due_weekly()
    assert again.period_key == due.period_key
    digest = await other.weekly(again)
    assert digest is not None and digest.since == due.slot - timedelta(days=7)
    assert await crashed.weekly(due) is None and await other.weekly(again) is None  # exactly once
    assert not await crashed.sent_weekly(due)  # the crashed claim is no longer anyone's
    assert await other.sent_weekly(again)
    clock.advance(PAST_THE_LEASE)
    assert await other.due_weekly() == [] and await crashed.due_weekly() == []
    [logged] = await other.repository.digests(guild, "weekly")
    assert logged.period_key == due.period_key


async def test_a_reminder_leased_by_a_crashed_process_is_posted_once_after_the_lease(
    db: Database, guild: int, clock: FakeClock
) -> None:
    crashed, other = office_hours(db, clock, "a"), office_hours(db, clock, "b")
    sid = await schedule(crashed, guild)
    await crashed.sign_up(guild, sid, 10, None)
    await crashed.toggle_dm_reminders(guild, sid, 10)
    clock.set(START - timedelta(hours=24))
    [due] = await crashed.claim_due_reminders()
    assert due.attendee_ids == (10,)
    # "Crash" before the thread post: finish_reminder is never called, no DM queued.
    assert await other.claim_due_reminders() == []
    clock.advance(PAST_THE_LEASE)
    [again] = await other.claim_due_reminders()
    assert (again.reminder_id, again.attendee_ids) == (due.reminder_id, (10,))
    assert await other.claim_due_reminders() == [] and await crashed.claim_due_reminders() == []
    assert not await crashed.finish_reminder(due)
    assert await other.finish_reminder(again)
    assert await other.repo.notices(sid) == [(10, "reminder", None)]  # one DM, queued once
    clock.advance(PAST_THE_LEASE)
    assert await other.claim_due_reminders() == [] and await crashed.claim_due_reminders() == []


async def test_a_notice_leased_by_a_crashed_process_is_delivered_once_after_the_lease(
    db: Database, guild: int, clock: FakeClock
) -> None:
    svc = office_hours(db, clock, "a")
    repo = svc.repo
    sid = await schedule(svc, guild)
    await svc.sign_up(guild, sid, 10, None)
    await svc.sign_up(guild, sid, 11, None)
    await svc.cancel_signup(guild, sid, 10)  # 11 is promoted: one notice
    notice = await repo.claim_notice(clock.now(), claimer="a")
    assert notice is not None and notice.user_id == 11
    # "Crash" before the DM: finish_notice is never called.
    assert await repo.claim_notice(clock.now(), claimer="b") is None
    clock.advance(PAST_THE_LEASE)
    again = await repo.claim_notice(clock.now(), claimer="b")
    assert again is not None and again.id == notice.id
    assert await repo.claim_notice(clock.now(), claimer="a") is None
    assert not await repo.finish_notice(notice.id, "dm", clock.now(), claimer="a")
    assert await repo.finish_notice(again.id, "dm", clock.now(), claimer="b")
    clock.advance(PAST_THE_LEASE)
    assert await repo.claim_notice(clock.now(), claimer="a") is None
    assert await repo.notices(sid) == [(11, "promoted", "dm")]


async def test_an_event_phase_leased_by_a_crashed_process_is_done_once_after_the_lease(
    db: Database, guild: int, clock: FakeClock
) -> None:
    repo = OfficeHoursRepository(db)
    sid = await schedule(office_hours(db, clock, "a"), guild)
    await repo.attach_discord(sid, scheduled_event_id=4242)
    events = OfficeHoursEventsRepository(db)
    clock.set(START)
    assert await events.claim_phase(sid, "active", clock.now(), claimer="a")
    # "Crash" before Discord was told: phase_done is never called.
    assert await events.due_to_start(clock.now()) == []
    assert not await events.claim_phase(sid, "active", clock.now(), claimer="b")
    clock.advance(PAST_THE_LEASE)
    assert [s.id for s in await events.due_to_start(clock.now())] == [sid]
    assert await events.claim_phase(sid, "active", clock.now(), claimer="b")
    assert not await events.claim_phase(sid, "active", clock.now(), claimer="a")
    assert not await events.phase_done(sid, "active", clock.now(), claimer="a")
    assert await events.phase_done(sid, "active", clock.now(), claimer="b")
    clock.advance(PAST_THE_LEASE)
    assert not await events.claim_phase(sid, "active", clock.now(), claimer="a")
    assert await events.phases(sid) == ["active"]


async def test_an_offer_claimed_by_a_crashed_process_gets_its_card_once_after_the_lease(
    db: Database, guild: int, clock: FakeClock
) -> None:
    """A linked server's offer is claimed before its card is posted; a process killed in between left it
    'active' without a card for good. Now the claim is leased: retaken once after the lease, and an offer
    whose card was posted (or that met a problem) is never taken again."""
    linked, other_linked = (3 << 22) + 7, (4 << 22) + 7
    links = LinkRepository(db)
    for server in (linked, other_linked):
        await GuildRepository(db).ensure(server, load_content(), clock.now())
        invite = await links.create_invite(guild, f"CODE-{server}", 70, clock.now(), None, None)
        async with db.transaction() as tx:
            await links.join(tx, server, guild, invite.id, 70, clock.now())
    svc = office_hours(db, clock, "a")
    session_id = await schedule(svc, guild)
    repo = svc.repo

    crashed = await repo.claim_pending_offers(clock.now())
    assert {o.guild_id for o in crashed} == {linked, other_linked}
    # The other server's card went out; the crash came before ``linked``'s.
    await repo.attach_offer(session_id, other_linked, card_channel_id=1, card_message_id=2)
    assert await repo.claim_pending_offers(clock.now()) == []  # the lease still runs
    clock.advance(PAST_THE_LEASE)
    first, second = await asyncio.gather(
        repo.claim_pending_offers(clock.now()), repo.claim_pending_offers(clock.now())
    )
    assert [(o.session_id, o.guild_id) for o in first + second] == [(session_id, linked)]
    await repo.attach_offer(session_id, linked, problem="channel_missing")
    clock.advance(PAST_THE_LEASE)
    assert await repo.claim_pending_offers(clock.now()) == []
