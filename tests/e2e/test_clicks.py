"""The card's Sign up and Cancel answered straight from the gateway's payload (``bot.clicks``), and every
other interaction still answered by discord.py."""

from __future__ import annotations

import bot.clicks
from bot.data.officehours import OfficeHoursRepository
from bot.i18n import t
from bot.officehours.outcomes import SIGNUP_REFUSED

CALLBACK = "/callback"


def callback_statuses(world) -> list[int]:
    return [
        status for method, path, status in world.emu.requests if method == "POST" and path.endswith(CALLBACK)
    ]


async def click(world, member: int, session, action: str):
    return await world.emu.click_button(
        member, session.card_channel_id, session.card_message_id, f"officehours:{action}:{session.id}"
    )


async def test_sign_up_and_cancel_are_answered_from_the_payload(world):
    """Answered without ``with_response`` (Discord's 204: discord.py always asks for the message back),
    stored with the member's server nickname, and the card shows the seat."""
    session = await world.schedule_office_hours("Fast", capacity=1, place="https://meet.example/fast")
    first = world.emu.create_member(world.guild_id, "first-user", nick="Ana (WMES)").id
    second = world.emu.create_member(world.guild_id, "second-user", locale="es-ES").id
    before = len(callback_statuses(world))

    seated = await (await click(world, first, session, "signup")).wait(10)
    waiting = await (await click(world, second, session, "signup")).wait(10)

    assert seated.ephemeral and "You have a seat" in seated.content
    assert waiting.ephemeral and waiting.content.startswith(
        t("officehours.signup.waitlisted", "es-ES", position=1, title="Fast", when="")[:20]
    )
    assert callback_statuses(world)[before:] == [204, 204]
    signups = await OfficeHoursRepository(world.db).signups(session.id)
    assert [(s.user_id, s.status, s.display_name) for s in signups] == [
        (first, "confirmed", "Ana (WMES)"),
        (second, "waitlisted", "second-user"),
    ]

    cancelled = await (await click(world, first, session, "cancel")).wait(10)
    assert cancelled.content == t("officehours.cancel_signup.done_seat", "en-US", title="Fast")
    statuses = {s.user_id: s.status for s in await OfficeHoursRepository(world.db).signups(session.id)}
    assert statuses[second] == "confirmed"  # the freed seat went to the first waiting
    full_none_waiting = t("officehours.card.seats_full", "en-US", waitlisted=0)
    await world.emu.wait_until(
        lambda: full_none_waiting in str(world.emu.message(session.card_message_id).embeds), timeout=10
    )


async def test_a_refused_click_reads_the_same_sentence_as_before(world):
    """A sign-up for a cancelled session: the service's refusal, as a command's error would read."""
    session = await world.schedule_office_hours("Gone", capacity=3, place="https://meet.example/gone")
    cancelled = await world.command("wg", "officehours-manage cancel", session=session.id)
    await cancelled.wait(10)
    member = world.emu.create_member(world.guild_id, "late-comer").id
    answer = await (await click(world, member, session, "signup")).wait(10)
    assert answer.ephemeral
    assert answer.content == t(SIGNUP_REFUSED["cancelled"], "en-US", id=session.id)


async def test_other_buttons_are_still_discord_pys(world):
    """The question button opens its form through discord.py's dynamic items (a modal, not a sentence)."""
    session = await world.schedule_office_hours("Ask", capacity=3, place="https://meet.example/ask")
    member = world.emu.create_member(world.guild_id, "asker").id
    answer = await (await click(world, member, session, "question")).wait(10)
    assert (
        answer.modal is not None and answer.modal["custom_id"] == f"officehours:question_modal:{session.id}"
    )


async def test_a_slow_sign_up_is_deferred_then_followed_up(world, monkeypatch):
    """Past the deferral point the member sees "thinking..." (a private deferral) and then the answer,
    never "This interaction failed"."""
    monkeypatch.setattr(bot.clicks, "DEFER_AFTER", 0.05)
    session = await world.schedule_office_hours("Slow", capacity=3, place="https://meet.example/slow")
    member = world.emu.create_member(world.guild_id, "patient").id
    queue = world.bot.services.officehours.signups
    async with world.db.transaction() as tx:  # the sign-up waits for the session's lock
        await tx.lock_row("office_hours", "id", session.id)
        pending = await click(world, member, session, "signup")
        answered = await pending.wait(10)
        assert answered.deferred and answered.ephemeral
        assert queue.pending == 1
    followup = await pending.wait_for_followup(10)
    assert "You have a seat" in (followup.content or "")
    assert followup.flags & 64
