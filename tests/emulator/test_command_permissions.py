"""Command permission overrides: who sees a command, what a bot token may read, and that it may not write."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from rehearsal.emulator import DiscordEmulator, EmulatorError, run_client
from rehearsal.emulator.state import MANAGE_EVENTS

from .conftest import make_bot


def two_commands(bot):
    @bot.tree.command(name="planning", description="Needs Manage Events")
    @app_commands.default_permissions(manage_events=True)
    async def planning(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("planned", ephemeral=True)

    @bot.tree.command(name="hello", description="For everyone")
    async def hello(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("hi", ephemeral=True)


async def answer(emu: DiscordEmulator, user: int, gid: int, command: str, channel: int | None = None) -> str:
    result = await emu.run_command(user, gid, command, channel_id=channel)
    return (await result.wait()).content


async def test_a_bot_token_reads_overrides_and_may_not_write_them(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    two_commands(bot)
    gid, role = world["guild"].id, world["role"]
    async with run_client(emu, bot):
        synced = {c.name: c for c in await bot.tree.sync()}
        app_id = emu.application_id
        assert await bot.http.get_guild_application_command_permissions(app_id, gid) == []
        with pytest.raises(discord.NotFound) as unknown:
            await synced["planning"].fetch_permissions(discord.Object(gid))
        assert unknown.value.code == 10066

        updates: list[discord.RawAppCommandPermissionsUpdateEvent] = []
        seen = asyncio.Event()

        async def on_raw_app_command_permissions_update(event) -> None:
            updates.append(event)
            seen.set()

        bot.add_listener(on_raw_app_command_permissions_update)
        emu.override_command_visibility(gid, "planning", role.id)
        emu.override_command_visibility(gid, None, gid - 1, allow=False)  # app-wide: not in any channel
        await asyncio.wait_for(seen.wait(), 5)
        assert updates[0].target_id == synced["planning"].id

        raw = await bot.http.get_guild_application_command_permissions(app_id, gid)
        listed = {int(p["id"]): p for p in raw}
        assert listed[synced["planning"].id]["permissions"] == [
            {"id": str(role.id), "type": 1, "permission": True}
        ]
        assert listed[app_id]["permissions"] == [{"id": str(gid - 1), "type": 3, "permission": False}]
        fetched = await synced["planning"].fetch_permissions(discord.Object(gid))
        assert [(p.target.id, p.permission) for p in fetched.permissions] == [(role.id, True)]

        with pytest.raises(discord.Forbidden) as refused:
            await bot.http.edit_application_command_permissions(
                app_id,
                gid,
                synced["planning"].id,
                {"permissions": [{"id": str(gid), "type": 1, "permission": True}]},
            )
        assert refused.value.code == 20001 and refused.value.text == "Bots cannot use this endpoint"


async def test_who_sees_a_command(emu: DiscordEmulator, world: dict) -> None:
    """Administrators always; the member's override, then their roles', then @everyone's, command-level
    before app-level; default_member_permissions otherwise, also under an app-wide @everyone allow."""
    bot = make_bot()
    two_commands(bot)
    gid, wg = world["guild"].id, world["role"]
    alice = world["alice"].id  # holds only the working-group role, which has no permission
    planners = emu.create_role(gid, "Planners", permissions=MANAGE_EVENTS)
    planner = emu.create_member(gid, "Planner", roles=[planners.id]).id
    plain = emu.create_member(gid, "Plain").id
    async with run_client(emu, bot):
        await bot.tree.sync()
        assert await answer(emu, planner, gid, "planning") == "planned"
        with pytest.raises(EmulatorError, match="not visible"):
            await emu.run_command(alice, gid, "planning")

        emu.override_command_visibility(gid, None, gid)  # app-wide @everyone allow: defaults still apply
        with pytest.raises(EmulatorError, match="not visible"):
            await emu.run_command(alice, gid, "planning")

        emu.override_command_visibility(gid, None, wg.id)  # the role, app-wide: every command
        assert await answer(emu, alice, gid, "planning") == "planned"
        emu.override_command_visibility(gid, "planning", wg.id, allow=False)  # the command overrides
        with pytest.raises(EmulatorError, match="hidden"):
            await emu.run_command(alice, gid, "planning")
        emu.override_command_visibility(gid, "planning", alice)  # the member beats their role
        assert await answer(emu, alice, gid, "planning") == "planned"

        emu.override_command_visibility(gid, None, gid, allow=False)  # app-wide @everyone deny
        with pytest.raises(EmulatorError, match="hidden"):
            await emu.run_command(plain, gid, "hello")
        emu.override_command_visibility(gid, "hello", gid)  # the command's own @everyone allow
        assert await answer(emu, plain, gid, "hello") == "hi"


async def test_channels_and_threads(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    two_commands(bot)
    gid, text = world["guild"].id, world["text"]
    other = emu.create_channel(gid, "elsewhere")
    plain = emu.create_member(gid, "Plain").id
    owner = world["guild"].owner_id
    async with run_client(emu, bot):
        await bot.tree.sync()
        thread = await emu.create_thread(plain, text.id, "a thread")
        emu.override_command_visibility(gid, None, gid - 1, allow=False)  # All Channels off
        emu.override_command_visibility(gid, "hello", text.id)  # but /hello in #general
        for channel in (text.id, thread.id):  # a thread follows its parent
            assert await answer(emu, plain, gid, "hello", channel) == "hi"
        with pytest.raises(EmulatorError, match="hidden in channel"):
            await emu.run_command(plain, gid, "hello", channel_id=other.id)
        with pytest.raises(EmulatorError, match="hidden in channel"):
            await emu.autocomplete(plain, gid, "hello", option="x", value="", channel_id=other.id)
        assert await answer(emu, owner, gid, "hello", other.id) == "hi"  # the owner sees everything
