"""The home digest over linked servers (issue 16, item 3): people counted once across servers, each
server's own share beside the total, feedback naming its server, and a server on its own unchanged.

Links and copies are made with the data layer (``LinkRepository.join`` / ``add_mirror``), as the links and
drafts capabilities will: each linked server has its own drafts (same numbers), its own posts and
reactions; its copies are tied to the home drafts by ``recommendation_mirrors``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.links import LinkRepository
from bot.data.reactions import ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.digest.builder import FEEDBACK_HEADER, FILE_NAMES, TALLY_HEADER, DigestBuilder
from cogs.digest import digest_embed
from tests.unit.test_digest import (
    AREA,
    NEEDS_WORK,
    OPPOSE,
    SUPPORT,
    add_feedback,
    area_ids,
    react,
    read_csv,
    rec_ids,
)

LINKED_A, LINKED_B = 333_333_333_333_333_331, 333_333_333_333_333_332
NAMES = {LINKED_A: "=Comunidad hispanohablante"}  # a name a spreadsheet would run: neutralised in CSV
STANCE_OF = {SUPPORT: "support", OPPOSE: "oppose", NEEDS_WORK: "needs_work"}
SERVER_FILES = (
    "digest.md", "digest.wiki", "tallies.csv", "tallies_by_server.csv", "feedback.csv", "signups.csv",
    "heatmap.png", "heatmap_servers.png", "themes.csv",
)  # fmt: skip


def post_id(guild: int, number: int) -> int:
    """Home posts are 1000 + number (the ``posts`` fixture); linked servers' 3000+ and 4000+."""
    return {LINKED_A: 3000, LINKED_B: 4000}.get(guild, 1000) + number


async def link(db: Database, clock: FakeClock, home: int, guild: int, numbers: range) -> dict[int, int]:
    """Join ``guild`` to ``home`` and make its drafts ``numbers`` copies of the home's (with live posts);
    its other drafts stay its own. Returns {number: the copy's id}."""
    await GuildRepository(db).ensure(guild, load_content(), clock.now())
    links, recommendations = LinkRepository(db), RecommendationRepository(db)
    invite = await links.create_invite(home, f"CODE-{guild}", 1, clock.now(), None, None)
    home_ids = {rec.number: rec.id for rec in await recommendations.all(home)}
    own = {rec.number: rec.id for rec in await recommendations.all(guild)}
    async with db.transaction() as tx:
        await links.join(tx, guild, home, invite.id, 1, clock.now())
        for number in numbers:
            await links.add_mirror(tx, own[number], home_ids[number])
    for number, rec_id in own.items():
        await recommendations.add_post(
            guild_id=guild, recommendation_id=rec_id, message_id=post_id(guild, number), channel_id=60,
            thread_id=None, kind="text", now=clock.now(),
        )  # fmt: skip
    return {number: own[number] for number in numbers}


