"""LinkService (issue 16): join codes, every refused join with its own sentence, one transaction per
join (a single-use code raced by two servers links one), leaving, removal, figures and health."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.links import JoinSettings, LinkRepository
from bot.data.reactions import ReactionChange, ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.links.service import LinkService

JOINED, OTHER, THIRD = 5551, 5552, 5553
ADMIN, WG = 71, 72
SETTINGS = JoinSettings(channel_id=900, channel_kind="text", working_group_role_id=901)


class Recorder:
    def __init__(self) -> None:
        self.audit: list[tuple[int, int | None, str, str | None]] = []
        self.events: list[tuple[Any, ...]] = []

    async def record(self, guild_id: int, actor_id: int | None, action: str, target: str | None) -> None:
        self.audit.append((guild_id, actor_id, action, target))

    def dispatch(self, event: str, *args: Any) -> None:
        self.events.append((event, *args))


@pytest.fixture
def seen() -> Recorder:
    return Recorder()


@pytest.fixture
async def service(db: Database, clock: FakeClock, guild: int, seen: Recorder) -> LinkService:
    return LinkService(
        db, GuildRepository(db), clock, load_content(), audit=seen.record, dispatch=seen.dispatch,
        server_name=lambda guild_id: f"server {guild_id}",
    )  # fmt: skip


async def refused(call: Any) -> str:
    with pytest.raises(UserError) as caught:
        await call
    return caught.value.key


async def test_a_code_joins_a_server_in_one_transaction_and_is_audited_in_both(
    service: LinkService, db: Database, guild: int, seen: Recorder
):
    made = await service.invite(guild, WG)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", made.code)
    assert made.invite.max_uses == 1 and made.invite.expires_at is not None
    assert made.code not in str(seen.audit)  # the code is shown once, never logged
    assert await service.offer(JOINED, made.code.lower()) == guild

    link = await service.join(JOINED, made.code, ADMIN, SETTINGS)
    assert link.active and link.home_guild_id == guild and link.health == "ok"
    settings = await GuildRepository(db).get(JOINED)
    assert settings is not None
    assert (settings.channel_id, settings.channel_kind, settings.working_group_role_id) == (900, "text", 901)
    assert settings.moderator_role_id is None
    assert seen.events == [("consultation_server_linked", guild, JOINED)]
    assert [(g, a) for g, _, a, _ in seen.audit] == [
        (guild, "links.invite"), (guild, "links.joined"), (JOINED, "links.joined"),
    ]  # fmt: skip
    assert await service.consultation_servers(JOINED) == [guild, JOINED]
    assert await service.consultation_servers(guild) == [guild, JOINED]
    assert await service.consultation_servers(OTHER) == [OTHER]


async def test_each_refused_join_has_its_own_sentence(
    service: LinkService, db: Database, clock: FakeClock, guild: int
):
    guilds = GuildRepository(db)
    assert await refused(service.join(JOINED, "NOPE-NOPE-NOPE", ADMIN, SETTINGS)) == "links.join.unknown_code"
    own = await service.invite(guild, WG)
    assert await refused(service.join(guild, own.code, ADMIN, SETTINGS)) == "links.join.own_code"
    revoked = await service.invite(guild, WG)
    assert await service.revoke(guild, revoked.invite.id, WG) == 1
    assert await refused(service.revoke(guild, revoked.invite.id, WG)) == "links.revoke.unknown"
    assert await refused(service.offer(JOINED, revoked.code)) == "links.join.revoked"
    expiring = await service.invite(guild, WG, hours=1)
    many = await service.invite(guild, WG, uses=None, hours=720)
    clock.advance(hours=1)
    assert await refused(service.join(JOINED, expiring.code, ADMIN, SETTINGS)) == "links.join.expired"

    await service.join(JOINED, own.code, ADMIN, SETTINGS)
    assert await refused(service.join(OTHER, own.code, ADMIN, SETTINGS)) == "links.join.used"
    assert await refused(service.join(JOINED, many.code, ADMIN, SETTINGS)) == "links.join.already"
    # A joined server cannot invite; a home with linked servers cannot join another consultation.
    assert await refused(service.invite(JOINED, ADMIN)) == "links.invite.joined"
    await guilds.ensure(THIRD, load_content(), clock.now())
    elsewhere = await service.invite(THIRD, WG)
    assert await refused(service.join(guild, elsewhere.code, ADMIN, SETTINGS)) == "links.join.has_linked"
    assert await refused(service.join(JOINED, elsewhere.code, ADMIN, SETTINGS)) == (
        "links.join.other_consultation"
    )
    # A server that already published its own drafts.
    await guilds.ensure(OTHER, load_content(), clock.now())
    recommendations = RecommendationRepository(db)
    [first, *_] = await recommendations.all(OTHER)
    await recommendations.add_post(
        guild_id=OTHER, recommendation_id=first.id, message_id=777, channel_id=5,
        thread_id=777, kind="forum", now=clock.now(),
    )  # fmt: skip
    assert await refused(service.join(OTHER, many.code, ADMIN, SETTINGS)) == "links.join.published"
    # The inviting server has since joined another consultation: its old codes join nothing.
    fourth = 5554
    await guilds.ensure(fourth, load_content(), clock.now())
    await service.join(THIRD, many.code, ADMIN, SETTINGS)
    assert await refused(service.join(fourth, elsewhere.code, ADMIN, SETTINGS)) == "links.join.inviter_joined"
    assert await refused(service.invite(guild, WG, hours=721)) == "links.invite.bad_hours"
    assert await refused(service.invite(guild, WG, uses=0)) == "links.invite.bad_uses"
    links = LinkRepository(db)
    assert await links.home_of(OTHER) is None and await links.home_of(fourth) is None


async def test_two_servers_racing_for_a_single_use_code_link_one(service: LinkService, guild: int):
    made = await service.invite(guild, WG)
    results = await asyncio.gather(
        *(service.join(server, made.code, ADMIN, SETTINGS) for server in (JOINED, OTHER, THIRD)),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, UserError)]
    assert len(won) == 1 and [e.key for e in lost] == ["links.join.used"] * 2
    assert await service.consultation_servers(guild) == [guild, won[0].guild_id]
    [invite] = await service.invites(guild)
    assert invite.uses == 1


async def test_leave_and_removal_keep_the_data_and_joining_again_resumes(
    service: LinkService, db: Database, clock: FakeClock, guild: int, seen: Recorder
):
    many = await service.invite(guild, WG, uses=None)
    await GuildRepository(db).ensure(JOINED, load_content(), clock.now())  # a server the bot knew
    await service.join(JOINED, many.code, ADMIN, SETTINGS)
    await service.join(OTHER, many.code, ADMIN, SETTINGS)
    recommendations = RecommendationRepository(db)
    [first, *_] = await recommendations.all(JOINED)
    [home_first, *_] = await recommendations.all(guild)
    async with db.transaction() as tx:  # what the drafts capability does: a copy of a home draft
        await LinkRepository.add_mirror(tx, first.id, home_first.id)
    await recommendations.add_post(
        guild_id=JOINED, recommendation_id=first.id, message_id=4242, channel_id=900,
        thread_id=4243, kind="text", now=clock.now(),
    )  # fmt: skip
    changes = [ReactionChange(True, 4242, emoji, user) for emoji in ("👍", "🅰️") for user in (1, 2)]
    await ReactionRepository(db).apply(changes, clock.now())
    await FeedbackRepository(db).add(
        guild_id=JOINED, recommendation_id=first.id, version=1, author_id=1, body="Yes",
        source="form", now=clock.now(),
    )  # fmt: skip
    [joined, other] = await service.servers(guild)
    assert (joined.figures.reactions, joined.figures.members_reacting, joined.figures.feedback) == (4, 2, 1)
    assert other.figures.reactions == 0

    seen.audit.clear()
    assert await service.leave(JOINED, ADMIN) == guild
    assert await refused(service.leave(JOINED, ADMIN)) == "links.leave.not_joined"
    assert await refused(service.remove(guild, JOINED, WG)) == "links.remove.unknown"
    await service.remove(guild, OTHER, WG)
    assert await refused(service.remove(guild, OTHER, WG)) == "links.remove.unknown"
    assert seen.events[-2:] == [
        ("consultation_server_unlinked", guild, JOINED, "left"),
        ("consultation_server_unlinked", guild, OTHER, "removed"),
    ]
    assert [(g, a) for g, _, a, _ in seen.audit] == [
        (guild, "links.left"), (JOINED, "links.left"), (guild, "links.removed"), (OTHER, "links.removed"),
    ]  # fmt: skip
    assert await service.consultation_servers(guild) == [guild]
    assert [s.link.status for s in await service.servers(guild)] == ["left", "removed"]
    assert await service.servers(guild, active_only=True) == []

    # Its posts are copies of this home's drafts: it may join again (another home's code: refused).
    await GuildRepository(db).ensure(THIRD, load_content(), clock.now())
    elsewhere = await service.invite(THIRD, WG)
    assert await refused(service.join(JOINED, elsewhere.code, ADMIN, SETTINGS)) == "links.join.published"
    await service.join(JOINED, many.code, ADMIN, SETTINGS)  # rejoining: the data so far is there
    [resumed] = await service.servers(guild, active_only=True)
    assert resumed.link.active and resumed.figures.reactions == 4 and resumed.figures.feedback == 1
    assert await refused(service.servers(JOINED)) == "links.servers.joined"


async def test_health_changes_are_recorded_and_audited_at_home_once(
    service: LinkService, db: Database, guild: int, seen: Recorder
):
    made = await service.invite(guild, WG)
    await service.join(JOINED, made.code, ADMIN, SETTINGS)
    seen.audit.clear()
    assert not await service.channel_deleted(JOINED, 12345)  # not its consultation channel
    assert await service.channel_deleted(JOINED, 900)
    assert not await service.found_health(JOINED, "channel_missing", "<#900>")  # no change
    assert await service.found_health(JOINED, "bot_removed")
    assert not await service.found_health(OTHER, "bot_removed")  # never joined: nothing to record
    link = await service.link(JOINED)
    assert link is not None and link.health == "bot_removed"
    assert await service.found_health(JOINED, "ok")
    assert [(g, a) for g, _, a, _ in seen.audit] == [
        (guild, "links.health.channel_missing"),
        (guild, "links.health.bot_removed"),
        (guild, "links.health.ok"),
    ]
    assert await service.revoke(guild, None, WG) == 0  # the code was spent: nothing left to revoke
