"""The home digest over linked servers counts people exactly: many members, some on two or three servers,
against COUNT(DISTINCT user_id) over the reactions rows; every server's feedback figures read at once
against each server's own. Both backends (the ``db`` fixture)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from bot.data.database import Database
from bot.data.digest import DigestRepository
from bot.data.recommendations import RecommendationRepository
from bot.digest.servers import Servers
from tests.unit.test_digest import AREA, NEEDS_WORK, OPPOSE, SUPPORT, add_feedback, area_ids, react, rec_ids
from tests.unit.test_digest_servers import LINKED_A, LINKED_B, builder, link, post_id


@pytest.fixture
async def servers(db, guild, posts, clock) -> dict[int, dict[int, int]]:
    """As test_digest_servers': A copies R1-R9, B copies R1-R8 (its R9 is its own)."""
    return {
        LINKED_A: await link(db, clock, guild, LINKED_A, range(1, 10)),
        LINKED_B: await link(db, clock, guild, LINKED_B, range(1, 9)),
    }


# Every reaction on a live post of a home draft or a copy of one: (home draft number, server, member, emoji).
ROWS_SQL = (
    "SELECT h.number AS n, p.guild_id AS g, r.user_id AS u, r.emoji AS e FROM reactions r"
    " JOIN posts p ON p.message_id = r.message_id AND p.status = 'live'"
    " LEFT JOIN recommendation_mirrors m ON m.recommendation_id = p.recommendation_id"
    " JOIN recommendations h ON h.id = coalesce(m.home_recommendation_id, p.recommendation_id)"
    " AND h.guild_id = ?"
)


async def servers_of(db: Database, home: int) -> Servers:
    repo = DigestRepository(db)
    found = await Servers.read(
        [repo], home, await repo.recommendations(home), await repo.areas(home), None, "en"
    )
    assert found is not None
    return found


async def distinct_counts(db: Database, home: int) -> dict[str, dict[tuple[object, ...], int]]:
    """The figures as COUNT(DISTINCT user_id) over the reactions rows, each kind by its own statement."""
    area = " JOIN scoping_areas a ON a.guild_id = x.g AND a.emoji = x.e"
    queries = {
        "cell": f"SELECT x.n, a.number, COUNT(DISTINCT x.u) FROM x{area} GROUP BY x.n, a.number",
        "cell_stance": f"SELECT x.n, a.number, s.key, COUNT(DISTINCT x.u) FROM x{area}"
        " JOIN x y ON y.n = x.n AND y.u = x.u JOIN stances s ON s.guild_id = y.g AND s.emoji = y.e"
        " GROUP BY x.n, a.number, s.key",
        "draft": "SELECT x.n, COUNT(DISTINCT x.u) FROM x GROUP BY x.n",
        "draft_stance": "SELECT x.n, s.key, COUNT(DISTINCT x.u) FROM x"
        " JOIN stances s ON s.guild_id = x.g AND s.emoji = x.e GROUP BY x.n, s.key",
        "server": "SELECT x.g, COUNT(DISTINCT x.u) FROM x GROUP BY x.g",
        "server_area": f"SELECT x.g, a.number, COUNT(DISTINCT x.u) FROM x{area} GROUP BY x.g, a.number",
        "everyone": "SELECT 0, COUNT(DISTINCT x.u) FROM x",
        "area": f"SELECT a.number, COUNT(DISTINCT x.u) FROM x{area} GROUP BY a.number",
    }
    found = {}
    for kind, select in queries.items():
        rows = await db.fetchall(f"WITH x AS ({ROWS_SQL}) {select}", (home,))
        found[kind] = {tuple(row[:-1]): row[-1] for row in rows}
    return found


