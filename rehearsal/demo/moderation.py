"""Demo step: a moderator hides a feedback item, locks a thread and reads the audit log; a member takes
their data and asks to be forgotten; the consultation closes and reactions after the close are not counted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import Post, RecommendationRepository
from rehearsal.emulator import InteractionResult
from rehearsal.emulator.limits import ApiError
from rehearsal.world import database_tally, discord_tally

if TYPE_CHECKING:
    from rehearsal.demo.context import DemoContext

RANT = "This whole process is rigged and everyone who wrote it should be ashamed of themselves!!!"


def answer(result: InteractionResult) -> str:
    message = result.followups[-1] if result.deferred and result.followups else result.message
    return message.content if message is not None and message.content else ""


async def run_and_wait(demo: DemoContext, name: str, command: str, **options: object) -> InteractionResult:
    result = await demo.command(name, command, **options)
    if result.deferred:
        await result.wait_for_followup(30)
    return result


async def feedback_to_hide(demo: DemoContext, post: Post) -> int:
    """A heated item to moderate: given through the real form by a simulated member."""
    name = demo.member_names[-1]
    opened = await demo.command(name, "feedback give", recommendation=1)
    if opened.modal is not None:
        inputs = [
            c["custom_id"]
            for row in opened.modal["components"]
            for c in (row.get("components") or [row.get("component") or {}])
            if c.get("type") == 4
        ]
        submitted = await demo.emu.submit_modal(demo.members[name], opened, {inputs[0]: RANT})
        await submitted.wait(30)
        if submitted.deferred:
            await submitted.wait_for_followup(30)
    items = await FeedbackRepository(demo.bot.db).for_author(demo.guild_id, demo.members[name])
    if not items:
        raise RuntimeError(f"the demo could not give feedback: {answer(opened)}")
    return items[0].id


async def run(demo: DemoContext) -> None:
    demo.heading("Moderation: hidden feedback, a locked thread, the audit log, a data request, the close")
    posts = sorted(
        await RecommendationRepository(demo.bot.db).live_posts(demo.guild_id), key=lambda p: p.message_id
    )
    if not posts:
        demo.say("No posts were published, so there is nothing to moderate.")
        return
    first = posts[0]
    feedback = FeedbackRepository(demo.bot.db)
    item_id = await feedback_to_hide(demo, first)
    visible, _ = await feedback.count_for_working_group(demo.guild_id)
    hidden = await run_and_wait(demo, "mod", "mod hide", feedback=item_id, reason="personal attacks")
    after, _ = await feedback.count_for_working_group(demo.guild_id)
    demo.say(f"Moderator: /mod hide feedback:{item_id} -> {answer(hidden)}")
    demo.say(f"The working group now sees {after} item(s) instead of {visible}; the item itself is kept.")

    locked = await run_and_wait(
        demo, "mod", "mod lock", recommendation=1, reason="the thread turned into a flame war"
    )
    demo.say(f"Moderator: /mod lock recommendation:1 -> {answer(locked)}")
    try:
        await demo.emu.post_message(
            demo.members[demo.member_names[0]], first.thread_id or 0, "One more thing!"
        )
        demo.say("(unexpected: a member could still post in the locked thread)")
    except ApiError as refused:
        demo.say(f"A member tries to post in it; Discord refuses: {refused}")
    await run_and_wait(demo, "mod", "mod unlock", recommendation=1, reason="cooled down")
    demo.say("Moderator unlocked it again after things cooled down.")

    log = await run_and_wait(demo, "mod", "mod log", limit=5)
    demo.say("Moderator: /mod log limit:5")
    for line in (log.embeds[0]["description"] if log.embeds else "").splitlines():
        demo.say(f"    {line}")

    leaver = demo.member_names[1]
    mine = await demo.command(leaver, "privacy mydata")
    data = json.loads(mine.files[0][1]) if mine.files else {}
    demo.say(
        f"{leaver}: /privacy mydata -> a {len(mine.files[0][1]) if mine.files else 0}-byte JSON file "
        f"({len(data.get('reactions', []))} reactions, {len(data.get('feedback', []))} feedback item(s))"
    )
    before = await database_tally(demo.world)
    asked = await demo.command(leaver, "privacy forget")
    assert asked.message is not None
    confirmed = await demo.emu.click_button(
        demo.members[leaver], asked.channel_id, asked.message.id, "privacy:forget"
    )
    await confirmed.wait(30)
    await confirmed.wait_for_followup(30)
    await demo.world.settle()
    after = await database_tally(demo.world)
    dropped = [key[0] for key in before if key[1] == "all" and after[key][0] < before[key][0]]
    demo.say(f"{leaver}: /privacy forget + confirm -> {confirmed.followups[-1].content}")
    demo.say(
        f"{leaver} no longer counts on {len(dropped)} recommendation(s) (R{', R'.join(map(str, dropped))}); "
        "the audit log records only that a request was honoured."
    )

    closed = await run_and_wait(
        demo, "mod", "mod phase", state="closed", reason="the consultation period ended"
    )
    demo.say(f"Moderator: /mod phase state:closed -> {answer(closed)}")
    frozen = await database_tally(demo.world)
    late = 0
    for name in demo.member_names[2:14]:
        post = demo.rng.choice(posts)
        if await demo.emu.react(demo.members[name], post.message_channel_id, post.message_id, "👍"):
            late += 1
    await demo.world.settle()
    on_discord = await discord_tally(demo.world)
    counted = await database_tally(demo.world)
    differing = sum(1 for key in on_discord if on_discord[key] != counted[key])
    demo.say(
        f"{late} members reacted after the close: Discord shows them ({differing} cells differ), "
        f"the tally is unchanged: {counted == frozen}."
    )
    refused = await demo.command(demo.member_names[3], "feedback give", recommendation=2)
    demo.say(f"A member tries to give feedback after the close: {answer(refused)}")
