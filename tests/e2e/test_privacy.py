"""/privacy end to end: a member's data as a JSON file, and erasure that leaves no trace and stays erased."""

from __future__ import annotations

import json

from bot.data.audit import AuditRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from bot.i18n import t
from rehearsal.emulator.state import BOT_DEFAULT, MANAGE_MESSAGES
from rehearsal.world import database_tally, discord_tally
from tests.e2e.test_moderation_phases import answer, give_feedback, run, schedule_ask_us
from tests.e2e.test_officehours import click

SUPPORT, OPPOSE = "👍", "👎"
AREA_1, AREA_3 = "1\ufe0f\u20e3", "3\ufe0f\u20e3"


async def first_posts(world, count=2):
    live = await RecommendationRepository(world.db).live_posts(world.guild_id)
    return sorted(live, key=lambda p: p.message_id)[:count]


async def alice_takes_part(world):
    """Alice reacts on two drafts, gives feedback (one anonymous) and takes the only seat; Bob waits."""
    await world.publish()
    one, two = await first_posts(world)
    alice = world.members["alice"]
    for post, emoji in ((one, AREA_1), (one, SUPPORT), (two, AREA_3), (two, OPPOSE)):
        await world.emu.react(alice, post.thread_id, post.message_id, emoji)
    await world.emu.react(world.members["bob"], one.thread_id, one.message_id, SUPPORT)
    await give_feedback(world, "alice", 1, "Please budget for translation of every report.")
    world.clock.advance(minutes=10)  # past the feedback cooldown
    await give_feedback(world, "alice", 2, "Quietly: the small chapters need this most.", anonymous=True)
    _, session = await schedule_ask_us(world, capacity=1)
    for name in ("alice", "bob"):
        await click(world, name, session)
    await world.settle()
    return one, two, session


