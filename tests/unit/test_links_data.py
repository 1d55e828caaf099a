"""The SQL of linked servers (migration 0016): join codes used at most as allowed, links ended and resumed."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.links import LinkRepository, code_hash

JOINED, OTHER = 5551, 5552
ADMIN, WG = 71, 72


async def test_a_single_use_code_links_one_server_and_is_spent(db: Database, clock: FakeClock, guild: int):
    guilds, links = GuildRepository(db), LinkRepository(db)
    for guild_id in (JOINED, OTHER):
        await guilds.ensure(guild_id, load_content(), clock.now())
    invite = await links.create_invite(
        guild, "ABCD-1234", WG, clock.now(), clock.now() + timedelta(days=1), 1
    )
    assert await links.invite_by_code(" abcd-1234 ") == invite  # case and spaces do not matter
    assert code_hash("ABCD-1234") != code_hash("ABCD-1235")

    async with db.transaction() as tx:
        assert await links.use_invite(tx, invite.id, clock.now())
        await links.join(tx, JOINED, guild, invite.id, ADMIN, clock.now())
    async with db.transaction() as tx:
        assert not await links.use_invite(tx, invite.id, clock.now())  # single use: spent
    spent = await links.invite(invite.id)
    assert spent is not None and spent.uses == 1 and not spent.usable(clock.now())

    assert await links.home_of(JOINED) == guild and await links.home_of(OTHER) is None
    assert await links.consultation_guilds(guild) == [guild, JOINED]


async def test_expired_and_revoked_codes_are_refused_by_the_update_itself(
    db: Database, clock: FakeClock, guild: int
):
    links = LinkRepository(db)
    expiring = await links.create_invite(
        guild, "EXP", WG, clock.now(), clock.now() + timedelta(hours=1), None
    )
    revoked = await links.create_invite(guild, "REV", WG, clock.now(), None, None)
    assert await links.revoke_invite(guild, revoked.id, WG, clock.now())
    assert not await links.revoke_invite(guild, revoked.id, WG, clock.now())  # once
    clock.advance(hours=1)
    async with db.transaction() as tx:
        assert not await links.use_invite(tx, expiring.id, clock.now())
        assert not await links.use_invite(tx, revoked.id, clock.now())
    assert [i.uses for i in await links.invites(guild)] == [0, 0]


async def test_leaving_keeps_the_row_and_joining_again_resumes(db: Database, clock: FakeClock, guild: int):
    guilds, links = GuildRepository(db), LinkRepository(db)
    await guilds.ensure(JOINED, load_content(), clock.now())
    invite = await links.create_invite(guild, "MANY", WG, clock.now(), None, None)
    async with db.transaction() as tx:
        await links.join(tx, JOINED, guild, invite.id, ADMIN, clock.now())
    assert await links.end(JOINED, "left", ADMIN, clock.now())
    assert not await links.end(JOINED, "removed", WG, clock.now())  # already ended
    assert await links.home_of(JOINED) is None
    ended = await links.link(JOINED)
    assert ended is not None and ended.status == "left" and ended.ended_by == ADMIN
    assert await links.links(guild) == [] and len(await links.links(guild, active_only=False)) == 1

    clock.advance(days=2)
    async with db.transaction() as tx:
        await links.join(tx, JOINED, guild, invite.id, ADMIN, clock.now())
    resumed = await links.link(JOINED)
    assert resumed is not None and resumed.active and resumed.ended_at is None
    await links.set_health(JOINED, "channel_missing", "#consultation", clock.now())
    assert (await links.links(guild))[0].health == "channel_missing"
