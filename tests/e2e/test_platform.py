"""The platform end to end: the bot connects, gets its guild, syncs commands, answers in time."""

from bot.client import extension_names


async def test_bot_connects_syncs_and_answers_in_time(bare_world):
    world = bare_world
    bot = world.bot
    assert bot.get_guild(world.guild_id) is not None
    names = {command["name"] for command in world.emu.synced_commands()}
    assert "consultation" in names
    assert extension_names()
    refused = await world.command("wg", "consultation status")
    assert refused.content == "Only members of the working group can do that.", "no role is set up yet"
    result = await world.command("admin", "consultation status")
    assert result.ephemeral
    assert result.answered_within_deadline
    assert result.elapsed < 3
    assert result.embeds, result.content
    assert "Still to do" in [field["name"] for field in result.embeds[0]["fields"]]


async def test_commands_are_not_synced_again_when_unchanged(bare_world):
    world = bare_world
    before = world.emu.request_count("PUT", r"/applications/\d+/commands")
    await world.restart_bot()
    assert world.emu.request_count("PUT", r"/applications/\d+/commands") == before


async def test_survives_a_dropped_websocket(world):
    await world.emu.drop_connections(resume=True)
    await world.emu.wait_for_ready()
    result = await world.command("wg", "consultation status")
    assert result.ephemeral and result.answered_within_deadline


async def test_plain_member_is_refused_admin_setup(bare_world):
    world = bare_world
    result = await world.command(
        "wg",
        "consultation setup",
        channel=world.forum_id,
        working_group_role=world.roles["working_group"],
    )
    assert result.ephemeral
    assert result.content == "Only server administrators can do that."


async def test_command_descriptions_are_synced_in_members_languages(bare_world):
    synced = {command["name"]: command for command in bare_world.emu.synced_commands()}
    publish = next(o for o in synced["consultation"]["options"] if o["name"] == "publish")
    localized = publish.get("description_localizations") or {}
    assert {"fr", "es-ES"} <= set(localized)
    assert publish["name"] == "publish" and not publish.get("name_localizations")