async def test_many_members_on_several_servers_equal_count_distinct(db, guild, servers, clock):
    """400 members with Discord-sized ids and 20 pseudonymised ones (negative) react at random, most on one
    server, others on two or all three, with other emoji too: every cell of the tally, each server's
    participation and everyone's equal COUNT(DISTINCT user_id) over the reactions rows."""
    rng = random.Random(1616)
    members = [rng.randrange(10**17, 2**63) for _ in range(400)] + [
        -rng.randrange(1, 2**63) for _ in range(20)
    ]
    emojis = [*AREA.values(), SUPPORT, OPPOSE, NEEDS_WORK, "🎉"]
    triples = set()
    for user in members:
        for g in rng.sample([guild, LINKED_A, LINKED_B], rng.choice([1, 1, 2, 3])):
            triples |= {
                (post_id(g, rng.randint(1, 9)), rng.choice(emojis), user) for _ in range(rng.randint(1, 8))
            }
    await react(db, clock, *triples)
    await RecommendationRepository(db).mark_post_deleted(post_id(LINKED_A, 7), clock.now())
    expected = await distinct_counts(db, guild)
    assert max(expected["server"].values()) < expected["everyone"][0,] < sum(expected["server"].values())

    digest = await builder(db).build(guild, since=None, now=clock.now())
    stances = ("support", "oppose", "needs_work")
    for row in digest.area_tallies:
        key = (row.recommendation_number, row.area_number)
        want = [expected["cell"].get(key, 0)] + [expected["cell_stance"].get((*key, s), 0) for s in stances]
        assert [row.members, row.support, row.oppose, row.needs_work] == want, row
    for row in digest.stance_tallies:
        n = row.recommendation_number
        want = [expected["draft"].get((n,), 0)] + [expected["draft_stance"].get((n, s), 0) for s in stances]
        assert [row.members, row.support, row.oppose, row.needs_work] == want, row
    assert sum(row.members for row in digest.area_tallies) == sum(expected["cell"].values()) > 0
    for figures in digest.servers:
        g = figures.server.guild_id
        assert figures.reactors == expected["server"][g,]
        assert figures.area_members == {n: expected["server_area"].get((g, n), 0) for n in AREA}
    linked = await servers_of(db, guild)
    everyone = await linked.participation()
    assert everyone.people == expected["everyone"][0,]
    assert everyone.area_people == {n: expected["area"].get((n,), 0) for n in AREA}


async def test_feedback_figures_of_every_server_in_one_read(db, guild, servers, clock):
    """Read for all servers at once, the figures are each server's own (as its own digest counts them) on
    the home drafts: answered ones, areas by number, the period, a hidden item and B's own draft apart."""
    start = clock.now()
    home_rec, a_areas = (await rec_ids(db, guild))[2], await area_ids(db, LINKED_A)
    b_own_r9 = {r.number: r.id for r in await RecommendationRepository(db).all(LINKED_B)}[9]
    a_r1, a_r2, b_r2 = servers[LINKED_A][1], servers[LINKED_A][2], servers[LINKED_B][2]
    for i, (g, rec, area) in enumerate([
        (guild, home_rec, None), (LINKED_A, a_r2, a_areas[3]), (LINKED_A, a_r2, a_areas[3]),
        (LINKED_B, b_r2, None), (LINKED_B, b_own_r9, None), (LINKED_A, a_r1, a_areas[1]),
    ]):  # fmt: skip
        await add_feedback(db, g, rec, f"item {i}", at=start + timedelta(days=i), area=area, responses=i % 2)
    await add_feedback(db, LINKED_A, a_r2, "hidden", at=start, area=a_areas[3], hidden=1)
    repo, linked = DigestRepository(db), await servers_of(db, guild)
    since = start + timedelta(hours=12)
    expected: dict[tuple[int, int | None, str | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for server in linked.servers:
        home_of = {copy_id: home_id for home_id, copy_id in server.copies.items()}
        for f in await repo.feedback_figures(server.guild_id, since):
            if f.recommendation_id in home_of:
                total = expected[home_of[f.recommendation_id], f.area_number, f.language]
                for i, value in enumerate((f.in_period, f.total, f.answered_in_period, f.answered)):
                    total[i] += value
    got = {
        (f.recommendation_id, f.area_number, f.language): [
            f.in_period,
            f.total,
            f.answered_in_period,
            f.answered,
        ]
        for f in await linked.feedback_figures(since)
    }
    assert got == expected
    assert (got[home_rec, 3, "en"], got[home_rec, None, "en"]) == ([2, 2, 1, 1], [1, 2, 1, 1])
