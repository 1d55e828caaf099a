"""Digests: the fast cross-tab against the reference tally, feedback privacy, the digest log, the files."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import timedelta

import pytest

from bot.clock import to_db
from bot.data.digest import DigestRepository
from bot.data.guilds import GuildRepository
from bot.data.reactions import ReactionChange, ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.digest.builder import FEEDBACK_HEADER, FILE_NAMES, TALLY_HEADER, DigestBuilder
from bot.digest.service import DigestService
from bot.errors import UserError

SUPPORT, OPPOSE, NEEDS_WORK = "👍", "👎", "🛠️"
AREA = {n: f"{n}\ufe0f\u20e3" for n in range(1, 10)}
OTHER_GUILD = 222_222_222_222_222_222


async def react(db, clock, *triples):
    await ReactionRepository(db).apply([ReactionChange(True, *t) for t in triples], clock.now())


async def rec_ids(db, guild) -> dict[int, int]:
    return {rec.number: rec.id for rec in await RecommendationRepository(db).all(guild)}


async def area_ids(db, guild) -> dict[int, int]:
    return {area.number: area.id for area in await GuildRepository(db).scoping_areas(guild)}


async def add_feedback(
    db, guild, rec_id, body, *, at, author=7, area=None, anonymous=0, hidden=0, status="active",
    language="en", responses=0,
):  # fmt: skip
    """A feedback row as the feedback capability stores it (its tables, schema 0001)."""
    feedback_id = await db.execute(
        "INSERT INTO feedback (guild_id, recommendation_id, version, scoping_area_id, author_id, anonymous,"
        " source, body, language, status, hidden, created_at, updated_at)"
        " VALUES (?, ?, 1, ?, ?, ?, 'form', ?, ?, ?, ?, ?, ?)",
        (guild, rec_id, area, author, anonymous, body, language, status, hidden, to_db(at), to_db(at)),
    )
    for _ in range(responses):
        await db.execute(
            "INSERT INTO feedback_responses (feedback_id, responder_id, body, created_at)"
            " VALUES (?, 9, 'ok', ?)",
            (feedback_id, to_db(at)),
        )
    return feedback_id


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# -- the cross-tab --------------------------------------------------------------------------------


async def test_cross_tab_equals_the_reference_tally(db, guild, posts, clock):
    """Random reactions, a deleted post, a foreign emoji and another guild: equal to area/stance_tally."""
    rng = random.Random(11)
    emojis = [*AREA.values(), SUPPORT, OPPOSE, NEEDS_WORK, "🎉"]
    triples = {(1000 + rng.randint(1, 9), rng.choice(emojis), rng.randint(1, 80)) for _ in range(4000)}
    await react(db, clock, *triples)
    await RecommendationRepository(db).mark_post_deleted(1007, clock.now())  # R7 loses its post
    reference = ReactionRepository(db)
    repo = DigestRepository(db)
    areas, stances = await repo.tallies(guild)
    assert areas == await reference.area_tally(guild)
    assert stances == await reference.stance_tally(guild)
    assert all(row.members == 0 for row in stances if row.recommendation_number == 7)
    assert sum(row.members for row in stances) > 0
    ids = await rec_ids(db, guild)
    one_areas, one_stances = await repo.tallies(guild, ids[3])
    assert one_areas == await reference.area_tally(guild, ids[3])
    assert one_stances == await reference.stance_tally(guild, ids[3])
    members = await repo.area_members(guild)
    assert {(r.recommendation_id, r.area_number): r.members for r in areas if r.members} == members


async def test_cross_tab_by_hand(db, guild, posts, clock):
    """Two members on R1: the figures a working group would count themselves."""
    await react(
        db, clock,
        (1001, AREA[2], 1), (1001, SUPPORT, 1), (1001, NEEDS_WORK, 1),
        (1001, AREA[2], 2), (1001, AREA[5], 2), (1001, OPPOSE, 2),
        (1001, SUPPORT, 3),
    )  # fmt: skip
    areas, stances = await DigestRepository(db).tallies(guild)
    cells = {(r.recommendation_number, r.area_number): r for r in areas}
    assert (cells[1, 2].members, cells[1, 2].support, cells[1, 2].oppose, cells[1, 2].needs_work) == (
        2,
        1,
        1,
        1,
    )
    assert (cells[1, 5].members, cells[1, 5].support, cells[1, 5].oppose) == (1, 0, 1)
    assert cells[1, 1].members == 0 and cells[2, 2].members == 0
    r1 = stances[0]
    assert (r1.members, r1.support, r1.oppose, r1.needs_work) == (3, 2, 1, 1)


async def test_tally_of_a_guild_without_posts(db, guild):
    areas, stances = await DigestRepository(db).tallies(guild)
    assert len(areas) == 81 and all(row.members == 0 for row in areas)
    assert [row.members for row in stances] == [0] * 9


# -- the files -----------------------------------------------------------------------------------


async def test_five_files_and_the_tallies_csv(db, guild, posts, clock):
    await react(db, clock, (1001, AREA[1], 1), (1001, SUPPORT, 1), (1002, AREA[9], 2), (1002, OPPOSE, 2))
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now())
    assert tuple(digest.files) == FILE_NAMES
    assert digest.files["heatmap.png"].startswith(b"\x89PNG\r\n\x1a\n")
    rows = read_csv(digest.files["tallies.csv"])
    assert tuple(rows[0]) == TALLY_HEADER
    assert len(rows) == 9 * 9 + 9
    by_key = {(r["recommendation"], r["scoping_area"]): r for r in rows}
    assert by_key["1", "1"]["members"] == "1" and by_key["1", "1"]["support"] == "1"
    assert by_key["2", "9"]["oppose"] == "1"
    assert by_key["1", "all"]["members"] == "1" and by_key["2", "all"]["oppose"] == "1"
    assert by_key["1", "1"]["scoping_area_name"] == "Structures for resource allocation"
    reference = await ReactionRepository(db).area_tally(guild)
    for row in reference:
        cell = by_key[str(row.recommendation_number), str(row.area_number)]
        assert [int(cell[k]) for k in ("members", "support", "oppose", "needs_work")] == [
            row.members, row.support, row.oppose, row.needs_work,
        ]  # fmt: skip
    md = digest.files["digest.md"].decode()
    assert "Coverage gaps" in md and "first digest" in md


async def test_anonymous_and_hidden_feedback(db, guild, posts, clock):
    ids, areas = await rec_ids(db, guild), await area_ids(db, guild)
    now = clock.now()
    await add_feedback(db, guild, ids[1], "Named feedback", author=5551, area=areas[2], at=now, responses=1)
    await add_feedback(
        db, guild, ids[1], "Anonymous feedback", author=7777777, anonymous=1, area=areas[2], at=now
    )
    await add_feedback(db, guild, ids[1], "Hidden spam body", author=8888888, hidden=1, at=now)
    await add_feedback(db, guild, ids[1], "Withdrawn body", author=9999999, status="withdrawn", at=now)
    digest = await DigestBuilder(db).build(guild, since=None, now=now + timedelta(minutes=1))
    everything = b"".join(
        digest.files[name] for name in ("digest.md", "feedback.csv", "tallies.csv", "signups.csv")
    )
    assert b"7777777" not in everything, "an anonymous author leaked"
    for gone in (b"Hidden spam body", b"8888888", b"Withdrawn body", b"9999999"):
        assert gone not in everything
    rows = read_csv(digest.files["feedback.csv"])
    assert tuple(rows[0]) == FEEDBACK_HEADER
    by_body = {r["body"]: r for r in rows}
    assert set(by_body) == {"Named feedback", "Anonymous feedback"}
    assert (
        by_body["Anonymous feedback"]["author_id"] == ""
        and by_body["Anonymous feedback"]["anonymous"] == "yes"
    )
    named = by_body["Named feedback"]
    assert (named["author_id"], named["author_name"], named["answered"]) == ("\t5551", "", "yes")
    assert by_body["Anonymous feedback"]["author_name"] == ""
    md = digest.files["digest.md"].decode()
    assert "anonymous: Anonymous feedback" in md and "member 5551" in md
    assert "2 items: 1 answered, 1 unanswered." in md
    summary = digest.summaries[0]
    assert (summary.feedback, summary.unanswered) == (2, 1)


async def test_csv_neutralises_formulas_and_keeps_every_script(db, guild, posts, clock):
    ids = await rec_ids(db, guild)
    now = clock.now()
    bodies = {
        '=HYPERLINK("http://evil.invalid","x")': '\'=HYPERLINK("http://evil.invalid","x")',
        "+1 from me": "'+1 from me",
        "-2+3": "'-2+3",
        "@SUM(A1)": "'@SUM(A1)",
        "\tTabbed": "'\tTabbed",
        "يجب أن تكون العملية أكثر شفافية": "يجب أن تكون العملية أكثر شفافية",
        "资源分配应当考虑新兴社区": "资源分配应当考虑新兴社区",
        "संसाधन आवंटन में भागीदारी": "संसाधन आवंटन में भागीदारी",
        "Great idea 👍🏽🎉 👨‍👩‍👧": "Great idea 👍🏽🎉 👨‍👩‍👧",
    }
    for body in bodies:
        await add_feedback(db, guild, ids[2], body, language="x", at=now)
    digest = await DigestBuilder(db).build(guild, since=None, now=now + timedelta(minutes=1))
    rows = read_csv(digest.files["feedback.csv"])
    assert sorted(r["body"] for r in rows) == sorted(bodies.values())
    md = digest.files["digest.md"].decode("utf-8")
    for body in list(bodies)[5:]:
        assert body in md


async def test_titles_in_other_scripts(db, guild, posts, clock):
    """A draft retitled in Arabic, with a formula-like title: md intact, CSV intact and neutralised."""
    ids = await rec_ids(db, guild)
    recommendations = RecommendationRepository(db)
    await recommendations.revise(ids[4], "توزيع الموارد — 资源 — संसाधन 🌍", "", 1, clock.now())
    await recommendations.revise(ids[5], "=cmd|' /C calc'!A0", "", 1, clock.now())
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now())
    rows = read_csv(digest.files["tallies.csv"])
    titles = {r["recommendation"]: r["recommendation_title"] for r in rows}
    assert titles["4"] == "توزيع الموارد — 资源 — संसाधन 🌍"
    assert titles["5"] == "'=cmd|' /C calc'!A0"
    md = digest.files["digest.md"].decode()
    assert "## R4. توزيع الموارد — 资源 — संसाधन 🌍" in md
    assert "v2" in md  # the version history shows the revision


async def test_period_and_one_recommendation(db, guild, posts, clock):
    ids = await rec_ids(db, guild)
    start = clock.now()
    await add_feedback(db, guild, ids[1], "old", at=start - timedelta(days=10))
    await add_feedback(db, guild, ids[1], "new", at=start)
    await add_feedback(db, guild, ids[2], "other draft", at=start)
    builder = DigestBuilder(db)
    digest = await builder.build(guild, since=start - timedelta(days=1), now=start, recommendation_number=1)
    assert [s.number for s in digest.summaries] == [1]
    assert [r["body"] for r in read_csv(digest.files["feedback.csv"])] == ["new"]
    assert digest.figures["recommendations"]["1"]["feedback"] == 2  # all-time figure kept for "what changed"
    with pytest.raises(UserError) as refused:
        await builder.build(guild, since=None, now=start, recommendation_number=42)
    assert refused.value.key == "digest.unknown_recommendation"


async def test_markdown_keeps_the_latest_items_per_area(db, guild, posts, clock):
    ids = await rec_ids(db, guild)
    for n in range(25):
        await add_feedback(db, guild, ids[3], f"item number {n:02d}", at=clock.now() + timedelta(minutes=n))
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now() + timedelta(hours=1))
    md = digest.files["digest.md"].decode()
    assert "item number 24" in md and "item number 15" in md and "item number 14" not in md
    assert "the latest 10 of 25 are shown" in md
    assert len(read_csv(digest.files["feedback.csv"])) == 25


# -- the digest log ------------------------------------------------------------------------------


async def test_since_the_last_digest_and_what_changed(db, guild, posts, clock):
    service = DigestService(db, clock)
    ids = await rec_ids(db, guild)
    await react(db, clock, (1001, SUPPORT, 1), (1001, AREA[3], 1))
    await add_feedback(db, guild, ids[1], "before", at=clock.now())
    first = await service.manual(guild, since=None, request_id=1)
    assert first.since is None and first.previous is None
    clock.advance(days=2)
    await react(db, clock, (1001, SUPPORT, 2), (1001, AREA[4], 2), (1001, OPPOSE, 3))
    await add_feedback(db, guild, ids[1], "after", at=clock.now())
    await RecommendationRepository(db).revise(ids[1], "R1 retitled", "", 1, clock.now())
    clock.advance(minutes=5)
    second = await service.manual(guild, since="last", request_id=2)
    assert second.since == first.until and second.previous is not None
    assert [r["body"] for r in read_csv(second.files["feedback.csv"])] == ["after"]
    change = second.summaries[0].changes
    assert change is not None
    assert (change.members, change.support, change.oppose, change.feedback) == (2, 1, 1, 1)
    assert change.new_version == 2 and change.newly_tagged == (4,)
    md = second.files["digest.md"].decode()
    assert "New version since then: v2." in md and "Newly tagged areas: 4️⃣" in md
    third = await service.manual(guild, since="2026-01-01", request_id=3)
    assert third.since is not None and third.since.day == 1
    assert len(await service.repository.digests(guild, "manual")) == 3


async def test_weekly_digest_once_per_period(db, guild, posts, clock):
    await GuildRepository(db).update(
        guild, clock.now(), digest_channel_id=555, digest_weekday=2, digest_hour=18
    )
    service = DigestService(db, clock)
    # The guild was set up on Monday 5 January 09:00: the first slot is Wednesday 7 January 18:00.
    assert await service.due_weekly() == []
    clock.set(clock.now().replace(day=7, hour=17, minute=59))
    assert await service.due_weekly() == []
    clock.set(clock.now().replace(hour=18, minute=0))
    [due] = await service.due_weekly()
    assert due.period_key == "2026-W02"
    digest = await service.weekly(due)
    assert digest is not None and digest.since == due.slot - timedelta(days=7)
    assert await service.due_weekly() == []
    assert await service.weekly(due) is None  # a second claim of the same period is refused
    assert await service.sent_weekly(due)  # posted
    clock.advance(days=6)
    assert await service.due_weekly() == []
    clock.advance(days=1)
    [due] = await service.due_weekly()
    assert due.period_key == "2026-W03"
    second = await service.weekly(due)
    assert second is not None and second.since == digest.until and second.previous is not None


async def test_other_guilds_stay_out(db, guild, posts, clock):
    from bot.content import load_content

    await GuildRepository(db).ensure(OTHER_GUILD, load_content(), clock.now())
    other = {rec.number: rec.id for rec in await RecommendationRepository(db).all(OTHER_GUILD)}
    await add_feedback(db, OTHER_GUILD, other[1], "other guild's secret", at=clock.now())
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now())
    assert b"other guild's secret" not in b"".join(digest.files.values())
    with pytest.raises(UserError):
        await DigestBuilder(db).build(333, since=None, now=clock.now())


async def test_embed_stays_within_discord_limits(db, guild, clock):
    """50 drafts with 256-character titles: the summary embed keeps under 6000 characters, 25 fields."""
    from dataclasses import replace

    from bot.content import RecommendationSpec, load_content
    from cogs.digest import digest_embed

    content = load_content()
    many = tuple(RecommendationSpec(n, f"{n} " + "long title " * 23, "") for n in range(1, 51))
    await GuildRepository(db).load_content(guild, replace(content, recommendations=many), clock.now())
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now())
    embed = digest_embed(digest, "en-US")
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert "more recommendations" in embed.fields[-1].value
    assert len(digest.summaries) == 50


async def test_a_digest_of_one_recommendation_does_not_cut_the_next_full_one(db, guild, posts, clock):
    service = DigestService(db, clock)
    ids = await rec_ids(db, guild)
    full = await service.manual(guild, since=None, request_id=1)
    clock.advance(days=1)
    await add_feedback(db, guild, ids[1], "on R1 after the full digest", at=clock.now())
    await react(db, clock, (1001, SUPPORT, 4))
    clock.advance(days=1)
    only_r3 = await service.manual(guild, since="last", recommendation_number=3, request_id=2)
    assert only_r3.since == full.until and [s.number for s in only_r3.summaries] == [3]
    clock.advance(days=1)
    again = await service.manual(guild, since="last", request_id=3)
    assert again.since == full.until, "the R3-only digest must not be the start of a full one"
    assert [r["body"] for r in read_csv(again.files["feedback.csv"])] == ["on R1 after the full digest"]
    r1 = again.summaries[0].changes
    assert r1 is not None and r1.support == 1 and r1.feedback == 1 and r1.since == full.until
    r3 = again.summaries[2].changes
    assert r3 is not None and r3.since == only_r3.until  # compared with the newest digest covering R3
    md = again.files["digest.md"].decode()
    assert f"Since the digest of {full.until:%Y-%m-%d %H:%M} UTC: members +1" in md


@pytest.mark.sqlite_only  # SQLite's plans (EXPLAIN QUERY PLAN); PostgreSQL's planner picks by its statistics
async def test_heavy_statements_use_their_indexes(db, guild):
    """No table scans: the cross-tab reads the kept counts by post, feedback its partial indexes."""
    plans = await DigestRepository(db).query_plans(guild)
    assert "SEARCH c USING INDEX sqlite_autoindex_reaction_pairs_1 (message_id=?)" in plans["cross_tab"]
    assert "COVERING INDEX feedback_digest_figures" in plans["feedback_counts"]
    assert (
        "INDEX feedback_digest (guild_id=? AND recommendation_id=? AND created_at>?)"
        in plans["feedback_listing"]
    )
    assert "TEMP B-TREE" not in plans["feedback_listing"]  # read in the index's order, not sorted
    for name, plan in plans.items():
        assert not re.search(r"SCAN (f|x|feedback|reactions)\b", plan), (name, plan)


async def test_a_draft_added_later_does_not_reset_since_the_last_digest(db, guild, posts, clock):
    from dataclasses import replace

    from bot.content import RecommendationSpec, load_content

    service = DigestService(db, clock)
    first = await service.manual(guild, since=None, request_id=1)
    clock.advance(days=1)
    content = load_content()
    more = (*content.recommendations, RecommendationSpec(10, "A tenth draft", ""))
    await GuildRepository(db).load_content(guild, replace(content, recommendations=more), clock.now())
    second = await service.manual(guild, since="last", request_id=2)
    assert second.since == first.until
    assert second.summaries[-1].number == 10 and second.summaries[-1].changes is None
    assert "No earlier digest covered this recommendation." in second.files["digest.md"].decode()
