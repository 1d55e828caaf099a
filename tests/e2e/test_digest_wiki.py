"""digest.wiki end to end: the digest the working group pulls through Discord parses as wikitext and its
tables carry the figures of tallies.csv (and of Discord's own reaction lists)."""

from __future__ import annotations

import csv
import io

import mwparserfromhell

from rehearsal.world import World, discord_tally
from tests.e2e.test_digest import pull_digest, react_at_random, tally_cells
from tests.unit.test_digest_wiki import assert_same_figures


async def test_the_pulled_digest_wiki_parses_with_the_figures_of_tallies_csv(world: World):
    await world.publish()
    await react_at_random(world, seed=8)
    _, followup = await pull_digest(world, since="all")
    files = dict(followup.files)
    wiki = files["digest.wiki"].decode()
    assert mwparserfromhell.parse(wiki).filter_headings()
    tallies = list(csv.DictReader(io.StringIO(files["tallies.csv"].decode("utf-8-sig"))))
    assert_same_figures(wiki, tallies)
    assert tally_cells(files["tallies.csv"]) == await discord_tally(world)
