"""The real discord.py client against the emulator: connect, commands, components, reactions."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from rehearsal.emulator import DiscordEmulator, EmulatorError, run_client

from .conftest import make_bot


async def test_ready_and_guild(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    async with run_client(emu, bot):
        guild = bot.get_guild(world["guild"].id)
        assert guild is not None and guild.name == "Wikimedia Strategy"
        assert guild.get_channel(world["forum"].id).type is discord.ChannelType.forum
        assert guild.me is not None
        assert bot.user.id == emu.bot_user_id
        assert emu.connected == 1


async def test_slash_command_ephemeral(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    group = app_commands.Group(name="consultation", description="Consultations")

    @group.command(name="publish", description="Publish a draft")
    async def publish(
        interaction: discord.Interaction, channel: discord.TextChannel, anonymous: bool = False
    ) -> None:
        await interaction.response.send_message(
            f"published in {channel.name} anon={anonymous} {interaction.locale}", ephemeral=True
        )

    bot.tree.add_command(group)
    guild_obj = discord.Object(world["guild"].id)
    async with run_client(emu, bot):
        await bot.tree.sync()
        assert [c["name"] for c in emu.synced_commands()] == ["consultation"]
        bot.tree.copy_global_to(guild=guild_obj)
        await bot.tree.sync(guild=guild_obj)
        assert emu.synced_commands(world["guild"].id)
        res = await emu.run_command(
            world["alice"].id,
            world["guild"].id,
            "consultation publish",
            options={"channel": world["text"].id, "anonymous": True},
        )
        await res.wait(timeout=5)
        assert res.answered_within_deadline
        assert res.ephemeral and res.response_type == 4
        assert res.content == "published in general anon=True fr"
        assert emu.messages(world["text"].id) == []
        with pytest.raises(EmulatorError):
            await emu.run_command(world["alice"].id, world["guild"].id, "nope")


async def test_late_answer_is_refused(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    failures: list[Exception] = []

    @bot.tree.command(name="slow", description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(3.2)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as exc:
            failures.append(exc)

    async with run_client(emu, bot):
        await bot.tree.sync()
        res = await emu.run_command(world["alice"].id, world["guild"].id, "slow")
        await res.wait(timeout=5)
        assert not res.answered_within_deadline
        await emu.wait_until(lambda: failures)
        assert failures[0].code == 10062


class Survey(discord.ui.Modal, title="Your feedback"):
    text = discord.ui.TextInput(label="Comment", custom_id="comment", max_length=500)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Give feedback", custom_id="panel:feedback")
    async def feedback(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(Survey())

    @discord.ui.button(label="Count", custom_id="panel:count")
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="counted")


async def test_button_and_modal(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()

    @bot.tree.command(name="panel", description="Show the panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Panel", view=Panel())

    async with run_client(emu, bot):
        await bot.tree.sync()
        alice, text = world["alice"], world["text"]
        res = await (await emu.run_command(alice.id, world["guild"].id, "panel")).wait()
        assert not res.ephemeral and res.message_id
        assert [m.id for m in emu.messages(text.id)] == [res.message_id]
        click = await (await emu.click_button(alice.id, text.id, res.message_id, "panel:count")).wait()
        assert click.response_type == 7
        assert emu.message(res.message_id).content == "counted"
        opened = await (await emu.click_button(alice.id, text.id, res.message_id, "panel:feedback")).wait()
        assert opened.response_type == 9 and opened.modal["title"] == "Your feedback"
        sub = await (await emu.submit_modal(alice.id, opened, {"comment": "Great"})).wait()
        assert sub.content == "thanks: Great" and sub.ephemeral


async def test_reactions_reach_the_bot(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    seen: list[discord.RawReactionActionEvent] = []

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        seen.append(payload)

    async with run_client(emu, bot):
        alice, text = world["alice"], world["text"]
        msg = await emu.post_message(alice.id, text.id, "Vote here")
        await emu.react(alice.id, text.id, msg.id, "1️⃣")
        await emu.wait_until(lambda: seen)
        assert str(seen[0].emoji) == "1️⃣" and seen[0].user_id == alice.id
        assert seen[0].member is not None and seen[0].member.id == alice.id
        channel = bot.get_channel(text.id)
        partial = channel.get_partial_message(msg.id)
        await partial.add_reaction("✅")
        assert emu.reactions(text.id, msg.id) == {"1️⃣": [alice.id], "✅": [emu.bot_user_id]}
        fetched = await channel.fetch_message(msg.id)
        users = [u.id async for u in fetched.reactions[0].users()]
        assert users == [alice.id]
        for i in range(18):
            emu.react_silently(alice.id, text.id, msg.id, f"e{i}:{1000 + i}")
        with pytest.raises(discord.HTTPException) as info:
            await partial.add_reaction("🔥")
        assert info.value.code == 30010