async def all_values(world):
    tables = [r[0] for r in await world.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
    values = []
    for table in tables:
        for row in await world.db.fetchall(f"SELECT * FROM {table}"):
            values.extend((table, value) for value in tuple(row))
    return values


def traces(values, user_id):
    return [(t, v) for t, v in values if v == user_id or (isinstance(v, str) and str(user_id) in v)]


async def test_mydata_is_an_ephemeral_json_file_with_everything(world):
    await alice_takes_part(world)
    result = await world.command("alice", "privacy mydata")
    assert result.ephemeral
    assert result.content.startswith("Here is everything the bot stores about you")
    ((name, payload),) = result.files
    assert name.endswith(".json")
    data = json.loads(payload)
    assert data["member_id"] == str(world.members["alice"])
    texts = {item["text"]: item["anonymous"] for item in data["feedback"]}
    assert texts == {
        "Please budget for translation of every report.": False,
        "Quietly: the small chapters need this most.": True,
    }
    assert [s["status"] for s in data["office_hours_signups"]] == ["confirmed"]
    assert len(data["reactions"]) == 4
    assert data["audit_log_as_actor"] == []
    again = await world.command("alice", "privacy mydata")
    assert (
        again.ephemeral
        and again.content.startswith("You are doing that a little too fast")
        and not again.files
    )
    # Bob's file holds Bob's things only.
    bob = json.loads((await world.command("bob", "privacy mydata")).files[0][1])
    assert bob["feedback"] == [] and len(bob["reactions"]) == 1


async def test_forget_asks_first_and_only_the_member_may_answer(world):
    await alice_takes_part(world)
    asked = await world.command("alice", "privacy forget")
    assert asked.ephemeral and "cannot be undone" in asked.content
    ids = [c["custom_id"] for row in asked.components for c in row["components"]]
    assert ids == ["privacy:forget", "privacy:keep"]
    stranger = await world.emu.click_button(
        world.members["bob"], asked.channel_id, asked.message.id, "privacy:forget"
    )
    await stranger.wait(10)
    assert stranger.ephemeral and answer(stranger) == t("privacy.not_yours", world.locales["bob"])
    kept = await world.emu.click_button(
        world.members["alice"], asked.channel_id, asked.message.id, "privacy:keep"
    )
    await kept.wait(10)
    assert world.emu.message(asked.message.id).content == "Nothing was erased."
    data = json.loads((await world.command("alice", "privacy mydata")).files[0][1])
    assert len(data["feedback"]) == 2 and len(data["reactions"]) == 4


async def forget(world, name):
    asked = await world.command(name, "privacy forget")
    confirmed = await world.emu.click_button(
        world.members[name], asked.channel_id, asked.message.id, "privacy:forget"
    )
    await confirmed.wait(10)
    await confirmed.wait_for_followup(10)
    return confirmed.followups[-1].content


async def test_forget_leaves_no_trace_and_the_tally_drops(world):
    one, _two, session = await alice_takes_part(world)
    alice, bob = world.members["alice"], world.members["bob"]
    before = await database_tally(world)
    assert before[(1, "all")][1] == 2  # Alice and Bob support R1
    assert traces(await all_values(world), alice)
    audit_before = await AuditRepository(world.db).count(world.guild_id)
    text = await forget(world, "alice")
    assert text.startswith("Done: 2 feedback items, 1 sign-up and 4 reactions erased. 4 reactions removed")
    await world.settle()
    assert traces(await all_values(world), alice) == []
    after = await database_tally(world)
    assert after[(1, "all")] == (1, 1, 0, 0) and after[(1, 1)] == (0, 0, 0, 0)
    assert after == await discord_tally(world)  # her reactions are gone from the posts too
    assert alice not in world.emu.reactions(one.thread_id, one.message_id).get(SUPPORT, [])
    entry = (await AuditRepository(world.db).latest(world.guild_id, limit=1))[0]
    assert (entry.action, entry.actor_id, entry.target, entry.reason) == ("privacy.forget", None, None, None)
    assert await AuditRepository(world.db).count(world.guild_id) == audit_before + 1
    # Bob had been waiting: he gets the freed seat.
    assert (await OfficeHoursRepository(world.db).signup(session.id, bob)).status == "confirmed"
    empty = json.loads((await world.command("alice", "privacy mydata")).files[0][1])
    assert empty["feedback"] == [] and empty["reactions"] == [] and empty["office_hours_signups"] == []


async def test_reactions_the_bot_cannot_remove_are_never_counted_again(world):
    one, two, _ = await alice_takes_part(world)
    alice = world.members["alice"]
    world.emu.set_bot_permissions(world.guild_id, BOT_DEFAULT & ~MANAGE_MESSAGES)
    text = await forget(world, "alice")
    assert "0 reactions removed" in text
    assert "Discord did not let the bot remove 4 of your reactions" in text
    assert SUPPORT in world.emu.reactions(one.thread_id, one.message_id)
    assert alice in world.emu.reactions(one.thread_id, one.message_id)[SUPPORT]
    await world.settle()
    erased = await database_tally(world)
    # Live: a new reaction of hers is not counted.
    await world.emu.react(alice, two.thread_id, two.message_id, SUPPORT)
    await world.settle()
    assert await database_tally(world) == erased
    # Catch-up after a restart sees her reactions on Discord and leaves them out.
    await world.restart_bot()
    tally = world.bot.services.tally
    await world.wait_for_catch_up()
    await tally.catch_up()
    assert await database_tally(world) == erased
    assert traces(await all_values(world), alice) == []


async def test_forget_after_the_close_also_removes_uncounted_reactions(world):
    one, two, _ = await alice_takes_part(world)
    alice = world.members["alice"]
    await run(world, "mod", "mod phase", state="closed")
    await world.emu.react(alice, two.thread_id, two.message_id, SUPPORT)  # after the close: not counted
    await world.settle()
    text = await forget(world, "alice")
    assert text.startswith("Done: 2 feedback items, 1 sign-up and 4 reactions erased.")
    assert text.endswith("(never counted) were removed from the posts too.")
    for post in (one, two):
        assert all(
            alice not in users for users in world.emu.reactions(post.thread_id, post.message_id).values()
        )
    assert traces(await all_values(world), alice) == []


async def test_forget_in_a_text_channel_consultation_removes_reactions(text_world):
    world = text_world
    await world.publish()
    post = (await first_posts(world, 1))[0]
    alice = world.members["alice"]
    await world.emu.react(alice, post.channel_id, post.message_id, SUPPORT)  # the message is in the channel
    await world.settle()
    text = await forget(world, "alice")
    assert "1 reaction erased. 1 reaction removed from the posts." in text
    assert alice not in world.emu.reactions(post.channel_id, post.message_id).get(SUPPORT, [])