def reference(
    triples: set[tuple[int, str, int]], copies: dict[int, int]
) -> dict[tuple[int, object], list[int]]:
    """The tally counted by hand: per home draft, each member's emoji over every server's post of it.
    ``copies``: post id -> home draft number. {(number, area number or 'all'): [members, 👍, 👎, 🛠️]}."""
    emoji_of: dict[tuple[int, int], set[str]] = defaultdict(set)
    for message_id, emoji, user in triples:
        if message_id in copies:
            emoji_of[copies[message_id], user].add(emoji)
    cells: dict[tuple[int, object], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (number, _), emojis in emoji_of.items():
        stances = [int(e in emojis) for e in (SUPPORT, OPPOSE, NEEDS_WORK)]
        for key in ["all", *(area for area, emoji in AREA.items() if emoji in emojis)]:
            cell = cells[number, key]
            for i, value in enumerate([1, *stances]):
                cell[i] += value
    return cells


@pytest.fixture
async def servers(db, guild, posts, clock) -> dict[int, dict[int, int]]:
    """The home and two linked servers: A with copies of R1-R9, B with copies of R1-R8 (its R9 is its own)."""
    return {
        LINKED_A: await link(db, clock, guild, LINKED_A, range(1, 10)),
        LINKED_B: await link(db, clock, guild, LINKED_B, range(1, 9)),
    }


def builder(db: Database) -> DigestBuilder:
    return DigestBuilder(db, guild_names=NAMES.get)


async def test_people_are_counted_once_across_servers(db, guild, servers, clock):
    """Random reactions of 60 members present on all three servers: each cell equals the distinct members
    counted by hand over the union of every server's post of the draft; a member who tagged area 2 on
    two servers counts once; B's own R9, a deleted post and a server that left are handled."""
    rng = random.Random(16)
    emojis = [*AREA.values(), SUPPORT, OPPOSE, NEEDS_WORK, "🎉"]
    triples = {
        (post_id(g, rng.randint(1, 9)), rng.choice(emojis), rng.randint(1, 60))
        for _ in range(3000)
        for g in (guild, LINKED_A, LINKED_B)
    }
    triples |= {(post_id(guild, 1), AREA[2], 99), (post_id(LINKED_A, 1), AREA[2], 99)}  # on two servers
    await react(db, clock, *triples)
    await RecommendationRepository(db).mark_post_deleted(post_id(LINKED_A, 7), clock.now())
    assert await LinkRepository(db).end(LINKED_B, "left", 1, clock.now())  # its data so far still counts
    counted = {post_id(g, n): n for g in (guild, LINKED_A, LINKED_B) for n in range(1, 10)}
    del counted[post_id(LINKED_B, 9)], counted[post_id(LINKED_A, 7)]  # not a copy; deleted
    expected = reference(triples, counted)

    digest = await builder(db).build(guild, since=None, now=clock.now())
    for row in digest.area_tallies:
        cell = [row.members, row.support, row.oppose, row.needs_work]
        assert cell == expected.get((row.recommendation_number, row.area_number), [0, 0, 0, 0]), row
    for row in digest.stance_tallies:
        cell = [row.members, row.support, row.oppose, row.needs_work]
        assert cell == expected.get((row.recommendation_number, "all"), [0, 0, 0, 0]), row
    rows = read_csv(digest.files["tallies.csv"])
    assert tuple(rows[0]) == TALLY_HEADER  # the same columns as a single server's
    by_key = {(r["recommendation"], r["scoping_area"]): r for r in rows}
    assert int(by_key["1", "2"]["members"]) == expected[1, 2][0]
    assert int(by_key["3", "all"]["members"]) == expected[3, "all"][0]
    # Each server's own count, added up, counts the members of several servers more than once.
    separately = [reference(triples, {p: n for p, n in counted.items() if p // 1000 == k}) for k in (1, 3, 4)]
    assert sum(cells[1, 2][0] for cells in separately) > expected[1, 2][0] >= 1

    one = await builder(db).build(guild, since=None, now=clock.now(), recommendation_number=3)
    assert [(r.members, r.support) for r in one.stance_tallies] == [tuple(expected[3, "all"][:2])]


async def test_each_servers_rows_are_its_own_tally(db, guild, servers, clock):
    """tallies_by_server.csv: per server, exactly the rows of that server's own tallies.csv (its copies)."""
    rng = random.Random(7)
    emojis = [*AREA.values(), SUPPORT, OPPOSE, NEEDS_WORK]
    await react(db, clock, *{
        (post_id(g, rng.randint(1, 9)), rng.choice(emojis), rng.randint(1, 30))
        for _ in range(600) for g in (guild, LINKED_A, LINKED_B)
    })  # fmt: skip
    digest = await builder(db).build(guild, since=None, now=clock.now())
    assert tuple(digest.files) == SERVER_FILES
    rows = read_csv(digest.files["tallies_by_server.csv"])
    assert tuple(rows[0]) == (*TALLY_HEADER, "server")
    by_server: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_server[row.pop("server")].append(row)
    labels = {
        guild: f"({guild})",  # the bot's cache has no name for it here
        LINKED_A: f"'=Comunidad hispanohablante ({LINKED_A})",  # neutralised: a spreadsheet would run it
        LINKED_B: f"({LINKED_B})",
    }
    assert list(by_server) == list(labels.values())
    reference_tally = ReactionRepository(db)  # counts from the rows, server by server
    for guild_id, numbers in ((guild, range(1, 10)), (LINKED_A, range(1, 10)), (LINKED_B, range(1, 9))):
        cells = {
            (str(r.recommendation_number), str(r.area_number)): r
            for r in await reference_tally.area_tally(guild_id)
        }
        cells |= {
            (str(r.recommendation_number), "all"): r for r in await reference_tally.stance_tally(guild_id)
        }
        got = by_server[labels[guild_id]]
        assert {int(r["recommendation"]) for r in got} == set(numbers)
        for row in got:
            cell = cells[row["recommendation"], row["scoping_area"]]
            figures = [int(row[k]) for k in ("members", "support", "oppose", "needs_work")]
            assert figures == [cell.members, cell.support, cell.oppose, cell.needs_work], (guild_id, row)
        if guild_id != guild:  # a joined server's own digest: the same rows, word for word
            own = await DigestBuilder(db).build(guild_id, since=None, now=clock.now())
            own_rows = [r for r in read_csv(own.files["tallies.csv"]) if int(r["recommendation"]) in numbers]
            assert got == own_rows, guild_id


async def test_a_joined_servers_own_digest_is_its_own_share(db, guild, servers, clock):
    await react(
        db, clock, (post_id(guild, 1), AREA[1], 5), (post_id(LINKED_A, 1), AREA[1], 6),
        (post_id(LINKED_A, 1), SUPPORT, 6), (post_id(LINKED_B, 1), AREA[1], 7),
    )  # fmt: skip
    await add_feedback(db, guild, (await rec_ids(db, guild))[1], "Said at home", at=clock.now())
    await add_feedback(db, LINKED_A, servers[LINKED_A][1], "Said on A", at=clock.now())
    digest = await builder(db).build(LINKED_A, since=None, now=clock.now() + timedelta(minutes=1))
    assert tuple(digest.files) == FILE_NAMES and digest.servers == []
    assert digest.area_tallies == await ReactionRepository(db).area_tally(LINKED_A)
    r1 = next(row for row in digest.stance_tallies if row.recommendation_number == 1)
    assert (r1.members, r1.support) == (1, 1)
    rows = read_csv(digest.files["feedback.csv"])
    assert tuple(rows[0]) == FEEDBACK_HEADER and [r["body"] for r in rows] == ["Said on A"]
    assert b"Said at home" not in digest.files["digest.md"] and b"## Servers" not in digest.files["digest.md"]


async def test_feedback_names_its_server(db, guild, servers, clock):
    home_r1 = (await rec_ids(db, guild))[1]
    a_area = (await area_ids(db, LINKED_A))[2]
    start = clock.now()
    await add_feedback(db, guild, home_r1, "First, at home", author=501, at=start)
    await add_feedback(
        db,
        LINKED_A,
        servers[LINKED_A][1],
        "Second, on A",
        author=502,
        area=a_area,
        at=start + timedelta(minutes=1),
    )
    await add_feedback(
        db,
        LINKED_B,
        servers[LINKED_B][1],
        "Third, on B",
        author=503,
        anonymous=1,
        at=start + timedelta(minutes=2),
    )
    await add_feedback(db, guild, home_r1, "Fourth, at home", author=504, at=start + timedelta(minutes=3))
    b_own_r9 = {r.number: r.id for r in await RecommendationRepository(db).all(LINKED_B)}[9]
    await add_feedback(db, LINKED_B, b_own_r9, "On B's own draft", at=start)  # not a copy: not the home's
    digest = await builder(db).build(guild, since=None, now=start + timedelta(minutes=5))
    rows = read_csv(digest.files["feedback.csv"])
    assert tuple(rows[0]) == (*FEEDBACK_HEADER, "server")  # the server is the LAST column
    assert [(r["body"], r["recommendation"], r["server"]) for r in rows] == [
        ("First, at home", "1", f"({guild})"),
        ("Second, on A", "1", f"'=Comunidad hispanohablante ({LINKED_A})"),
        ("Third, on B", "1", f"({LINKED_B})"),
        ("Fourth, at home", "1", f"({guild})"),
    ]
    on_a = rows[1]
    assert (on_a["scoping_area"], on_a["author_id"]) == ("2", "\t502")
    assert on_a["scoping_area_name"] == read_csv(digest.files["tallies.csv"])[1]["scoping_area_name"]
    assert rows[2]["author_id"] == "" and b"503" not in digest.files["feedback.csv"]
    assert (digest.summaries[0].feedback, digest.feedback_in_period) == (4, 4)
    md = digest.files["digest.md"].decode()
    assert f"=Comunidad hispanohablante ({LINKED_A}) · member 502: Second, on A" in md
    assert f"({LINKED_B}) · anonymous: Third, on B" in md and "On B's own draft" not in md
    wiki = digest.files["digest.wiki"].decode()
    assert f"({guild}) · member 501:" in wiki


async def test_servers_section_health_and_the_communities_left_out(db, guild, servers, clock):
    links = LinkRepository(db)
    assert await links.end(LINKED_B, "removed", 1, clock.now())
    await links.set_health(LINKED_B, "bot_removed", None, clock.now())
    home_members = [(post_id(guild, 1), AREA[n], 10 + n) for n in range(1, 10)]
    on_a = [(post_id(LINKED_A, 1), AREA[1], 11), (post_id(LINKED_A, 2), AREA[2], 11)]
    await react(db, clock, *home_members, *on_a, (post_id(LINKED_A, 3), AREA[2], 40))
    digest = await builder(db).build(guild, since=None, now=clock.now())
    home, a, b = digest.servers
    assert (home.reactors, a.reactors, b.reactors) == (9, 2, 0)  # member 11 reacted on two drafts of A: once
    assert a.area_members == {1: 1, 2: 2, **{n: 0 for n in range(3, 10)}}
    assert b.server.label == f"({LINKED_B})" and b.server.status == "removed"
    md = digest.files["digest.md"].decode()
    assert "## Servers" in md and "This consultation spans 3 servers. 10 people reacted" in md
    assert (
        f"| ({LINKED_B}) | removed by the working group (its data so far is kept) · the bot was removed" in md
    )
    assert f"- ({LINKED_B}): no reactions or feedback yet." in md
    assert f"- =Comunidad hispanohablante ({LINKED_A}): no member tagged 3. " in md
    assert "| All servers (each person once) |  | 10 | 0 | 0 | 9 of 9 |" in md
    wiki = digest.files["digest.wiki"].decode()
    assert "=== Servers ===" in wiki and "Communities left out" in wiki
    assert digest.files["heatmap_servers.png"].startswith(b"\x89PNG\r\n\x1a\n")
    embed = digest_embed(digest, None)
    assert "Across 3 servers, each person counted once:" in (embed.description or "")
    assert "tallies_by_server.csv" in (embed.footer.text or "")


async def test_a_server_on_its_own_is_unchanged_by_another_consultation(db, guild, posts, clock):
    """Byte for byte the same digest before and after another home with a linked server exists."""
    await react(db, clock, (post_id(guild, 1), AREA[1], 5), (post_id(guild, 2), SUPPORT, 6))
    await add_feedback(db, guild, (await rec_ids(db, guild))[1], "Alone", at=clock.now())
    now = clock.now() + timedelta(minutes=1)
    before = await builder(db).build(guild, since=None, now=now)
    other_home = 444_444_444_444_444_444
    await GuildRepository(db).ensure(other_home, load_content(), clock.now())
    await link(db, clock, other_home, LINKED_A, range(1, 10))
    await react(db, clock, (post_id(LINKED_A, 1), AREA[1], 5))
    after = await builder(db).build(guild, since=None, now=now)
    assert tuple(after.files) == FILE_NAMES and after.servers == []
    assert after.files == before.files
