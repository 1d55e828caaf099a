"""Office hours across linked servers (issue 16): one pool of seats and one waitlist for every server a
home session is offered on, offers that follow the links, and each server's reminders to its own."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.links import LinkRepository
from bot.data.officehours import OfficeHoursRepository
from bot.errors import UserError
from bot.officehours import OfficeHoursService, SessionDraft
from bot.sharding import ShardScope, shard_of

# Two linked servers on different shards of 2 (a guild's shard is (id >> 22) % 2).
LINKED_A, LINKED_B, OUTSIDER = (3 << 22) + 7, (4 << 22) + 7, (6 << 22) + 7
ADMIN = 70


async def link(db: Database, clock: FakeClock, home: int, guild_id: int) -> None:
    links = LinkRepository(db)
    await GuildRepository(db).ensure(guild_id, load_content(), clock.now())
    invite = await links.create_invite(home, f"CODE-{guild_id}", ADMIN, clock.now(), None, None)
    async with db.transaction() as tx:
        await links.join(tx, guild_id, home, invite.id, ADMIN, clock.now())


async def linked_service(
    db: Database, clock: FakeClock, home: int, capacity: int, **options: object
) -> tuple[OfficeHoursService, int]:
    """Home with two linked servers, a session scheduled at home and offered on both (cards posted)."""
    for guild_id in (LINKED_A, LINKED_B):
        await link(db, clock, home, guild_id)
    await GuildRepository(db).ensure(OUTSIDER, load_content(), clock.now())
    svc = OfficeHoursService(OfficeHoursRepository(db), GuildRepository(db), clock)
    draft = SessionDraft(
        title="Across servers",
        start="2026-01-10T18:00Z",
        duration_minutes=60,
        capacity=capacity,
        location_text="Jitsi",
        **options,  # type: ignore[arg-type]
    )
    session = await svc.schedule(home, 1, draft)
    claimed = await svc.repo.claim_pending_offers(clock.now())
    assert {(o.session_id, o.guild_id) for o in claimed} <= {(session.id, LINKED_A), (session.id, LINKED_B)}
    return svc, session.id


async def test_twenty_seats_and_two_hundred_clicks_from_three_servers(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await linked_service(db, clock, guild, capacity=20)
    servers = (guild, LINKED_A, LINKED_B)
    clicks = [(1000 + n, servers[n % 3]) for n in range(200)]  # interleaved: home, A, B, home, ...
    outcomes = await asyncio.gather(*(svc.sign_up(g, sid, user, None) for user, g in clicks))

    assert [o.status for o in outcomes].count("confirmed") == 20
    assert [o.position for o in outcomes[20:]] == list(range(1, 181))  # one waitlist, click order
    signed = await svc.repo.signups(sid)
    assert [s.user_id for s in signed] == [user for user, _ in clicks]
    assert [s.guild_id for s in signed] == [g for _, g in clicks]  # each remembers its server
    summary = await svc.repo.summary(sid)
    assert summary is not None and (summary.confirmed, summary.waitlisted) == (20, 180)

    # A seat given up at home goes to the head of the one waitlist, who clicked on server B.
    gone = await svc.cancel_signup(guild, sid, clicks[0][0])
    head_user, head_server = clicks[20]
    assert gone.previous == "confirmed" and gone.promoted_user_id == head_user and head_server == LINKED_B
    promoted = await svc.repo.signup(sid, head_user)
    assert promoted is not None and promoted.status == "confirmed" and promoted.guild_id == LINKED_B


async def test_a_click_from_a_server_without_the_offer_is_refused(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await linked_service(db, clock, guild, capacity=5)
    for outsider in (OUTSIDER, 9):  # not linked; linked to nobody and unknown
        with pytest.raises(UserError) as caught:
            await svc.sign_up(outsider, sid, 5, None)
        assert caught.value.key == "officehours.signup.refused_not_found"
        with pytest.raises(UserError):
            await svc.visible_session(outsider, sid)
    assert (await svc.visible_session(LINKED_A, sid)).id == sid
    with pytest.raises(UserError):
        await svc.session(LINKED_A, sid)  # managed at home only
    # An offer not posted yet takes no sign-ups on that server.
    late = await svc.schedule(guild, 1, SessionDraft("Later", "2026-01-11T18:00Z", 60, 3, location_text="x"))
    with pytest.raises(UserError):
        await svc.sign_up(LINKED_A, late.id, 5, None)
    assert (await svc.sign_up(guild, late.id, 5, None)).status == "confirmed"


async def test_offers_follow_links_and_a_server_that_left_keeps_its_sign_ups(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await linked_service(db, clock, guild, capacity=2)
    repo, links = svc.repo, LinkRepository(db)
    home_only = await svc.schedule(
        guild, 1, SessionDraft("Home only", "2026-01-10T20:00Z", 60, 2, location_text="x", everywhere=False)
    )
    assert await repo.offers(home_only.id, statuses=("pending", "active", "withdrawn")) == []
    await svc.sign_up(LINKED_B, sid, 501, None)
    await svc.sign_up(LINKED_B, sid, 502, None)
    await svc.sign_up(guild, sid, 503, None)  # waitlisted

    assert await links.end(LINKED_B, "left", ADMIN, clock.now())
    with pytest.raises(UserError):  # the link ended: no sign-ups there even before the withdrawal
        await svc.sign_up(LINKED_B, sid, 504, None)
    withdrawn = await repo.withdraw_offers(LINKED_B, guild, clock.now())
    assert [(o.session_id, o.status) for o in withdrawn] == [(sid, "active")]
    assert [o.guild_id for o in await repo.offers(sid)] == [LINKED_A]
    summary = await repo.summary(sid)
    assert summary is not None and (summary.confirmed, summary.waitlisted) == (2, 1)  # seats kept
    # The holder gives the seat up from the withdrawn card: the waitlist moves up, across servers.
    gone = await svc.cancel_signup(LINKED_B, sid, 501)
    assert gone.promoted_user_id == 503

    # Joining again: the session (for everywhere) is offered again, not the home-only one.
    async with db.transaction() as tx:
        await links.join(tx, LINKED_B, guild, None, ADMIN, clock.now())  # type: ignore[arg-type]
    assert await repo.offer_to(LINKED_B, guild, clock.now()) == [sid]
    assert await repo.offer_to(LINKED_B, guild, clock.now()) == []  # once
    assert [o.guild_id for o in await repo.claim_pending_offers(clock.now(), guild_id=LINKED_B)] == [LINKED_B]
    assert (await svc.sign_up(LINKED_B, sid, 504, None)).status == "waitlisted"


async def test_reminders_go_to_each_server_own_attendees_once(
    db: Database, clock: FakeClock, guild: int
) -> None:
    svc, sid = await linked_service(db, clock, guild, capacity=10, reminders="15m")
    attendees = {guild: [601, 602], LINKED_A: [611], LINKED_B: [621, 622, 623]}
    for server, users in attendees.items():
        for user in users:
            await svc.sign_up(server, sid, user, None)
    await svc.toggle_dm_reminders(LINKED_B, sid, 621)
    assert await svc.claim_due_reminders() == [] and await svc.claim_due_offer_reminders() == []

    clock.advance(days=5, hours=8, minutes=46)  # 17:46 on the day: the 15-minute reminder is due
    [home] = await svc.claim_due_reminders()
    assert home.guild_id is None and home.attendee_ids == (601, 602)
    assert await svc.repo.notices(sid) == []  # leased: the DMs are queued once the home post went out
    assert await svc.finish_reminder(home)
    assert [(u, k) for u, k, _ in await svc.repo.notices(sid)] == [(621, "reminder")]  # DMs as always

    # Two processes, one shard each: each reminds the linked server it owns, once.
    scopes = [ShardScope.of(2, [shard]) for shard in (0, 1)]
    by_scope = [await svc.claim_due_offer_reminders(scope) for scope in scopes]
    got = {d.guild_id: d.attendee_ids for batch in by_scope for d in batch}
    assert got == {LINKED_A: (611,), LINKED_B: (621, 622, 623)}
    for scope, batch in zip(scopes, by_scope, strict=True):
        assert all(scope.owns(d.guild_id or 0) for d in batch)
    assert shard_of(LINKED_A, 2) != shard_of(LINKED_B, 2)
    assert await svc.claim_due_offer_reminders() == [] and await svc.claim_due_reminders() == []
