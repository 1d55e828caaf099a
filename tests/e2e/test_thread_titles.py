"""A draft's title edited more often than Discord renames threads (two renames per ten minutes): every
edit is answered at once, and the thread takes the latest title as soon as Discord allows."""

from __future__ import annotations

import time

from bot.data.recommendations import RecommendationRepository
from bot.i18n import t


async def edit_title(world, number: int, title: str):
    opened = await world.command("wg", "consultation edit", recommendation=number)
    title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
    rec = await RecommendationRepository(world.db).by_number(world.guild_id, number)
    submitted = await world.emu.submit_modal(
        world.members["wg"], opened, {title_id: title, text_id: rec.body}
    )
    await submitted.wait(10)
    return await submitted.wait_for_followup(10)


async def test_edits_past_discords_rename_limit_are_answered_and_the_title_follows(world):
    await world.publish()
    rec = await RecommendationRepository(world.db).by_number(world.guild_id, 4)
    post = await RecommendationRepository(world.db).live_post_for(rec.id)
    limits = world.emu.ratelimits
    assert limits is not None
    window = 600 * limits.pace  # Discord's ten minutes at the emulator's pace

    for title in ("First new title", "Second new title"):
        answer = await edit_title(world, 4, title)
        assert "Saved version" in answer.content and "title will show" not in answer.content
        assert world.emu.channel(post.thread_id).name == f"R4. {title}"

    started = time.monotonic()
    third = await edit_title(world, 4, "Third new title")
    fourth = await edit_title(world, 4, "Fourth new title")
    answered_in = time.monotonic() - started
    assert answered_in < window  # the member was not held until Discord allowed the rename
    for answer in (third, fourth):
        assert "Saved version" in answer.content
        assert t("edit.title_delayed", "en-GB", minutes=1).split("$")[0][:30] in answer.content
    assert world.emu.channel(post.thread_id).name == "R4. Second new title"
    assert limits.refusals.count(("PATCH", f"/channels/{post.thread_id}", "user")) == 1

    # Once Discord allows it, the thread takes the latest title wanted by then.
    await world.emu.wait_until(
        lambda: world.emu.channel(post.thread_id).name == "R4. Fourth new title", timeout=window + 10
    )
    starter = world.emu.message(post.message_id)
    assert starter.embeds[0]["title"].endswith("Fourth new title")
