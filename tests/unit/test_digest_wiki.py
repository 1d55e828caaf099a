"""digest.wiki: MediaWiki wikitext a wikitext parser reads as tables and headings, with the figures of
tallies.csv, and nothing a member wrote turned into markup."""

from __future__ import annotations

import random

import mwparserfromhell
from mwparserfromhell.nodes import Heading, Tag, Template, Wikilink

from bot.digest.builder import DigestBuilder
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

HOSTILE = "{{delete}} [[Main Page]] |} || ! <script>x</script> </nowiki> '''bold''' ~~~~ __NOTOC__\n== h =="


def tables(wiki: str) -> list[list[list[str]]]:
    """Every wikitable as rows of cell texts (header row first), read by mwparserfromhell."""
    found = []
    for node in mwparserfromhell.parse(wiki).filter_tags(recursive=False):
        if node.tag != "table":
            continue
        assert "wikitable sortable" in str(node.get("class").value)
        rows = []
        header = [
            c.contents.strip_code().strip()
            for c in node.contents.filter_tags(recursive=False)
            if c.tag == "th"
        ]
        assert header, "a header row"
        rows.append(header)
        for row in node.contents.filter_tags(recursive=False):
            if row.tag == "tr":
                rows.append(
                    [cell.contents.strip_code().strip() for cell in row.contents.filter_tags(recursive=False)]
                )
        found.append(rows)
    return found


def assert_same_figures(wiki: str, tallies: list[dict[str, str]]) -> None:
    """digest.wiki's summary table and each recommendation's area table hold tallies.csv's figures."""
    [summary, *area_tables] = tables(wiki)
    overall = {r["recommendation"]: r for r in tallies if r["scoping_area"] == "all"}
    assert len(summary) == 1 + 9
    for row in summary[1:]:
        number = row[0].split(" ")[0].lstrip("R")
        expected = overall[number]
        assert row[1:5] == [
            expected["members"],
            expected["support"],
            expected["oppose"],
            expected["needs_work"],
        ]
    tagged = [r for r in tallies if r["scoping_area"] != "all" and int(r["members"])]
    by_title = {}
    for r in tagged:
        by_title.setdefault(r["recommendation"], {})[r["scoping_area_name"]] = r
    assert len(area_tables) == len(by_title)
    for number, table in zip(sorted(by_title, key=int), area_tables, strict=True):
        shown = {row[0].split(" ", 1)[1]: row[1:] for row in table[1:]}
        expected = {
            name: [r["members"], r["support"], r["oppose"], r["needs_work"]]
            for name, r in by_title[number].items()
        }
        assert shown == expected, number


async def test_the_wiki_tables_carry_the_figures_of_tallies_csv(db, guild, posts, clock):
    rng = random.Random(3)
    emojis = [*AREA.values(), SUPPORT, OPPOSE, NEEDS_WORK]
    await react(
        db, clock, *{(1000 + rng.randint(1, 9), rng.choice(emojis), rng.randint(1, 40)) for _ in range(600)}
    )
    ids, areas = await rec_ids(db, guild), await area_ids(db, guild)
    await add_feedback(db, guild, ids[2], HOSTILE, at=clock.now(), area=areas[4], language="fr")
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now())
    wiki = digest.files["digest.wiki"].decode()
    tallies = read_csv(digest.files["tallies.csv"])

    parsed = mwparserfromhell.parse(wiki)
    assert not parsed.filter(forcetype=Template) and not parsed.filter(forcetype=Wikilink)
    assert {str(t.tag) for t in parsed.filter(forcetype=Tag)} <= {
        "table",
        "tr",
        "th",
        "td",
        "nowiki",
        "li",
        "dt",
        "dd",
        "i",
    }
    assert "<script>" not in wiki and "&lt;script&gt;" in wiki
    headings = [h.title.strip_code().strip() for h in parsed.filter(forcetype=Heading)]
    assert sum(1 for h in headings if h.startswith("R") and ". " in h) == 9
    assert "== h ==" not in [line.strip() for line in wiki.splitlines()], "a member's text made a heading"

    assert_same_figures(wiki, tallies)
    assert "Languages: fr (1)." in wiki
    assert "[[Main Page]]" in wiki and "{{delete}}" in wiki  # shown as written, inside <nowiki>


async def test_a_digest_without_reactions_still_parses(db, guild, posts, clock):
    digest = await DigestBuilder(db).build(guild, since=None, now=clock.now())
    wiki = digest.files["digest.wiki"].decode()
    [summary] = tables(wiki)
    assert [row[1] for row in summary[1:]] == ["0"] * 9
