"""Demo step: the working group publishes the drafts, members react, the tally is checked against Discord."""

from __future__ import annotations

from bot.data.recommendations import RecommendationRepository
from rehearsal.demo.context import DemoContext
from rehearsal.world import database_tally, discord_tally


async def run(demo: DemoContext) -> None:
    demo.heading("Recommendations: publish and react")
    result = await demo.world.publish()
    demo.say(f"Working group ran /consultation publish: {result.followups[-1].content}")
    again = await demo.world.publish()
    demo.say(f"...and once more: {again.followups[-1].content}")

    guilds = demo.bot.guild_repository
    areas = await guilds.scoping_areas(demo.guild_id)
    stances = await guilds.stances(demo.guild_id)
    recommendations = RecommendationRepository(demo.bot.db)
    posts = await recommendations.live_posts(demo.guild_id)
    demo.facts["posts"] = posts
    reactions = 0
    for name in demo.member_names:
        member = demo.members[name]
        for post in demo.rng.sample(posts, k=demo.rng.randint(1, 5)):
            channel = post.message_channel_id
            for area in demo.rng.sample(areas, k=demo.rng.randint(1, 3)):
                await demo.emu.react(member, channel, post.message_id, area.emoji)
                reactions += 1
            stance = demo.rng.choices(stances, weights=(5, 2, 3))[0]
            await demo.emu.react(member, channel, post.message_id, stance.emoji)
            reactions += 1
    changed_minds = 0
    for name in demo.rng.sample(demo.member_names, k=len(demo.member_names) // 6):
        post = demo.rng.choice(posts)
        for stance in stances:
            if await demo.emu.unreact(
                demo.members[name], post.message_channel_id, post.message_id, stance.emoji
            ):
                changed_minds += 1
    # The bot goes offline for a while; members keep reacting; catch-up finds what was missed.
    await demo.world.settle()
    await demo.world.stop_bot()
    missed = 0
    for name in demo.rng.sample(demo.member_names, k=10):
        post = demo.rng.choice(posts)
        if demo.emu.react_silently(
            demo.members[name], post.message_channel_id, post.message_id, stances[0].emoji
        ):
            missed += 1
    await demo.world.start_bot()  # demo.bot is now the restarted bot
    added, removed, unchanged = await demo.world.wait_for_catch_up()
    demo.say(
        f"{len(demo.member_names)} members added {reactions} reactions and took back {changed_minds}; "
        f"while the bot was offline {missed} more came in, and its catch-up added {added}, "
        f"removed {removed}, confirmed {unchanged}."
    )

    await demo.world.settle()
    recommendations = RecommendationRepository(demo.bot.db)  # the restarted bot's connection
    stored = await database_tally(demo.world)
    truth = await discord_tally(demo.world)
    demo.say()
    demo.say("Members per recommendation (rows) and scoping area (columns), from the bot's database:")
    demo.say("      " + "".join(f"{area.number:>5}" for area in areas) + "   all   👍   👎   🛠️")
    for rec in await recommendations.all(demo.guild_id):
        cells = "".join(f"{stored[(rec.number, area.number)][0]:>5}" for area in areas)
        members, support, oppose, needs_work = stored[(rec.number, "all")]
        demo.say(f"  R{rec.number:<3}{cells}{members:>6}{support:>5}{oppose:>5}{needs_work:>5}")
    demo.say("  Areas: " + "; ".join(f"{a.number} {a.short_name}" for a in areas))
    mismatches = [key for key in truth if truth[key] != stored.get(key)]
    if mismatches:
        demo.say(f"TALLIES DIFFER from Discord in {len(mismatches)} cells: {mismatches[:5]}")
        raise SystemExit(1)
    demo.say(
        f"tallies match Discord: all {len(truth)} cells (members, 👍, 👎, 🛠️) equal the emulator's reactions"
    )
