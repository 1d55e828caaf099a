"""Thread replies while the bot was away: written, edited and deleted, read back after a restart."""

from __future__ import annotations

import asyncio

from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import RecommendationRepository


async def test_replies_edits_and_deletions_during_downtime(world):
    await world.publish()
    post = (await RecommendationRepository(world.db).live_posts(world.guild_id))[0]
    alice, bob = world.members["alice"], world.members["bob"]
    kept = await world.emu.post_message(alice, post.thread_id, "Kept as it is.")
    changed = await world.emu.post_message(alice, post.thread_id, "First thoughts.")
    gone = await world.emu.post_message(bob, post.thread_id, "Soon deleted.")
    feedback = FeedbackRepository(world.db)
    for message in (kept, changed, gone):
        for _ in range(200):  # the first reply waits for the language model to load
            if await feedback.by_message(message.id) is not None:
                break
            await asyncio.sleep(0.05)
        assert await feedback.by_message(message.id) is not None
    await world.stop_bot()
    await world.emu.edit_message(
        alice, post.thread_id, changed.id, "Second thoughts, after reading it again."
    )
    await world.emu.delete_message(post.thread_id, gone.id)
    new = await world.emu.post_message(bob, post.thread_id, "Écrit pendant que le bot était absent.")
    await world.start_bot()
    cog = world.bot.get_cog("ThreadRepliesCog")
    await world.emu.wait_until(lambda: cog.last_catch_up is not None, timeout=20)
    assert cog.last_catch_up == (1, 1, 1)
    feedback = FeedbackRepository(world.db)
    assert (await feedback.by_message(kept.id)).body == "Kept as it is."
    assert (await feedback.by_message(changed.id)).body == "Second thoughts, after reading it again."
    assert [h.body for h in await feedback.history((await feedback.by_message(changed.id)).id)] == [
        "First thoughts."
    ]
    assert (await feedback.by_message(gone.id)).status == "deleted"
    written = await feedback.by_message(new.id)
    assert written.status == "active" and written.source == "thread" and written.language == "fr"
    # A second start finds nothing new: the catch-up is idempotent.
    await world.restart_bot()
    cog = world.bot.get_cog("ThreadRepliesCog")
    await world.emu.wait_until(lambda: cog.last_catch_up is not None, timeout=20)
    assert cog.last_catch_up == (0, 0, 0)
