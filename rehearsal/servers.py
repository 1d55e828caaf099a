"""One consultation across servers in rehearsal: linking a server the way its administrator does
(``/consultation invite`` at home, ``/consultation join`` and Confirm there), and the home cross-tab
counted from the emulator's reaction lists of every server (Discord's ground truth, a person counted
once per cell) beside the same cross-tab from the bot's database."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from bot.data.links import LinkRepository
from bot.data.mirrors import MirrorRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import Post, RecommendationRepository
from rehearsal.world import TallyCells, World

JOIN_CODE = re.compile(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`")


async def add_bot(home: World, other: World) -> None:
    """``other`` was made while the bot runs: its administrator adds the bot (GUILD_CREATE), and the
    bot knows the server once it has it in its cache."""
    assert home.bot is not None
    bot = home.bot
    home.emu.add_bot(other.guild_id)
    await home.emu.wait_until(lambda: bot.get_guild(other.guild_id) is not None, timeout=10)
    other.bot = bot


async def invite(home: World, **options: int) -> str:
    """The home working group makes a join code; returns the code shown to it."""
    made = await home.command("wg", "consultation invite", **options)
    found = JOIN_CODE.search(made.content or "")
    if found is None:
        raise AssertionError(f"no join code in the answer: {made.content!r}")
    return found[1]


async def join(home: World, other: World, code: str, channel: str = "forum") -> str:
    """``other``'s administrator joins with ``code`` and confirms; returns once the home drafts are
    copied there (and published, when the home has published). Returns the confirmation's answer."""
    assert home.bot is not None
    asked = await other.command(
        "admin", "consultation join", code=code,
        channel=other.forum_id if channel == "forum" else other.text_id,
        working_group_role=other.roles["working_group"], moderator_role=other.roles["moderator"],
    )  # fmt: skip
    buttons = [c.get("custom_id") for row in (asked.components or []) for c in row.get("components", [])]
    if asked.message is None or "links:confirm" not in buttons:
        raise AssertionError(f"the join was refused: {asked.content!r}")
    copied = asyncio.ensure_future(
        home.bot.wait_for(
            "consultation_drafts_copied", check=lambda _, guild_id: guild_id == other.guild_id, timeout=60
        )
    )
    pressed = await home.emu.click_button(
        other.members["admin"], asked.channel_id, asked.message.id, "links:confirm"
    )
    await pressed.wait_for_followup(30)
    await copied
    return pressed.followups[-1].content or ""


async def posts_by_number(world: World) -> dict[int, Post]:
    """The server's live post of each of its drafts, by draft number."""
    repo = RecommendationRepository(world.db)
    found = {}
    for rec in await repo.all(world.guild_id):
        post = await repo.live_post_for(rec.id)
        if post is not None:
            found[rec.number] = post
    return found


async def discord_tally_across(home: World, servers: Sequence[World]) -> TallyCells:
    """The home cross-tab from the emulator: every server's post of a draft merged, people counted once."""
    assert home.bot is not None
    guilds = home.bot.guild_repository
    areas = await guilds.scoping_areas(home.guild_id)
    stance_emoji = {s.key: s.emoji for s in await guilds.stances(home.guild_id)}
    options = {area.emoji for area in areas} | set(stance_emoji.values())
    users = home.emu.state.users
    recommendations = RecommendationRepository(home.db)
    links = LinkRepository(home.db)
    lists: dict[int, dict[str, set[int]]] = {}
    for rec in await recommendations.all(home.guild_id):
        copies = [rec.id, *(copy for _, copy in await links.mirrors(rec.id))]
        merged = lists.setdefault(rec.number, {})
        for rec_id in copies:
            post = await recommendations.live_post_for(rec_id)
            if post is None:
                continue
            for emoji, members in home.emu.reactions(post.message_channel_id, post.message_id).items():
                if emoji in options:
                    merged.setdefault(emoji, set()).update(u for u in members if not users[u].bot)
    cells: TallyCells = {}
    for number, by_emoji in lists.items():
        stance = {key: by_emoji.get(emoji, set()) for key, emoji in stance_emoji.items()}
        for area in areas:
            tagged = by_emoji.get(area.emoji, set())
            cells[(number, area.number)] = (
                len(tagged),
                len(tagged & stance["support"]),
                len(tagged & stance["oppose"]),
                len(tagged & stance["needs_work"]),
            )
        everyone = set().union(*by_emoji.values()) if by_emoji else set()
        cells[(number, "all")] = (
            len(everyone), len(stance["support"]), len(stance["oppose"]), len(stance["needs_work"]),
        )  # fmt: skip
    return cells


async def offered_card(home: World, session_id: int, guild_id: int, timeout: float = 30) -> tuple[int, int]:
    """A linked server's card of a home session (channel id, message id), once its process posted it."""
    repo = OfficeHoursRepository(home.db)
    async with asyncio.timeout(timeout):
        while True:
            offer = await repo.offer(session_id, guild_id)
            if offer is not None and offer.card_channel_id and offer.card_message_id:
                return offer.card_channel_id, offer.card_message_id
            await asyncio.sleep(0.05)


def counted(cells: TallyCells) -> TallyCells:
    """The cells someone is counted in (the database keeps no row for a cell nobody is in)."""
    return {key: value for key, value in cells.items() if any(value)}


async def stored_tally_across(home: World) -> TallyCells:
    """The same cross-tab as the bot counts it for the home working group, after its writer flushed."""
    assert home.bot is not None
    await home.bot.services.tally.flush()
    guild_ids = await LinkRepository(home.db).consultation_guilds(home.guild_id)
    area_rows, stance_rows = await MirrorRepository(home.db).tallies(home.guild_id, guild_ids)
    cells: TallyCells = {
        (row.recommendation_number, row.area_number): (row.members, row.support, row.oppose, row.needs_work)
        for row in area_rows
    }
    for row in stance_rows:
        cells[(row.recommendation_number, "all")] = (row.members, row.support, row.oppose, row.needs_work)
    return cells
