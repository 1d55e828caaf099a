"""Deferred answers and followups, autocomplete, visibility, events, intents, duplicates."""

from __future__ import annotations

import datetime

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from rehearsal.emulator import ApiError, DiscordEmulator, EmulatorError, run_client

from .conftest import make_bot


async def test_defer_followup_and_autocomplete(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()

    async def recommend(interaction: discord.Interaction, current: str) -> list:
        names = ["Des ressources", "Desktop", "Other"]
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    @bot.tree.command(name="feedback", description="Give feedback")
    @app_commands.autocomplete(recommendation=recommend)
    async def feedback(interaction: discord.Interaction, recommendation: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(f"noted {recommendation}", ephemeral=True)
        await interaction.followup.send("second")
        await interaction.edit_original_response(content="edited")

    @bot.tree.command(name="admin", description="Admins only")
    @app_commands.default_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    gid = world["guild"].id
    async with run_client(emu, bot):
        await bot.tree.sync()
        alice = world["alice"]
        choices = await emu.autocomplete(alice.id, gid, "feedback", option="recommendation", value="Des")
        assert [c["name"] for c in choices] == ["Des ressources", "Desktop"]
        res = await emu.run_command(alice.id, gid, "feedback", {"recommendation": "Desktop"})
        await res.wait()
        assert res.deferred and res.ephemeral
        await res.wait_for_followup(count=2)
        assert res.followups[0].content == "noted Desktop"
        assert res.followups[1].content == "second"
        await emu.wait_until(lambda: res.content == "edited")
        with pytest.raises(EmulatorError, match="not visible"):
            await emu.run_command(alice.id, gid, "admin")
        owner = world["guild"].owner_id
        assert (await (await emu.run_command(owner, gid, "admin")).wait()).content == "ok"


async def test_second_ack_refused(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    errors: list[int] = []

    @bot.tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        try:
            await interaction.client.http.request(
                discord.http.Route(
                    "POST",
                    "/interactions/{i}/{t}/callback",
                    i=interaction.id,
                    t=interaction.token,
                ),
                json={"type": 4, "data": {"content": "two"}},
            )
        except discord.HTTPException as exc:
            errors.append(exc.code)

    async with run_client(emu, bot):
        await bot.tree.sync()
        await (await emu.run_command(world["alice"].id, world["guild"].id, "twice")).wait()
        await emu.wait_until(lambda: errors)
        assert errors == [40060]


async def test_events_threads_and_locked(emu: DiscordEmulator, world: dict) -> None:
    bot = make_bot()
    created: list[discord.ScheduledEvent] = []

    @bot.event
    async def on_scheduled_event_create(event: discord.ScheduledEvent) -> None:
        created.append(event)

    async with run_client(emu, bot):
        guild = bot.get_guild(world["guild"].id)
        start = discord.utils.utcnow() + datetime.timedelta(days=1)
        event = await guild.create_scheduled_event(
            name="Office hours",
            start_time=start,
            end_time=start + datetime.timedelta(hours=1),
            entity_type=discord.EntityType.external,
            location="Jitsi",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        assert emu.scheduled_events(guild.id)[0].name == "Office hours"
        await emu.wait_until(lambda: created)
        assert created[0].id == event.id
        text = bot.get_channel(world["text"].id)
        msg = await text.send("Discuss")
        thread = await msg.create_thread(name="Discussion")
        assert thread.id == msg.id and emu.channel(thread.id).parent_id == text.id
        await emu.post_message(world["alice"].id, thread.id, "in thread")
        await thread.edit(locked=True)
        with pytest.raises(ApiError) as info:
            await emu.post_message(world["alice"].id, thread.id, "refused")
        assert info.value.code == 50083
        await thread.send("moderator can still post")
        await thread.edit(archived=True)
        with pytest.raises(discord.Forbidden) as err:
            await thread.send("archived")
        assert err.value.code == 50083
        emu.set_bot_permissions(guild.id, discord.Permissions(send_messages=True).value)
        with pytest.raises(discord.Forbidden):
            await guild.create_scheduled_event(
                name="No",
                start_time=start,
                end_time=start,
                entity_type=discord.EntityType.external,
                location="x",
                privacy_level=discord.PrivacyLevel.guild_only,
            )


async def test_without_message_content_and_duplicates(emu: DiscordEmulator, world: dict) -> None:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)
    seen: list[str] = []
    raw: list[int] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        raw.append(payload.user_id)

    async with run_client(emu, bot):
        alice, text = world["alice"], world["text"]
        await emu.post_message(alice.id, text.id, "secret")
        await emu.post_message(alice.id, text.id, f"hey <@{emu.bot_user_id}>")
        await emu.wait_until(lambda: len(seen) == 2)
        assert seen == ["", f"hey <@{emu.bot_user_id}>"]
        emu.deliver_twice(next_n=1)
        msg = await emu.post_message(alice.id, text.id, "dup")
        await emu.wait_until(lambda: len(seen) == 4)
        members = [emu.create_member(world["guild"].id, f"m{i}") for i in range(50)]
        count = await emu.react_many([(m.id, text.id, msg.id, "👍") for m in members])
        assert count == 50
        await emu.wait_until(lambda: len(raw) == 50)
        assert len(emu.reactions(text.id, msg.id)["👍"]) == 50


async def test_command_visibility_overrides(emu: DiscordEmulator, world: dict) -> None:
    """Discord's order: administrator, then the member's override, their roles', then @everyone's."""
    bot = make_bot()

    @bot.tree.command(name="secret", description="For moderators")
    @app_commands.default_permissions(manage_threads=True)
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    gid = world["guild"].id
    async with run_client(emu, bot):
        await bot.tree.sync()
        member = emu.create_member(gid, "Plain")
        role = emu.create_role(gid, "Helpers")
        helper = emu.create_member(gid, "Helper", roles=[role.id])
        with pytest.raises(EmulatorError, match="not visible"):
            await emu.run_command(member.id, gid, "secret")
        emu.override_command_visibility(gid, "secret", role.id)
        assert (await (await emu.run_command(helper.id, gid, "secret")).wait()).content == "ok"
        emu.override_command_visibility(gid, "secret", gid)  # everyone
        assert (await (await emu.run_command(member.id, gid, "secret")).wait()).content == "ok"
        emu.override_command_visibility(gid, "secret", member.id, allow=False)
        with pytest.raises(EmulatorError, match="hidden"):
            await emu.run_command(member.id, gid, "secret")
