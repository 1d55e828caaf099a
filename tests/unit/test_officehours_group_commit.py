"""Sign-up clicks served with group commit: a group decided in one transaction, in click order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import pytest

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.officehours import Booking, OfficeHoursRepository
from bot.errors import UserError
from bot.officehours import OfficeHoursService, SessionDraft


class CountingRepository(OfficeHoursRepository):
    """The real repository; counts the booking transactions and can make the next ones fail."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.bookings = 0
        self.fail_next = 0

    @asynccontextmanager
    async def booking(self, session_id: int, now: datetime) -> AsyncIterator[Booking]:
        self.bookings += 1
        async with super().booking(session_id, now) as booking:
            if self.fail_next:
                self.fail_next -= 1
                raise RuntimeError("disk I/O error")
            yield booking


async def setup(db: Database, clock: FakeClock, guild: int, capacity: int) -> tuple[OfficeHoursService, int]:
    repo = CountingRepository(db)
    svc = OfficeHoursService(repo, GuildRepository(db), clock)
    draft = SessionDraft(
        title="Rush", start="2026-01-10T18:00Z", duration_minutes=60, capacity=capacity, location_text="Jitsi"
    )
    return svc, (await svc.schedule(guild, 1, draft)).id


async def test_a_rush_is_written_in_a_few_transactions(db: Database, clock: FakeClock, guild: int) -> None:
    svc, sid = await setup(db, clock, guild, capacity=3)
    repo = svc.repo
    assert isinstance(repo, CountingRepository)
    users = list(range(100, 300))
    outcomes = await asyncio.gather(*(svc.sign_up(guild, sid, u, None) for u in users))
    assert repo.bookings < 10  # one per group of waiting clicks, not one per click
    assert [o.status for o in outcomes[:3]] == ["confirmed"] * 3
    assert [o.position for o in outcomes[3:]] == list(range(1, 198))
    signed = await repo.signups(sid)
    assert [s.user_id for s in signed] == users  # seats then waitlist, in click order


