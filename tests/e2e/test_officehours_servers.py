"""Office hours across three servers in one emulator (issue 16): a session scheduled at home is offered
on two linked servers (one text channel, one forum), 200 clicks spread over the three take exactly the
20 seats and form one waitlist in click order, and each server's thread reminds its own attendees."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.data.links import LinkRepository
from bot.data.officehours import Offer, OfficeHoursRepository, Session
from rehearsal.emulator import EmulatorError
from rehearsal.world import World

START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)  # the FakeClock starts on 2026-01-05 09:00 UTC
SEATS, CLICKS = 20, 200


@pytest.fixture
async def servers(tmp_path, database_url) -> AsyncIterator[tuple[World, World, World]]:
    """Home (forum), a Spanish server with a text channel and a server with a forum, one bot."""
    clock = FakeClock()
    path = tmp_path / "e2e.sqlite3"
    home = await World.create(path, clock=clock, database_url=database_url, guild_name="Movement home")
    text = await World.create(path, clock=clock, guild_name="Comunidad", guild_locale="es-ES", emu=home.emu)
    forum = await World.create(path, clock=clock, guild_name="Affiliates", emu=home.emu)
    try:
        await home.start_bot()
        text.bot = forum.bot = home.bot
        for world, kind in ((home, "forum"), (text, "text"), (forum, "forum")):
            result = await world.setup_consultation(kind)
            assert result.ephemeral, result.content
        cog = home.bot.get_cog("OfficeHoursCog")
        cog.notifier.interval = 0
        yield home, text, forum
    finally:
        text.bot = forum.bot = None
        await home.close()


async def link(home: World, other: World) -> None:
    """What /consultation join does to the data, then its event."""
    links = LinkRepository(home.db)
    now = home.clock.now()
    invite = await links.create_invite(
        home.guild_id, f"CODE-{other.guild_id}", home.members["wg"], now, None, 1
    )
    async with home.db.transaction() as tx:
        assert await links.use_invite(tx, invite.id, now)
        await links.join(tx, other.guild_id, home.guild_id, invite.id, other.members["admin"], now)
    await dispatched(home, "consultation_server_linked", home.guild_id, other.guild_id)


async def dispatched(home: World, event: str, *args: object) -> None:
    assert home.bot is not None
    linked = home.bot.get_cog("OfficeHoursCog").linked
    before = linked.handled
    home.bot.dispatch(event, *args)
    await home.emu.wait_until(lambda: linked.handled > before, timeout=10)


async def offer_on(home: World, session: Session, other: World) -> Offer:
    offer = await OfficeHoursRepository(home.db).offer(session.id, other.guild_id)
    assert offer is not None and offer.status == "active" and offer.card_message_id is not None, offer
    return offer


def pings(world: World, thread_id: int | None) -> list[list[int]]:
    """The users each message of a thread pinged (messages that pinged nobody left out)."""
    assert thread_id is not None
    found = []
    for message in world.emu.messages(thread_id):
        users = (message.allowed_mentions or {}).get("users") or []
        if users:
            found.append([int(u) for u in users])
    return found


async def test_one_pool_of_seats_and_reminders_on_three_servers(servers):
    home, text, forum = servers
    await link(home, text)  # linked before the session is scheduled
    session = await home.schedule_office_hours("Across servers", capacity=SEATS, channel=home.voice_id)
    await link(home, forum)  # ... and after: offered when it links
    offers = {w.guild_id: await offer_on(home, session, w) for w in (text, forum)}

    # A card and an event on each server; linked servers' events are external, at the home channel.
    home_link = f"https://discord.com/channels/{home.guild_id}/{home.voice_id}"
    for world in (text, forum):
        offer = offers[world.guild_id]
        [event] = home.emu.scheduled_events(world.guild_id)
        assert event.entity_type == 3 and event.entity_metadata == {"location": home_link}
        assert event.id == offer.scheduled_event_id and event.name == "Across servers"
        card = home.emu.message(offer.card_message_id)
        ids = [c["custom_id"] for row in card.components for c in row["components"]]
        assert f"officehours:signup:{session.id}" in ids
        assert home_link in str(card.embeds[0]["fields"])
    assert home.emu.message(offers[text.guild_id].card_message_id).channel_id == text.text_id
    assert home.emu.channel(offers[forum.guild_id].card_channel_id).parent_id == forum.forum_id
    assert [e.entity_type for e in home.emu.scheduled_events(home.guild_id)] == [2]

    # 200 members click Sign up, spread over the three servers' cards, one after the other.
    cards = {
        home.guild_id: (session.card_channel_id, session.card_message_id),
        **{g: (o.card_channel_id, o.card_message_id) for g, o in offers.items()},
    }
    worlds = (home, text, forum)
    clickers = []
    for n in range(CLICKS):
        world = worlds[n % 3]
        clickers.append((home.emu.create_member(world.guild_id, f"member{n:03d}").id, world.guild_id))
    clicks = []
    for user, guild_id in clickers:
        channel_id, message_id = cards[guild_id]
        clicks.append(
            await home.emu.click_button(user, channel_id, message_id, f"officehours:signup:{session.id}")
        )
    answers = await asyncio.gather(*(c.wait(30) for c in clicks))
    assert all(a.ephemeral for a in answers)
    repo = OfficeHoursRepository(home.db)
    signed = await repo.signups(session.id)
    assert [s.user_id for s in signed] == [u for u, _ in clickers]  # seats then one waitlist, click order
    assert [s.status for s in signed] == ["confirmed"] * SEATS + ["waitlisted"] * (CLICKS - SEATS)
    assert [s.guild_id for s in signed] == [g for _, g in clickers]

    # A member of two servers is one person: signed up on one card, already there on the other.
    alice = home.members["alice"]
    home.emu.add_member(text.guild_id, alice)
    first = await home.emu.click_button(alice, *cards[text.guild_id], f"officehours:signup:{session.id}")
    assert (await first.wait(10)).ephemeral
    again = await home.emu.click_button(alice, *cards[home.guild_id], f"officehours:signup:{session.id}")
    assert "181" in (await again.wait(10)).content  # already on the waitlist, at 181

    # Every card shows the one pool, on every server.
    cog = home.bot.get_cog("OfficeHoursCog")
    await cog.cards.flush()
    for channel_message in cards.values():
        assert "181" in str(home.emu.message(channel_message[1]).embeds[0]["fields"])

    # The reminder 15 minutes before: in each server's own thread, pinging its own attendees, once.
    home.clock.set(START - timedelta(minutes=15))
    assert await cog.run_due_reminders() == 3
    assert await cog.run_due_reminders() == 0
    seated = {g: [u for u, gg in clickers[:SEATS] if gg == g] for g in cards}
    assert pings(home, session.thread_id) == [seated[home.guild_id]]
    for world in (text, forum):
        assert pings(home, offers[world.guild_id].thread_id) == [seated[world.guild_id]]
    [reminder] = [m for m in home.emu.messages(offers[text.guild_id].thread_id) if m.allowed_mentions]
    assert home_link in reminder.content

    # The session starts and ends: the events on every server follow (2 active, 3 completed).
    for moment, status in ((START, 2), (START + timedelta(minutes=61), 3)):
        home.clock.set(moment)
        await cog.run_due_reminders()
        assert [e.status for w in worlds for e in home.emu.scheduled_events(w.guild_id)] == [status] * 3


async def test_a_server_that_leaves_keeps_its_sign_ups_and_cancellations_reach_every_server(servers):
    home, text, forum = servers
    for world in (text, forum):
        await link(home, world)
    session = await home.schedule_office_hours("Leaving", capacity=1, place="https://meet.example/x")
    offers = {w.guild_id: await offer_on(home, session, w) for w in (text, forum)}
    on_text = offers[text.guild_id]
    signup = f"officehours:signup:{session.id}"
    seat = await home.emu.click_button(
        text.members["bob"], on_text.card_channel_id, on_text.card_message_id, signup
    )
    assert (await seat.wait(10)).ephemeral
    waiting = forum.members["chen"]
    on_forum = offers[forum.guild_id]
    queued = await home.emu.click_button(waiting, on_forum.card_channel_id, on_forum.card_message_id, signup)
    await queued.wait(10)

    assert await LinkRepository(home.db).end(text.guild_id, "left", text.members["admin"], home.clock.now())
    await dispatched(home, "consultation_server_unlinked", home.guild_id, text.guild_id, "left")
    [event] = home.emu.scheduled_events(text.guild_id)
    assert event.status == 4  # cancelled on the server that left
    with pytest.raises(EmulatorError, match="disabled"):
        await home.emu.click_button(
            text.members["alice"], on_text.card_channel_id, on_text.card_message_id, signup
        )
    summary = await OfficeHoursRepository(home.db).summary(session.id)
    assert summary is not None and (summary.confirmed, summary.waitlisted) == (1, 1)  # kept
    # Bob gives his seat up from the withdrawn card: the one waitlist moves up, on the forum server.
    gone = await home.emu.click_button(
        text.members["bob"],
        on_text.card_channel_id,
        on_text.card_message_id,
        f"officehours:cancel:{session.id}",
    )
    assert (await gone.wait(10)).ephemeral
    promoted = await OfficeHoursRepository(home.db).signup(session.id, waiting)
    assert promoted is not None and promoted.status == "confirmed"
    attendees = await home.command("wg", "officehours-manage attendees", session=session.id)
    [(_, data)] = attendees.files
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-1] == "server" and [r[-1] for r in rows[1:]] == [f"Affiliates ({forum.guild_id})"]

    # Cancelled at home: the forum server's event is cancelled and its thread pings its attendee.
    result = await home.command("wg", "officehours-manage cancel", session=session.id)
    await result.wait_for_followup(10)
    # (answered first: the events and the notices follow the answer)
    await home.emu.wait_until(lambda: pings(home, on_forum.thread_id), timeout=10)
    assert pings(home, on_forum.thread_id) == [[waiting]]
    [forum_event] = home.emu.scheduled_events(forum.guild_id)
    assert forum_event.status == 4
