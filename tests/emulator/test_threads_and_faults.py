"""Forum posts and their limits; gateway drops (RESUME and re-IDENTIFY); REST faults."""

from __future__ import annotations

import discord
import pytest

from rehearsal.emulator import DiscordEmulator, run_client

from .conftest import make_bot


async def test_forum_post_with_tags_and_limits(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    async with run_client(emu, bot):
        forum = bot.get_channel(world["forum"].id)
        assert isinstance(forum, discord.ForumChannel)
        draft = forum.available_tags[0]
        post = await forum.create_thread(name="Draft 1", content="Please comment", applied_tags=[draft])
        thread = emu.channel(post.thread.id)
        assert thread.name == "Draft 1" and thread.applied_tags == [draft.id]
        assert emu.messages(thread.id)[0].content == "Please comment"
        assert post.message.id == thread.id
        with pytest.raises(discord.HTTPException) as info:
            await forum.create_thread(name="x" * 101, content="too long")
        assert info.value.code == 50035 and info.value.status == 400
        tags = [discord.ForumTag(name=f"t{i}") for i in range(6)]
        await forum.edit(available_tags=tags)
        forum = bot.get_channel(world["forum"].id)
        await emu.wait_until(lambda: len(bot.get_channel(world["forum"].id).available_tags) == 6)
        forum = bot.get_channel(world["forum"].id)
        with pytest.raises(discord.HTTPException) as info:
            await forum.create_thread(name="ok", content="c", applied_tags=forum.available_tags)
        assert info.value.code == 50035
        with pytest.raises(discord.HTTPException):
            await forum.edit(available_tags=[discord.ForumTag(name="n" * 21)])
        await post.thread.edit(locked=True, archived=True)
        await emu.wait_until(lambda: emu.channel(thread.id).locked)
        emu.set_bot_permissions(world["guild"].id, 0)
        with pytest.raises(discord.Forbidden) as info:
            await forum.edit(available_tags=[])
        assert info.value.code == 50013


async def test_resume_replays_missed_events(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()

    async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    bot.before_identify_hook = no_identify_delay  # discord.py waits 5 s before a re-IDENTIFY
    contents: list[str] = []
    resumed: list[bool] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        contents.append(message.content)

    @bot.event
    async def on_resumed() -> None:
        resumed.append(True)

    async with run_client(emu, bot):
        alice, text = world["alice"], world["text"]
        await emu.drop_connections(resume=True)
        await emu.post_message(alice.id, text.id, "while away")
        await emu.wait_until(lambda: resumed and "while away" in contents)
        assert emu.connected == 1
        await emu.drop_connections(resume=False)
        await emu.wait_for_ready()
        await emu.wait_until(lambda: bot.is_ready())
        await emu.post_message(alice.id, text.id, "after identify")
        await emu.wait_until(lambda: "after identify" in contents)
        assert contents.count("while away") == 1
        assert sum(1 for m, p, _ in emu.requests if p == "/gateway/bot") >= 1


async def test_rate_limit_and_server_error_faults(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    async with run_client(emu, bot):
        text = bot.get_channel(world["text"].id)
        emu.fail_route("POST", r"/channels/\d+/messages$", status=429, retry_after=0.05, times=2)
        msg = await text.send("hello")
        assert emu.request_count("POST", r"/channels/\d+/messages$") == 3
        assert emu.messages(text.id)[-1].content == "hello"
        with pytest.raises(discord.HTTPException) as info:
            await text.send("x" * 2001)
        assert info.value.code == 50035
        await msg.pin()
        assert emu.message(msg.id).pinned
        assert [m.id async for m in text.pins()] == [msg.id]


async def test_dm_closed_and_files(emu: DiscordEmulator, world: dict) -> None:
    import io

    bot = make_bot()
    closed = emu.create_member(world["guild"].id, "Bob", dm_open=False)
    async with run_client(emu, bot):
        alice = await bot.fetch_user(world["alice"].id)
        await alice.send("hi", file=discord.File(io.BytesIO(b"abc"), filename="a.txt"))
        assert emu.dms(world["alice"].id)[0].files == [("a.txt", b"abc")]
        bob = await bot.fetch_user(closed.id)
        with pytest.raises(discord.Forbidden) as info:
            await bob.send("hi")
        assert info.value.code == 50007
