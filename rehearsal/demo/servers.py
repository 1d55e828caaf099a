"""Demo step: two more communities join the consultation (a Spanish-speaking server on a text channel,
a German-speaking one on a forum), members of several servers react on each, and the home working group's
tally counts every person once, checked against Discord's reaction lists of all three servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.data.links import LinkRepository
from bot.data.recommendations import Post, RecommendationRepository
from rehearsal.servers import add_bot, counted, discord_tally_across, invite, join, stored_tally_across
from rehearsal.world import World

if TYPE_CHECKING:
    from rehearsal.demo.context import DemoContext

COMMUNITIES = (
    ("Comunidad Wikimedia en español", "es-ES", "text", "es"),
    ("Wikimedia-Community (deutschsprachig)", "de", "forum", "de"),
)


async def run(demo: DemoContext) -> None:
    demo.heading("One consultation across servers")
    home = demo.world
    code = await invite(home, uses=len(COMMUNITIES))
    demo.say(
        f"The working group ran /consultation invite: a code for {len(COMMUNITIES)} servers, shown once."
    )
    linked: list[World] = []
    for name, locale, channel, prefix in COMMUNITIES:
        members = {f"{prefix}{n:02d}": locale for n in range(1, 16)}
        world = await World.create(
            home.database_path, members=members, clock=demo.clock, guild_name=name, guild_locale=locale,
            emu=demo.emu,
        )  # fmt: skip
        await add_bot(home, world)
        answer = await join(home, world, code, channel)
        demo.say(f"{name}'s administrator ran /consultation join and confirmed: {answer}")
        linked.append(world)
    demo.facts["linked_servers"] = linked

    # Members of more than one server: some of the home's members are in the other communities too.
    shared = demo.rng.sample(demo.member_names, k=8)
    for world in linked:
        for name in shared:
            demo.emu.add_member(world.guild_id, demo.members[name])
            world.members[name] = demo.members[name]
    guilds = demo.bot.guild_repository
    areas = await guilds.scoping_areas(demo.guild_id)
    stances = await guilds.stances(demo.guild_id)
    reactions = 0
    for world in linked:
        posts = await _posts(world)
        people = [m for n, m in world.members.items() if n not in ("admin", "wg", "mod")]
        for member in people:
            for post in demo.rng.sample(posts, k=demo.rng.randint(1, 3)):
                for area in demo.rng.sample(areas, k=demo.rng.randint(1, 2)):
                    await demo.emu.react(member, post.message_channel_id, post.message_id, area.emoji)
                    reactions += 1
                stance = demo.rng.choices(stances, weights=(5, 2, 3))[0]
                await demo.emu.react(member, post.message_channel_id, post.message_id, stance.emoji)
                reactions += 1
        demo.say(f"  {len(people)} members of {world.emu.state.guilds[world.guild_id].name} reacted.")
    for world in (home, *linked):
        world.bot = demo.bot
        await world.settle()

    truth = counted(await discord_tally_across(home, [home, *linked]))
    stored = counted(await stored_tally_across(home))
    servers = await LinkRepository(demo.bot.db).consultation_guilds(demo.guild_id)
    demo.say(
        f"{reactions} reactions on the linked servers, {len(shared)} members on more than one server; "
        f"the home tally spans {len(servers)} servers."
    )
    if truth != stored:
        wrong = [key for key in truth.keys() | stored.keys() if truth.get(key) != stored.get(key)]
        demo.say(f"THE HOME TALLY DIFFERS from Discord in {len(wrong)} cells: {sorted(map(str, wrong))[:5]}")
        raise SystemExit(1)
    demo.say(
        f"home tally matches Discord across the three servers: {len(truth)} cells, each person counted once"
    )
    tally = await demo.command("wg", "consultation tally")
    embeds = tally.embeds or (tally.followups[-1].embeds if tally.followups else [])
    for field in embeds[0].get("fields", []) if embeds else []:
        if field["name"] == "Per server":
            demo.say("  /consultation tally, per server:")
            for line in field["value"].splitlines():
                demo.say(f"    {line}")


async def _posts(world: World) -> list[Post]:
    assert world.bot is not None
    return await RecommendationRepository(world.bot.db).live_posts(world.guild_id)
