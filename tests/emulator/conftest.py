"""Fixtures: an emulator with one guild, and a discord.py bot factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from rehearsal.emulator import DiscordEmulator

discord.utils.setup_logging(level=logging.INFO)
logging.getLogger("discord.http").setLevel(logging.WARNING)


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    emulator = DiscordEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def world(emu: DiscordEmulator) -> dict:
    guild = emu.create_guild("Wikimedia Strategy")
    wg = emu.create_role(guild.id, "Working group", permissions=0)
    alice = emu.create_member(guild.id, "Alice", roles=[wg.id], locale="fr")
    text = emu.create_channel(guild.id, "general")
    forum = emu.create_channel(
        guild.id, "consultation", type=discord.ChannelType.forum, available_tags=["draft", "final"]
    )
    return {"guild": guild, "alice": alice, "text": text, "forum": forum, "role": wg}


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
