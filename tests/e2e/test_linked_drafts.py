"""Drafts everywhere (issue 16) end to end: a home server and two linked servers in one emulator (a forum,
and a text channel in Spanish), one bot. Publishing at home publishes on all three, an edit at home reaches
every post, a joined server is refused what belongs to the home, closing at home closes everywhere, and the
home tally counts a member who reacted on two servers once per cell."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.data.languages import LanguageRepository, Translation
from bot.data.links import LinkRepository
from bot.data.mirrors import MirrorRepository
from bot.data.recommendations import RecommendationRepository
from rehearsal.servers import posts_by_number
from rehearsal.world import World, database_tally, discord_tally

SUPPORT, OPPOSE = "👍", "👎"


def answer(result) -> str:
    return result.followups[-1].content if result.deferred else result.content


async def run(world: World, name: str, command: str, **options):
    result = await world.command(name, command, timeout=30, **options)
    if result.deferred:
        await result.wait_for_followup(60)
    return result


@pytest.fixture
async def servers(tmp_path, database_url) -> AsyncIterator[tuple[World, World, World]]:
    """The home (forum), a linked forum server and a linked Spanish text-channel server, each set up."""
    clock = FakeClock()
    path = tmp_path / "linked.sqlite3"
    home = await World.create(path, clock=clock, guild_name="Home", database_url=database_url)
    forum = await World.create(path, clock=clock, guild_name="Forum server", emu=home.emu)
    text = await World.create(path, clock=clock, guild_name="Servidor", guild_locale="es-ES", emu=home.emu)
    try:
        forum.bot = text.bot = await home.start_bot()
        for world, channel in ((home, "forum"), (forum, "forum"), (text, "text")):
            result = await world.setup_consultation(channel)
            assert result.ephemeral, result.content
        yield home, forum, text
    finally:
        forum.bot = text.bot = None
        await home.close()


async def link(home: World, other: World) -> None:
    """What /consultation join does (the links helper's command): the link row, then the event."""
    assert home.bot is not None
    links, now = LinkRepository(home.db), home.clock.now()
    invite = await links.create_invite(home.guild_id, f"C{other.guild_id}", home.members["wg"], now, None, 1)
    async with home.db.transaction() as tx:
        assert await links.use_invite(tx, invite.id, now)
        await links.join(tx, other.guild_id, home.guild_id, invite.id, other.members["admin"], now)
    copied = home.bot.wait_for(
        "consultation_drafts_copied", check=lambda _, guild_id: guild_id == other.guild_id, timeout=60
    )
    home.bot.dispatch("consultation_server_linked", home.guild_id, other.guild_id)
    await copied


async def test_publish_edit_and_close_at_home_reach_every_server(servers):
    home, forum, text = servers
    recs = RecommendationRepository(home.db)
    r1 = await recs.by_number(home.guild_id, 1)
    assert r1 is not None
    await LanguageRepository(home.db).add_translation(
        Translation(r1.id, "es", 1, "Título en español", "Texto.", home.members["wg"], home.clock.now())
    )
    await link(home, forum)
    await link(home, text)

    published = await home.publish()
    said = answer(published)
    assert "Forum server" in said and "Servidor" in said, said
    drafts = len(await recs.all(home.guild_id))
    posts = {world.guild_id: await posts_by_number(world) for world in servers}
    assert [len(p) for p in posts.values()] == [drafts] * 3
    assert {p.kind for p in posts[text.guild_id].values()} == {"text"}
    assert {p.channel_id for p in posts[text.guild_id].values()} == {text.text_id}
    assert {p.channel_id for p in posts[forum.guild_id].values()} == {forum.forum_id}
    assert home.emu.channel(forum.forum_id).available_tags  # the forum server's own tags
    spanish = home.emu.message(posts[text.guild_id][1].message_id).embeds[0]
    assert spanish["title"] == "R1. Título en español"
    english = home.emu.message(posts[forum.guild_id][1].message_id).embeds[0]
    assert english["title"] == f"R1. {r1.title}"

    # What belongs to the home working group is refused on a joined server, naming the home.
    for name, command, options in (
        ("wg", "consultation publish", {}),
        ("wg", "consultation edit", {"recommendation": 1}),
        ("wg", "consultation translate", {"recommendation": 1, "language": "fr"}),
        ("mod", "mod phase", {"state": "closed"}),
    ):
        refused = await run(forum, name, command, **options)
        assert refused.modal is None and "Home" in answer(refused), (command, answer(refused))

    opened = await home.command("wg", "consultation edit", recommendation=1)
    assert opened.modal is not None
    title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
    submitted = await home.emu.submit_modal(
        home.members["wg"], opened, {title_id: "A new title", text_id: "A new text."}
    )
    await submitted.wait(10)
    saved = await submitted.wait_for_followup(30)
    assert "Saved version 2 of R1" in saved.content and "2 linked servers" in saved.content, saved.content
    for world in servers:
        post = posts[world.guild_id][1]
        embed = home.emu.message(post.message_id).embeds[0]
        assert embed["title"] == "R1. A new title"  # the Spanish translation is of version 1: as written
        assert any("2" in m.content for m in home.emu.messages(post.thread_id) if m.author_id != 0)
        copy = await recs.by_number(world.guild_id, 1)
        assert copy is not None and (copy.version, copy.title) == (2, "A new title")

    # A translation saved at home: the Spanish server's post reads it at once, the others as written.
    opened = await home.command("wg", "consultation translate", recommendation=2, language="es")
    assert opened.modal is not None
    title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
    translated = await home.emu.submit_modal(
        home.members["wg"], opened, {title_id: "Segunda", text_id: "Texto dos."}
    )
    await translated.wait(10)
    spanish_post = posts[text.guild_id][2]
    await home.emu.wait_until(
        lambda: home.emu.message(spanish_post.message_id).embeds[0]["title"] == "R2. Segunda", timeout=30
    )
    assert home.emu.message(posts[forum.guild_id][2].message_id).embeds[0]["title"] != "R2. Segunda"

    assert home.bot is not None
    followed = [
        home.bot.wait_for("consultation_phase_follow_done", check=lambda g, _, w=w: g == w, timeout=60)
        for w in (forum.guild_id, text.guild_id)
    ]
    closed = await run(home, "mod", "mod phase", state="closed")
    assert closed.ephemeral
    await asyncio.gather(*followed)
    for world in servers:
        settings = await home.bot.guild_repository.get(world.guild_id)
        assert settings is not None and settings.phase == "closed"
        assert all(home.emu.channel(p.thread_id).locked for p in posts[world.guild_id].values())


async def test_the_home_tally_counts_a_member_on_two_servers_once(servers):
    home, forum, text = servers
    await link(home, forum)
    await link(home, text)
    await home.publish()
    shared = home.members["alice"]
    home.emu.add_member(forum.guild_id, shared)
    posts = {world.guild_id: await posts_by_number(world) for world in servers}
    guilds = await LinkRepository(home.db).consultation_guilds(home.guild_id)
    assert guilds == [home.guild_id, forum.guild_id, text.guild_id]
    options = [a.emoji for a in await home.bot.guild_repository.scoping_areas(home.guild_id)][:4]
    options += [SUPPORT, OPPOSE]
    rng = random.Random(16)
    for world in servers:
        people = [m for n, m in world.members.items() if n not in ("admin", "wg", "mod")]
        if world is forum:
            people.append(shared)
        for _ in range(120):
            post = posts[world.guild_id][rng.choice([1, 2, 3])]
            await home.emu.react(
                rng.choice(people), post.message_channel_id, post.message_id, rng.choice(options)
            )
    for world in servers:
        await world.settle()

    # Each server's own share equals its own reactors; the home total merges the servers.
    union: dict[tuple[int, str], set[int]] = {}
    for world in servers:
        assert await discord_tally(world) == await database_tally(world)
        for number, post in posts[world.guild_id].items():
            for emoji, users in home.emu.reactions(post.message_channel_id, post.message_id).items():
                people = {u for u in users if not home.emu.state.users[u].bot}
                union.setdefault((number, emoji), set()).update(people)
    areas = await home.bot.guild_repository.scoping_areas(home.guild_id)
    area_rows, stance_rows = await MirrorRepository(home.db).tallies(home.guild_id, guilds)
    number_of = {rec.id: rec.number for rec in await RecommendationRepository(home.db).all(home.guild_id)}
    for row in area_rows:
        area = next(a for a in areas if a.number == row.area_number)
        tagged = union.get((number_of[row.recommendation_id], area.emoji), set())
        supported = union.get((number_of[row.recommendation_id], SUPPORT), set())
        assert (row.members, row.support) == (len(tagged), len(tagged & supported)), row
    for row in stance_rows:
        number = row.recommendation_number
        everyone = set().union(*(users for (n, _), users in union.items() if n == number))
        assert (row.members, row.support, row.oppose) == (
            len(everyone),
            len(union.get((number, SUPPORT), set())),
            len(union.get((number, OPPOSE), set())),
        )
    both = [(n, e) for (n, e), users in union.items() if shared in users]
    assert both  # the shared member reacted (on two servers, counted once above)

    tally = await run(home, "wg", "consultation tally")
    [embed] = tally.embeds if tally.embeds else tally.followups[-1].embeds
    [per_server] = [f for f in embed["fields"] if f["name"] == "Per server"]
    assert per_server["value"].count("\n") == 2 and "Servidor" in per_server["value"]
    assert "3 servers" in embed["footer"]["text"]
    own = await run(forum, "wg", "consultation tally")  # a joined server: its own share only
    [own_embed] = own.embeds if own.embeds else own.followups[-1].embeds
    assert not any(f["name"] == "Per server" for f in own_embed.get("fields", []))