async def test_one_group_mixes_duplicates_refusals_and_returns(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await setup(db, clock, guild, capacity=1)
    await svc.sign_up(guild, sid, 10, None)
    await svc.sign_up(guild, sid, 11, None)  # waitlisted, number 1
    await svc.cancel_signup(guild, sid, 10)  # 11 promoted; 10 may come back
    clicks = [
        svc.sign_up(guild, sid, 10, "fr"),  # back after cancelling: end of the waitlist
        svc.sign_up(guild, sid, 12, None),
        svc.sign_up(guild, sid, 12, None),  # the same member twice in one group
        svc.sign_up(guild + 1, sid, 13, None),  # another server's click for this session
        svc.sign_up(guild, sid, 11, None),  # already has the seat
    ]
    results = await asyncio.gather(*clicks, return_exceptions=True)
    back, first, again, foreign, seated = results
    assert (back.status, back.position, back.already) == ("waitlisted", 1, False)
    assert (first.status, first.position) == ("waitlisted", 2)
    assert (again.status, again.position, again.already) == ("waitlisted", 2, True)
    assert isinstance(foreign, UserError) and foreign.key == "officehours.signup.refused_not_found"
    assert seated.already and seated.status == "confirmed"
    signed = await svc.repo.signups(sid)
    assert [(s.user_id, s.status) for s in signed] == [
        (11, "confirmed"),
        (10, "waitlisted"),
        (12, "waitlisted"),
    ]


async def test_a_failed_group_answers_every_click_and_writes_nothing(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await setup(db, clock, guild, capacity=5)
    repo = svc.repo
    assert isinstance(repo, CountingRepository)
    repo.fail_next = 1
    results = await asyncio.gather(
        *(svc.sign_up(guild, sid, u, None) for u in (1, 2, 3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await repo.signups(sid) == []
    again = await svc.sign_up(guild, sid, 1, None)  # the queue still serves the next click
    assert again.status == "confirmed" and not again.already


async def test_a_click_given_up_before_its_group_is_not_booked(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await setup(db, clock, guild, capacity=5)
    kept = asyncio.ensure_future(svc.sign_up(guild, sid, 1, None))
    dropped = asyncio.ensure_future(svc.sign_up(guild, sid, 2, None))
    await asyncio.sleep(0)  # both are queued; the group has not been written yet
    dropped.cancel()
    assert (await kept).status == "confirmed"
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert [s.user_id for s in await svc.repo.signups(sid)] == [1]


async def test_a_burst_of_cancellations_frees_and_fills_seats_exactly(
    db: Database, clock: FakeClock, guild: int
) -> None:
    """Cancels grouped in one transaction: each freed seat goes to the first still waiting, in order."""
    svc, sid = await setup(db, clock, guild, capacity=3)
    repo = svc.repo
    assert isinstance(repo, CountingRepository)
    for user in range(10, 20):  # 10, 11, 12 seated; 13..19 waiting in that order
        await svc.sign_up(guild, sid, user, None)
    before = repo.bookings
    leaving = [10, 13, 11, 14, 15, 12, 10, 16]  # seats and places, a promoted member among them, 10 twice
    results = await asyncio.gather(
        *(svc.cancel_signup(guild, sid, user) for user in leaving), return_exceptions=True
    )
    assert repo.bookings - before < len(leaving)  # grouped, not one transaction per click
    out = dict(zip(leaving[:6], results[:6], strict=True))
    assert (out[10].previous, out[10].promoted_user_id) == ("confirmed", 13)
    assert (out[13].previous, out[13].promoted_user_id) == ("confirmed", 14)  # 13 was just promoted
    assert (out[11].previous, out[11].promoted_user_id) == ("confirmed", 15)
    assert (out[14].previous, out[14].promoted_user_id) == ("confirmed", 16)
    assert (out[15].previous, out[15].promoted_user_id) == ("confirmed", 17)
    assert (out[12].previous, out[12].promoted_user_id) == ("confirmed", 18)
    again, promoted_then_left = results[6], results[7]
    assert isinstance(again, UserError) and again.key == "officehours.cancel_signup.not_signed_up"
    assert (promoted_then_left.previous, promoted_then_left.promoted_user_id) == ("confirmed", 19)
    signed = await repo.signups(sid)
    assert [(s.user_id, s.status) for s in signed] == [(u, "confirmed") for u in (17, 18, 19)]
    promotions = await db.fetchall(
        "SELECT user_id FROM officehours_notices WHERE session_id = ? AND kind = 'promoted' ORDER BY id",
        (sid,),
    )
    assert [r[0] for r in promotions] == [13, 14, 15, 16, 17, 18, 19]


async def test_grouped_cancellations_match_one_at_a_time(db: Database, clock: FakeClock, guild: int) -> None:
    """The same cancels, grouped and one by one, leave the same seats and waitlist."""
    finals = []
    for grouped in (True, False):
        svc, sid = await setup(db, clock, guild, capacity=4)
        for user in range(100, 112):
            await svc.sign_up(guild, sid, user, None)
        leaving = [111, 101, 105, 100, 104, 102, 110]
        if grouped:
            await asyncio.gather(*(svc.cancel_signup(guild, sid, u) for u in leaving))
        else:
            for user in leaving:
                await svc.cancel_signup(guild, sid, user)
        finals.append([(s.user_id, s.status) for s in await svc.repo.signups(sid)])
    assert finals[0] == finals[1]


async def test_a_group_larger_than_one_read_finds_every_earlier_sign_up(
    db: Database, clock: FakeClock, guild: int
) -> None:
    """1,200 clicks in one group (past the 500 ids one statement reads), the last ones by members already
    signed up: they are told so, not booked twice. (Once failed: the read past the first chunk was gone.)"""
    svc, sid = await setup(db, clock, guild, capacity=1000)
    early = list(range(5000, 5010))
    for user in early:
        await svc.sign_up(guild, sid, user, None)
    users = list(range(1, 1191)) + early
    outcomes = await asyncio.gather(*(svc.sign_up(guild, sid, u, None) for u in users))
    assert [o.already for o in outcomes[-10:]] == [True] * 10
    assert sum(o.status == "confirmed" and not o.already for o in outcomes) == 990
    assert [o.position for o in outcomes[990:1190]] == list(range(1, 201))
    signed = await svc.repo.signups(sid)
    assert len(signed) == 1200 and len({s.user_id for s in signed}) == 1200
