"""/mod end to end: threads, pins, hidden feedback, phases (the tally frozen at closing), the audit log."""

from __future__ import annotations

from bot.data.audit import AuditRepository
from bot.data.recommendations import RecommendationRepository
from rehearsal.emulator.state import BOT_DEFAULT, MANAGE_MESSAGES, MANAGE_THREADS, PIN_MESSAGES

SUPPORT, OPPOSE = "👍", "👎"
AREA_1 = "1\ufe0f\u20e3"


def answer(result):
    """The text the member read: the answer, or the last follow-up of a deferred answer."""
    return result.followups[-1].content if result.deferred else result.content


async def mod(world, command, timeout=10, **options):
    result = await world.command("mod", f"mod {command}", timeout=timeout, **options)
    if result.deferred:
        await result.wait_for_followup(timeout)
    return result


async def post_of(world, number):
    repo = RecommendationRepository(world.db)
    rec = await repo.by_number(world.guild_id, number)
    return await repo.live_post_for(rec.id)


async def audit(world, action=None):
    return await AuditRepository(world.db).latest(world.guild_id, limit=50, action=action)


# -- threads ----------------------------------------------------------------------------------


async def test_lock_and_unlock_a_recommendation_thread(world):
    await world.publish()
    post = await post_of(world, 2)
    locked = await mod(world, "lock", recommendation=2, reason="heated")
    assert locked.ephemeral
    assert answer(locked) == f"Locked <#{post.thread_id}>: only moderators can post there now."
    assert world.emu.channel(post.thread_id).locked
    entry = (await audit(world, "thread.lock"))[0]
    assert (entry.actor_id, entry.target, entry.reason) == (
        world.members["mod"],
        f"<#{post.thread_id}>",
        "heated",
    )
    again = await mod(world, "lock", recommendation=2)
    assert answer(again) == "That thread is already locked."
    unlocked = await mod(world, "unlock", thread=post.thread_id)
    assert "Unlocked" in answer(unlocked) and not world.emu.channel(post.thread_id).locked
    assert len(await audit(world, "thread.lock")) == 1 and len(await audit(world, "thread.unlock")) == 1


async def test_run_inside_the_thread_and_outside_threads(world):
    await world.publish()
    post = await post_of(world, 3)
    inside = await world.command("mod", "mod lock", channel_id=post.thread_id)
    assert world.emu.channel(post.thread_id).locked, answer(inside)
    nowhere = await mod(world, "lock")  # run in #general, no thread given
    assert answer(nowhere).startswith("Which thread?")
    foreign = await world.emu.create_thread(world.members["alice"], world.text_id, "off-topic chat")
    outside = await mod(world, "lock", thread=foreign.id)
    assert "not in the consultation's channel" in answer(outside)
    assert not world.emu.channel(foreign.id).locked
    missing = await mod(world, "lock", recommendation=42)
    assert answer(missing) == "There is no recommendation R42."


async def test_archive_is_kept_and_reopen(world):
    await world.publish()
    post = await post_of(world, 4)
    archived = await mod(world, "archive", recommendation=4, reason="resolved")
    assert "Archived" in answer(archived)
    await world.settle()
    assert world.emu.channel(post.thread_id).archived  # a moderator's archive is not undone
    keeper = world.bot.get_cog("PhaseKeeper")
    assert await keeper.effects.keep_threads_open() == 0
    assert world.emu.channel(post.thread_id).archived
    await world.restart_bot()  # the audit log remembers who archived it
    keeper = world.bot.get_cog("PhaseKeeper")
    assert await keeper.effects.keep_threads_open() == 0
    assert world.emu.channel(post.thread_id).archived
    reopened = await mod(world, "reopen", recommendation=4)
    assert "Reopened" in answer(reopened) and not world.emu.channel(post.thread_id).archived


async def test_threads_archived_by_discord_are_reopened_while_open(world):
    await world.publish()
    post = await post_of(world, 5)
    # Discord auto-archives an idle thread: the bot hears THREAD_UPDATE and reopens it.
    await world.emu.update_thread(post.thread_id, archived=True)
    await world.emu.wait_until(lambda: not world.emu.channel(post.thread_id).archived)
    # Missed while offline: the daily pass reopens it.
    world.emu.channel(post.thread_id).archived = True
    keeper = world.bot.get_cog("PhaseKeeper")
    assert await keeper.effects.keep_threads_open() == 1
    assert not world.emu.channel(post.thread_id).archived
    # Once closed, threads may rest.
    await mod(world, "phase", state="closed")
    await world.emu.update_thread(post.thread_id, archived=True)
    await world.settle()
    assert await keeper.effects.keep_threads_open() == 0
    assert world.emu.channel(post.thread_id).archived
    # Reopening the consultation reopens it at once.
    await mod(world, "phase", state="open")
    assert not world.emu.channel(post.thread_id).archived


async def test_slowmode(world):
    await world.publish()
    post = await post_of(world, 1)
    on = await mod(world, "slowmode", seconds=60, recommendation=1)
    assert answer(on) == f"Slow mode in <#{post.thread_id}>: one message every 60 seconds per member."
    assert world.emu.channel(post.thread_id).rate_limit_per_user == 60
    off = await mod(world, "slowmode", seconds=0, recommendation=1)
    assert "off" in answer(off) and world.emu.channel(post.thread_id).rate_limit_per_user == 0
    assert [e.reason for e in await audit(world, "thread.slowmode")] == ["0s", "60s"]


async def test_bot_without_manage_threads_gets_a_clear_sentence(world):
    await world.publish()
    post = await post_of(world, 1)
    world.emu.set_bot_permissions(world.guild_id, BOT_DEFAULT & ~MANAGE_THREADS)
    before = len(await audit(world))
    refused = await mod(world, "lock", recommendation=1)
    assert refused.ephemeral
    assert answer(refused).startswith("Discord refused: the bot needs the Manage Threads permission")
    assert not world.emu.channel(post.thread_id).locked
    assert len(await audit(world)) == before  # nothing recorded as done


async def test_pin_and_unpin(world):
    await world.publish()
    post = await post_of(world, 6)
    note = await world.emu.post_message(
        world.members["wg"], post.thread_id, "Summary of the discussion so far"
    )
    link = f"https://discord.com/channels/{world.guild_id}/{post.thread_id}/{note.id}"
    pinned = await mod(world, "pin", message=link, reason="summary")
    assert answer(pinned) == f"Pinned the message in <#{post.thread_id}>."
    assert world.emu.message(note.id).pinned
    by_id = await world.command("mod", "mod pin", channel_id=post.thread_id, message=str(note.id), unpin=True)
    assert "Unpinned" in answer(by_id) and not world.emu.message(note.id).pinned
    elsewhere = await world.emu.post_message(world.members["alice"], world.text_id, "hello")
    outside = await mod(
        world, "pin", message=f"https://discord.com/channels/{world.guild_id}/{world.text_id}/{elsewhere.id}"
    )
    assert "not in the consultation's channel" in answer(outside)
    world.emu.set_bot_permissions(world.guild_id, BOT_DEFAULT & ~MANAGE_MESSAGES & ~PIN_MESSAGES)
    refused = await mod(world, "pin", message=link)
    assert answer(refused).startswith("Discord refused: the bot needs the Manage Messages")
    assert [e.action for e in await audit(world) if e.action.startswith("message.")] == [
        "message.unpin",
        "message.pin",
    ]
