"""The SQL of drafts everywhere (issue 16): a linked server's copy of the home consultation, made again
without duplicates, kept in step with new versions and translations, its phase following the home's, and
the tally counted distinct across servers."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.languages import LanguageRepository, Translation
from bot.data.links import LinkRepository
from bot.data.mirrors import MirrorRepository
from bot.data.reactions import ReactionChange, ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.moderation.phases import PhaseService

JOINED, OTHER = 6661, 6662
ADMIN, WG = 81, 82
SUPPORT, OPPOSE, AREA_1, AREA_2 = "👍", "👎", "1\ufe0f\u20e3", "2\ufe0f\u20e3"


async def link(db: Database, clock: FakeClock, home: int, *guilds: int) -> None:
    repo, links = GuildRepository(db), LinkRepository(db)
    invite = await links.create_invite(home, f"CODE{home}", WG, clock.now(), None, None)
    for guild_id in guilds:
        await repo.ensure(guild_id, load_content(), clock.now())
        async with db.transaction() as tx:
            await links.join(tx, guild_id, home, invite.id, ADMIN, clock.now())


async def test_copying_makes_the_same_consultation_and_again_updates_it(
    db: Database, clock: FakeClock, guild: int
):
    guilds, recs, languages = GuildRepository(db), RecommendationRepository(db), LanguageRepository(db)
    mirrors = MirrorRepository(db)
    await guilds.update(guild, clock.now(), consultation_title="Movement Strategy", phase="closed")
    r1 = await recs.by_number(guild, 1)
    assert r1 is not None
    await recs.revise(r1.id, "Better title", "Better text", WG, clock.now())
    await languages.add_translation(Translation(r1.id, "fr", 2, "Titre", "Texte", WG, clock.now()))
    await link(db, clock, guild, JOINED)
    # The joined server had its own default drafts (never posted): they become the copies.
    own = await recs.by_number(JOINED, 1)

    first = await mirrors.copy_consultation(guild, JOINED, clock.now())
    copies = await recs.all(JOINED)
    home = await recs.all(guild)
    assert [(c.number, c.version, c.title, c.body) for c in copies] == [
        (h.number, h.version, h.title, h.body) for h in home
    ]
    assert own is not None and first.copies[r1.id] == own.id and first.created == 0
    assert [v.title for v in await recs.versions(own.id)] == [v.title for v in await recs.versions(r1.id)]
    assert (await languages.latest_translations(own.id))["fr"].title == "Titre"
    settings = await guilds.get(JOINED)
    assert settings is not None and (settings.consultation_title, settings.phase) == (
        "Movement Strategy",
        "closed",
    )
    assert [(a.number, a.emoji) for a in await guilds.scoping_areas(JOINED)] == [
        (a.number, a.emoji) for a in await guilds.scoping_areas(guild)
    ]
    assert [s.emoji for s in await guilds.stances(JOINED)] == [s.emoji for s in await guilds.stances(guild)]
    assert await LinkRepository(db).home_recommendation(own.id) == r1.id

    # Linking again (a re-join) changes nothing and duplicates nothing.
    again = await mirrors.copy_consultation(guild, JOINED, clock.now())
    assert again.copies == first.copies and again.created == 0 and again.revised == set()
    assert len(await recs.all(JOINED)) == len(home)
    assert len(await LinkRepository(db).mirrors(r1.id)) == 1

    # A new version at home: one copy brought up to it, the others untouched.
    await recs.revise(r1.id, "Third", "Third text", WG, clock.now())
    assert await mirrors.copy_draft(r1.id, own.id)
    assert not await mirrors.copy_draft(r1.id, own.id)  # nothing new the second time
    copy = await recs.by_id(own.id)
    assert copy is not None and (copy.version, copy.title) == (3, "Third")
    assert await mirrors.copies(r1.id, [JOINED]) == [(JOINED, own.id)]
    assert await mirrors.copies(r1.id, []) == []


async def test_a_new_server_gets_new_rows_and_its_extra_drafts_give_way(
    db: Database, clock: FakeClock, guild: int
):
    guilds, recs, mirrors = GuildRepository(db), RecommendationRepository(db), MirrorRepository(db)
    await link(db, clock, guild, JOINED)
    # The joined server's drafts: one more than home (never posted), and home numbers it lacks.
    content = load_content()
    await guilds.load_content(JOINED, content, clock.now())
    await db.execute(
        "INSERT INTO recommendations (guild_id, number, current_version, created_at) VALUES (?, 99, 1, ?)",
        (JOINED, "2026-01-01T00:00:00Z"),
    )
    await db.execute("DELETE FROM recommendations WHERE guild_id = ? AND number = 2", (JOINED,))
    result = await mirrors.copy_consultation(guild, JOINED, clock.now())
    assert result.created == 1  # R2 was made; the others were taken over
    assert await recs.by_number(JOINED, 99) is None
    assert [r.number for r in await recs.all(JOINED)] == [r.number for r in await recs.all(guild)]


async def test_the_phase_follows_home_once_and_lagging_servers_are_found(
    db: Database, clock: FakeClock, guild: int
):
    guilds, mirrors = GuildRepository(db), MirrorRepository(db)
    await link(db, clock, guild, JOINED, OTHER)
    closes = clock.now() + timedelta(days=3)
    await guilds.update(guild, clock.now(), closes_at=closes)
    assert await mirrors.lagging() == [JOINED, OTHER]
    home = ("open", closes)
    assert await mirrors.follow_phase(JOINED, ("open", None), home, clock.now())
    assert not await mirrors.follow_phase(JOINED, ("open", None), home, clock.now())  # raced: once
    assert await mirrors.lagging() == [OTHER]
    clock.advance(hours=1)
    await guilds.update(guild, clock.now(), phase="closed", closes_at=None)
    assert await mirrors.follow_phase(JOINED, ("open", closes), ("closed", None), clock.now())
    after = await guilds.get(JOINED)
    assert after is not None and (after.phase, after.closes_at, after.phase_changed_at) == (
        "closed",
        None,
        clock.now(),
    )
    assert await LinkRepository(db).end(OTHER, "left", ADMIN, clock.now())
    assert await mirrors.lagging() == []  # a server that left follows nobody


async def test_the_tally_counts_a_member_on_two_servers_once_per_cell(
    db: Database, clock: FakeClock, guild: int
):
    recs, reactions, mirrors = RecommendationRepository(db), ReactionRepository(db), MirrorRepository(db)
    await link(db, clock, guild, JOINED, OTHER)
    copies = {g: await mirrors.copy_consultation(guild, g, clock.now()) for g in (JOINED, OTHER)}
    r1 = await recs.by_number(guild, 1)
    assert r1 is not None
    message = {guild: 101, JOINED: 201, OTHER: 301}
    for guild_id, message_id in message.items():
        rec_id = r1.id if guild_id == guild else copies[guild_id].copies[r1.id]
        await recs.add_post(
            guild_id=guild_id, recommendation_id=rec_id, message_id=message_id, channel_id=guild_id,
            thread_id=message_id, kind="forum", now=clock.now(),
        )  # fmt: skip
    both, home_only, joined_only = 1, 2, 3
    events = [
        (message[guild], SUPPORT, both), (message[guild], AREA_1, both),
        (message[JOINED], SUPPORT, both), (message[JOINED], AREA_2, both),  # the same person, again
        (message[guild], OPPOSE, home_only), (message[guild], AREA_1, home_only),
        (message[JOINED], AREA_2, joined_only),
    ]  # fmt: skip
    await reactions.apply([ReactionChange(True, m, e, u) for m, e, u in events], clock.now())

    everywhere = [guild, JOINED, OTHER]
    areas, stances = await mirrors.tallies(guild, everywhere, r1.id)
    [overall] = stances
    assert (overall.members, overall.support, overall.oppose, overall.needs_work) == (3, 1, 1, 0)
    cells = {row.area_number: (row.members, row.support, row.oppose) for row in areas}
    assert cells[1] == (2, 1, 1) and cells[2] == (2, 1, 0) and cells[3] == (0, 0, 0)
    # Each server alone: its own share, as its own tally reads it.
    own = await reactions.stance_tally(JOINED, copies[JOINED].copies[r1.id])
    assert own[0].members == 2
    shares = await mirrors.shares(everywhere)
    assert {g: s.reactors for g, s in shares.items()} == {guild: 2, JOINED: 2, OTHER: 0}
    assert shares[JOINED].by_emoji == {SUPPORT: 1, AREA_2: 2}
    all_areas, all_stances = await mirrors.tallies(guild, everywhere)
    assert len(all_stances) == len(await recs.all(guild)) and all_stances[0] == overall
    assert [row for row in all_areas if row.recommendation_id == r1.id] == areas


async def test_a_joined_server_follows_home_and_cannot_set_its_own_phase(
    db: Database, clock: FakeClock, guild: int
):
    guilds = GuildRepository(db)
    await link(db, clock, guild, JOINED)
    phases = PhaseService(guilds, clock, namer=lambda guild_id: f"Home ({guild_id})")
    for attempt in (
        phases.change(JOINED, "closed"),
        phases.schedule_close(JOINED, clock.now() + timedelta(hours=1)),
        phases.cancel_scheduled_close(JOINED),
    ):
        try:
            await attempt
        except UserError as refused:
            assert refused.key == "mirrors.phase_from_home" and refused.params["home"] == f"Home ({guild})"
        else:
            raise AssertionError("a joined server set its own phase")
    await phases.schedule_close(guild, clock.now() + timedelta(hours=1))
    assert await phases.linked(guild) == [JOINED]
    assert await phases.due_follows() == [JOINED]  # the close is copied, not a change of phase
    assert await phases.follow(JOINED) is None
    assert await phases.due_follows() == []
    clock.advance(hours=2)
    assert await phases.due_closes() == [guild]  # the joined server closes when its home does
    await phases.change(guild, "closed")
    change = await phases.follow(JOINED)
    assert change is not None and change.closed_now and change.after.phase == "closed"
    assert await phases.follow(JOINED) is None and await phases.due_follows() == []
