"""The bot at Discord's real pace (rate-limit windows as Discord's, ``pace`` 1.0): publishing, forum tag
refreshes, card edits during a sign-up rush, reminders and their DMs. Each finishes without a 429
reaching anyone (the emulator counts the 429s it answered) and logs how long it took; ``make test``
runs the suite at a hundredth of that pace (tests/e2e/conftest.py).

Measured on the shared 2-core machine (2026-12-02), no 429 in any of them:
- publish into a forum, 9 posts and 108 reactions: 10.1-10.2 s (27.5 s before each post's reactions
  overlapped the next posts; thread creation, five per 5 s per forum, is what remains); into a text
  channel 27.5 s, bound by that one channel's reactions (108 x 0.25 s); answered in 0.02 s either way;
- forum tag refresh of 9 posts: 0.01-0.07 s (one thread edit each, each thread its own bucket);
- 300 sign-up clicks over 1.5 s: slowest answer 0.6-1.1 s, the card final after 2.4-4.4 s in 3-4 edits;
- reminder to 25 attendees by DM, sent back to back: 2.0 s (60: 6.1 s); the notifier spaces DMs by 1 s
  of its own, so in service they take one second each.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository

log = logging.getLogger(__name__)

AREAS = [f"{n}\ufe0f\u20e3" for n in range(1, 10)]
OPTIONS = [*AREAS, "👍", "👎", "🛠️"]
START = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
ATTENDEES = 25  # each DM opens a DM channel first (ten a second, as modelled) and posts in it


def officehours(world):
    return world.bot.get_cog("OfficeHoursCog")


@pytest.mark.slow  # about 10 s: the forum's thread creations, five per 5 s, and the last post's reactions
async def test_publish_at_discords_pace(world):
    emu = world.emu
    world.set_pace(1.0)
    started = time.monotonic()
    result = await world.command("wg", "consultation publish")
    answered = time.monotonic() - started
    done = await result.wait_for_followup(timeout=120)
    took = time.monotonic() - started
    log.info(
        "Publish at Discord's pace: answered in %.3f s, 9 posts and 108 reactions in %.1f s, %d progress "
        "edits; %s",
        answered,
        took,
        emu.request_count("PATCH", r"^/webhooks/\d+/[^/]+/messages/@original$"),
        emu.ratelimits.summary(),
    )
    assert result.answered_within_deadline and result.deferred
    assert done.content.startswith("Published 9 draft recommendations"), done.content
    assert result.content == "9 of 9 draft recommendations posted with their reactions…"
    posts = await RecommendationRepository(world.db).live_posts(world.guild_id)
    assert len(posts) == 9
    for post in posts:
        assert set(emu.reactions(post.thread_id, post.message_id)) == set(OPTIONS)
    assert emu.rate_limited == 0, emu.ratelimits.refusals
    # One post's twelve reactions take 11 x 0.25 s at least; the posts' reactions overlap.
    assert 11 * 0.25 < took < 9 * 11 * 0.25


async def test_forum_tag_refresh_at_discords_pace(world):
    emu = world.emu
    await world.publish()
    posts = await RecommendationRepository(world.db).live_posts(world.guild_id)
    members = [emu.create_member(world.guild_id, f"t{i}").id for i in range(30)]
    rng = random.Random(14)
    events = [
        (member, post.thread_id, post.message_id, rng.choice(AREAS)) for post in posts for member in members
    ]
    await emu.react_many(events)
    await world.settle()
    world.set_pace(1.0)
    started = time.monotonic()
    edits = await world.bot.services.tally.apply_dirty_tags()
    took = time.monotonic() - started
    log.info("Tag refresh of %d posts at Discord's pace: %.2f s; %s", edits, took, emu.ratelimits.summary())
    assert edits == 9
    assert all(emu.channel(post.thread_id).applied_tags for post in posts)
    assert emu.rate_limited == 0, emu.ratelimits.refusals


async def test_card_edits_during_a_rush_at_discords_pace(world):
    emu = world.emu
    session = await world.schedule_office_hours("Rush", capacity=20, place="https://meet.example/r")
    members = [emu.create_member(world.guild_id, f"r{i:03d}").id for i in range(300)]
    world.set_pace(1.0)
    custom_id = f"officehours:signup:{session.id}"
    started = time.monotonic()
    clicks = []
    for index, user in enumerate(members):  # 300 clicks over 1.5 s
        await asyncio.sleep(max(0.0, started + index * 0.005 - time.monotonic()))
        clicks.append(
            await emu.click_button(user, session.card_channel_id, session.card_message_id, custom_id)
        )
    answers = await asyncio.gather(*(click.wait(30) for click in clicks))
    await officehours(world).cards.flush()
    took = time.monotonic() - started
    edits = emu.request_count("PATCH", rf"/messages/{session.card_message_id}$")
    slowest = max(a.elapsed or 0 for a in answers)
    log.info(
        "Rush of 300 clicks at Discord's pace: slowest answer %.3f s, card final after %.2f s, %d card "
        "edits; %s",
        slowest,
        took,
        edits,
        emu.ratelimits.summary(),
    )
    assert all(a.answered_within_deadline and a.ephemeral for a in answers)
    assert sum("You have a seat" in a.content for a in answers) == 20
    assert "Full" in str(emu.message(session.card_message_id).embeds[0]["fields"])
    assert emu.rate_limited == 0, emu.ratelimits.refusals


async def test_reminders_and_dms_at_discords_pace(world):
    emu = world.emu
    session = await world.schedule_office_hours(
        "Reminded", capacity=ATTENDEES, place="https://meet.example/m"
    )
    members = [emu.create_member(world.guild_id, f"d{i:02d}").id for i in range(ATTENDEES)]
    for kind in ("signup", "dm"):
        clicks = [
            await emu.click_button(
                user, session.card_channel_id, session.card_message_id, f"officehours:{kind}:{session.id}"
            )
            for user in members
        ]
        await asyncio.gather(*(click.wait(10) for click in clicks))
    cog = officehours(world)
    await cog.notifier.deliver_all()
    attendees = await OfficeHoursRepository(world.db).signups(session.id)
    assert len(attendees) == ATTENDEES
    world.set_pace(1.0)
    world.clock.set(START - timedelta(hours=24))
    started = time.monotonic()
    assert await cog.run_due_reminders() == 1
    delivered = await cog.notifier.deliver_all()
    took = time.monotonic() - started
    reminded = [u for u in members if any("Reminder" in m.content for m in emu.dms(u))]
    log.info(
        "Reminder to %d attendees at Discord's pace (DMs sent back to back, without the notifier's own "
        "1 s spacing): %d DMs in %.2f s; %s",
        ATTENDEES,
        delivered,
        took,
        emu.ratelimits.summary(),
    )
    assert len(reminded) == ATTENDEES
    assert emu.ratelimits.answered.get("user", 0) == 0, emu.ratelimits.refusals
