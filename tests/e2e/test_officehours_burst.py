"""Bursts of writes answered fast and exactly: what follows a click never slows the next one."""

from __future__ import annotations

import asyncio


async def test_the_cards_own_edits_do_not_load_the_language_model(world):
    """A sign-up edits the card; that MESSAGE_UPDATE (the bot's own message) once reached the thread-reply
    edit handler, which loaded the language model (seconds of CPU holding the GIL) in the middle of a rush."""
    session = await world.schedule_office_hours("Burst", capacity=5, place="https://meet.example/b")
    replies = world.bot.get_cog("ThreadRepliesCog")
    assert replies._warming is None
    card_edited = asyncio.ensure_future(
        world.bot.wait_for("raw_message_edit", check=lambda p: p.message_id == session.card_message_id)
    )
    member = world.emu.create_member(world.guild_id, "burst-one").id
    click = await world.emu.click_button(
        member, session.card_channel_id, session.card_message_id, f"officehours:signup:{session.id}"
    )
    answer = await click.wait(10)
    assert "You have a seat" in answer.content
    await asyncio.wait_for(card_edited, 10)
    assert replies._warming is None  # the language model stays unloaded: no member replied anywhere
