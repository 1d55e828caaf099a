"""Issue 16's whole story in one run, the way Discord drives it: three servers (the home on a forum, a
Portuguese-speaking forum server, a Spanish-speaking text-channel server), one bot. The working group
invites, administrators join (a wrong code and a non-administrator refused), the drafts are published on
all three, members react on all three (one of them on two servers), an edit at home reaches every post,
20 seats meet 200 clicks spread over the three cards, the home closes the consultation everywhere, and
the home's tally and digest equal Discord's distinct reactors per cell, each server's share its own."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import re
from collections.abc import AsyncIterator

import pytest

from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from bot.i18n import t
from rehearsal.emulator import InteractionResult
from rehearsal.servers import (
    counted,
    discord_tally_across,
    invite,
    join,
    offered_card,
    posts_by_number,
    stored_tally_across,
)
from rehearsal.world import TallyCells, World, database_tally, discord_tally

SEATS, CLICKS = 20, 200


@pytest.fixture
async def servers(tmp_path, database_url) -> AsyncIterator[tuple[World, World, World]]:
    path = tmp_path / "across.sqlite3"
    home = await World.create(path, database_url=database_url, guild_name="Movement Strategy")
    forum = await World.create(
        path, database_url=database_url, emu=home.emu, clock=home.clock, guild_name="Wikimedia Brasil",
        guild_locale="pt-BR",
    )  # fmt: skip
    text = await World.create(
        path, database_url=database_url, emu=home.emu, clock=home.clock, guild_name="Wikimedia España",
        guild_locale="es-ES",
    )  # fmt: skip
    try:
        await home.start_bot()
        forum.bot = text.bot = home.bot
        set_up = await home.setup_consultation("forum")
        assert set_up.ephemeral, set_up.content
        yield home, forum, text
    finally:
        forum.bot = text.bot = None
        await home.close()


def answer(result: InteractionResult) -> str:
    return (result.followups[-1].content if result.deferred else result.content) or ""


async def test_one_consultation_across_three_servers(servers):
    home, forum, text = servers
    worlds = (home, forum, text)

    # Linking: a wrong code and a non-administrator are refused; the two administrators join.
    code = await invite(home, uses=2)
    wrong = await text.command("admin", "consultation join", code="WRNG-CODE-2345", channel=text.text_id)
    assert wrong.ephemeral and answer(wrong) == t("links.join.unknown_code", "en-US")
    not_admin = await text.command("wg", "consultation join", code=code, channel=text.text_id)
    assert not_admin.ephemeral and "links:confirm" not in str(not_admin.components)
    assert "Movement Strategy" in await join(home, forum, code, "forum")
    assert "Movement Strategy" in await join(home, text, code, "text")

    # Published at home: the same drafts on all three, each in its own channel.
    published = await home.publish()
    assert "Wikimedia Brasil" in answer(published) and "Wikimedia España" in answer(published)
    posts = {world.guild_id: await posts_by_number(world) for world in worlds}
    drafts = len(await RecommendationRepository(home.db).all(home.guild_id))
    assert [len(p) for p in posts.values()] == [drafts] * 3
    assert {p.channel_id for p in posts[text.guild_id].values()} == {text.text_id}
    assert {p.channel_id for p in posts[forum.guild_id].values()} == {forum.forum_id}

    # Reactions on all three servers; alice is a member of the home and of the forum server.
    alice = home.members["alice"]
    home.emu.add_member(forum.guild_id, alice)
    areas = await home.bot.guild_repository.scoping_areas(home.guild_id)
    stances = await home.bot.guild_repository.stances(home.guild_id)
    options = [a.emoji for a in areas[:5]] + [s.emoji for s in stances]
    rng = random.Random(1916)
    for world in worlds:
        people = [m for n, m in world.members.items() if n not in ("admin", "wg", "mod")]
        if world is forum:
            people.append(alice)
        for _ in range(150):
            post = posts[world.guild_id][rng.randint(1, 4)]
            await home.emu.react(
                rng.choice(people), post.message_channel_id, post.message_id, rng.choice(options)
            )
    for number in (1, 2):  # alice on both of her servers, on the same drafts
        for world in (home, forum):
            post = posts[world.guild_id][number]
            await home.emu.react(alice, post.message_channel_id, post.message_id, areas[0].emoji)
    for world in worlds:
        await world.settle()

    # An edit at home reaches every server's post.
    opened = await home.command("wg", "consultation edit", recommendation=3)
    assert opened.modal is not None
    title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
    edited = await home.emu.submit_modal(
        home.members["wg"], opened, {title_id: "Shared title", text_id: "New."}
    )
    await edited.wait(10)
    await edited.wait_for_followup(30)
    for world in worlds:
        message = home.emu.message(posts[world.guild_id][3].message_id)
        assert message.embeds[0]["title"] == "R3. Shared title"

    # Office hours: one pool of 20 seats, 200 clicks spread over the three servers' cards.
    session = await home.schedule_office_hours("Across servers", capacity=SEATS, channel=home.voice_id)
    repo = OfficeHoursRepository(home.db)
    cards = {home.guild_id: (session.card_channel_id, session.card_message_id)}
    for world in (forum, text):
        cards[world.guild_id] = await offered_card(home, session.id, world.guild_id)
    clickers = [
        (home.emu.create_member(worlds[n % 3].guild_id, f"attendee{n:03d}").id, worlds[n % 3].guild_id)
        for n in range(CLICKS)
    ]
    clicks = [
        await home.emu.click_button(user, *cards[guild_id], f"officehours:signup:{session.id}")
        for user, guild_id in clickers
    ]
    answers = await asyncio.gather(*(click.wait(30) for click in clicks))
    assert all(a.ephemeral and a.answered_within_deadline for a in answers)
    signed = await repo.signups(session.id)
    assert [s.user_id for s in signed] == [user for user, _ in clickers]  # one waitlist, click order
    assert [s.status for s in signed] == ["confirmed"] * SEATS + ["waitlisted"] * (CLICKS - SEATS)

    # Closing at home closes everywhere.
    followed = [
        home.bot.wait_for("consultation_phase_follow_done", check=lambda g, _, w=w: g == w, timeout=60)
        for w in (forum.guild_id, text.guild_id)
    ]
    closed = await home.command("mod", "mod phase", state="closed", timeout=30)
    assert closed.ephemeral
    await asyncio.gather(*followed)
    for world in worlds:
        settings = await home.bot.guild_repository.get(world.guild_id)
        assert settings is not None and settings.phase == "closed"

    # The home's tally: Discord's distinct reactors per cell across the servers; each server its own.
    across = counted(await discord_tally_across(home, worlds))
    assert counted(await stored_tally_across(home)) == across
    own = {world.guild_id: await discord_tally(world) for world in worlds}
    for world in worlds:
        assert await database_tally(world) == own[world.guild_id]
    cell = (1, areas[0].number)  # alice tagged it on two servers: one person in the home's count
    assert across[cell][0] == sum(own[w.guild_id][cell][0] for w in worlds) - 1

    # The home digest's files say the same: tallies.csv across the servers, tallies_by_server.csv each.
    pulled = await home.command("wg", "digest", since="all", timeout=30)
    files = dict((await pulled.wait_for_followup(60)).files)
    assert csv_cells(files["tallies.csv"]) == across
    by_server: dict[int, TallyCells] = {}
    for row in csv.DictReader(io.StringIO(files["tallies_by_server.csv"].decode("utf-8-sig"))):
        server = int(re.search(r"\((\d+)\)\s*$", row["server"])[1])
        by_server.setdefault(server, {}).update(csv_cells_of([row]))
    assert by_server == {w.guild_id: counted(own[w.guild_id]) for w in worlds}


def csv_cells(data: bytes) -> TallyCells:
    return csv_cells_of(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def csv_cells_of(rows) -> TallyCells:
    """tallies.csv rows as tally cells: (draft, area number or "all") -> members, 👍, 👎, 🛠️."""
    cells: TallyCells = {}
    for row in rows:
        area = row["scoping_area"]
        key = (int(row["recommendation"]), int(area) if area.isdigit() else "all")
        value = tuple(int(row[c]) for c in ("members", "support", "oppose", "needs_work"))
        if any(value):
            cells[key] = value
    return cells
