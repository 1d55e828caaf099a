"""Bursts of writes answered fast and exactly: what follows a click never slows the next one."""

from __future__ import annotations

import asyncio
import logging

from bot.data.officehours import OfficeHoursRepository
from bot.i18n import t
from tests.faults import install_insert_fault, remove_insert_fault


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


async def test_a_group_whose_transaction_fails_answers_everyone_busy_and_stores_none(world):
    """A real fault inside the group's transaction (a trigger writing to a table that is gone, for one
    member's row, after earlier rows of the group were inserted): every member of that group reads the
    busy sentence and none of its rows is stored; the queue then serves the next click."""
    session = await world.schedule_office_hours("Faulty", capacity=10, place="https://meet.example/f")
    members = [world.emu.create_member(world.guild_id, f"fault{i}").id for i in range(6)]
    await install_insert_fault(world.db, "signups", "user_id", members[3])
    queue = world.bot.services.officehours.signups
    clicks = []
    # Holds the session: the clicks queue up behind it (SQLite: the write lock; PostgreSQL: the
    # session's row, which a sign-up group locks first).
    async with world.db.transaction() as tx:
        await tx.lock_row("office_hours", "id", session.id)
        for member in members:
            clicks.append(
                await world.emu.click_button(
                    member,
                    session.card_channel_id,
                    session.card_message_id,
                    f"officehours:signup:{session.id}",
                )
            )
        await world.emu.wait_until(lambda: queue.pending == len(members), timeout=10)
    answers = await asyncio.gather(*(click.wait(10) for click in clicks))
    busy = t("errors.database_busy", "en-US")
    assert all(a.ephemeral for a in answers)
    refused = {m for m, a in zip(members, answers, strict=True) if a.content == busy}
    seated = {m for m, a in zip(members, answers, strict=True) if "You have a seat" in a.content}
    assert refused | seated == set(members)
    # The faulty member's group (usually all six: they queued behind one transaction) is refused whole.
    assert members[3] in refused and len(refused) >= 2
    signed = await OfficeHoursRepository(world.db).signups(session.id)
    assert {s.user_id for s in signed} == seated  # none of the refused group is stored
    await remove_insert_fault(world.db, "signups")
    again = await world.emu.click_button(
        members[3], session.card_channel_id, session.card_message_id, f"officehours:signup:{session.id}"
    )
    assert "You have a seat" in (await again.wait(10)).content


async def test_a_burst_of_cancellations_through_the_card_stays_exact(world):
    """30 members for 10 seats, then 15 of them press Cancel at once: seats refilled in waitlist order."""
    session = await world.schedule_office_hours("Churn", capacity=10, place="https://meet.example/c")
    members = [world.emu.create_member(world.guild_id, f"churn{i:02d}").id for i in range(30)]

    async def press(action: str, users: list[int]) -> list:
        clicks = [
            await world.emu.click_button(
                user, session.card_channel_id, session.card_message_id, f"officehours:{action}:{session.id}"
            )
            for user in users
        ]
        return await asyncio.gather(*(click.wait(10) for click in clicks))

    for member in members:  # one at a time: the click order is the member order
        await press("signup", [member])
    leaving = members[0:10:2] + members[10:20]  # 5 seats, then 10 of the waitlist's first places
    answers = await press("cancel", leaving)
    assert all(a.ephemeral and "Churn" in a.content for a in answers)
    # In click order, each freed seat went to the first waiting: 10..19 were all seated by the time
    # their own cancel was decided (the same as 15 cancels one transaction each).
    assert all("gave up your seat" in a.content for a in answers), [a.content for a in answers]
    signed = await OfficeHoursRepository(world.db).signups(session.id)
    staying = [m for m in members if m not in leaving]
    confirmed = [s.user_id for s in signed if s.status == "confirmed"]
    waitlisted = [s.user_id for s in signed if s.status == "waitlisted"]
    assert confirmed == staying[:5] + staying[5:10]  # the 5 kept seats, then the first 5 still waiting
    assert waitlisted == staying[10:]


async def test_an_answer_too_late_for_discord_is_not_retried(world):
    """An interaction that expired before its answer (404 Unknown interaction) got a second, doomed
    request from the error handler: under a burst that doubled the work of every late click."""
    session = await world.schedule_office_hours("Late", capacity=5, place="https://meet.example/l")
    member = world.emu.create_member(world.guild_id, "late-one").id
    expired: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "expired before it was answered" in record.getMessage():
                expired.append(record)

    catch = Catch()
    logging.getLogger("bot").addHandler(catch)
    try:
        async with world.db.transaction():  # the sign-up cannot be written yet ...
            click = await world.emu.click_button(
                member, session.card_channel_id, session.card_message_id, f"officehours:signup:{session.id}"
            )
            click.created -= 10  # ... and Discord's 3 s are over (moved back, not waited for)
        await click.wait(10)
        await world.emu.wait_until(lambda: expired, timeout=10)
    finally:
        logging.getLogger("bot").removeHandler(catch)
    assert not click.answered_within_deadline
    assert click.late_attempts == 1
