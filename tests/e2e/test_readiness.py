"""A real server on day one: the roles chosen at set-up reach their commands, and the bot says what it
may not do, from Discord's state (command permission overrides, roles and channel overwrites)."""

from __future__ import annotations

import re

import pytest

from bot.access import Access
from bot.i18n import t
from bot.selfcheck.permissions import CONSULTATION, Gap
from bot.selfcheck.reach import audience_commands
from bot.selfcheck.render import command_list, gap_line, publish_refusal
from rehearsal.emulator import EmulatorError
from rehearsal.emulator.state import ADD_REACTIONS
from rehearsal.world import World

STEP = re.compile(r"cannot use (?P<commands>.+?) yet.*Server Settings > Integrations > (?P<bot>.+?) >")


def field_text(result, header_key: str) -> str:
    """Every value of the embed's fields under ``header_key`` (continued fields included)."""
    [embed] = result.embeds
    texts, taking = [], False
    for field in embed["fields"]:
        if field["name"] == t(header_key):
            taking = True
        elif field["name"] != "\u200b":
            taking = False
        if taking:
            texts.append(field["value"])
    return "\n".join(texts)


async def set_up_with_plain_roles(world: World):
    """Roles with no permission at all, as an administrator creates them for the occasion."""
    emu, gid = world.emu, world.guild_id
    group = emu.create_role(gid, "Resource Allocation WG (plain)")
    moderators = emu.create_role(gid, "Consultation moderators (plain)")
    world.members["member_of_wg"] = emu.create_member(gid, "Only The Role", roles=[group.id]).id
    world.members["moderator"] = emu.create_member(gid, "Only Moderating", roles=[moderators.id]).id
    answer = await world.command(
        "admin",
        "consultation setup",
        channel=world.forum_id,
        working_group_role=group.id,
        moderator_role=moderators.id,
        digest_channel=world.digest_id,
    )
    return group, moderators, answer


async def test_the_working_group_publishes_after_the_one_step_the_bot_named(bare_world: World):
    world = bare_world
    group, moderators, answer = await set_up_with_plain_roles(world)
    assert answer.ephemeral
    reach = field_text(answer, "selfcheck.reach_header")
    expected = audience_commands(world.bot.tree.get_commands(), Access.WORKING_GROUP)
    assert {"consultation", "digest", "officehours-manage", "feedback-manage"} <= set(expected)
    assert "mod" not in expected
    step = t(
        "selfcheck.role_step",
        role=f"<@&{group.id}>",
        commands=command_list(expected),
        bot=world.bot.user.name,
    )
    assert step in reach
    assert (
        t("selfcheck.role_step", role=f"<@&{moderators.id}>", commands="`/mod`", bot=world.bot.user.name)
        in reach
    )
    assert t("selfcheck.todo_reach") in field_text(answer, "setup.missing_header")
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("member_of_wg", "consultation publish")
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("moderator", "mod lock", recommendation=1)

    # The administrator does what the answer says, in Server Settings > Integrations, and nothing else.
    for line in reach.splitlines():
        found = STEP.search(line)
        assert found and found["bot"] == world.bot.user.name, line
        role_id = int(re.search(r"<@&(\d+)>", line)[1])
        for name in re.findall(r"`/([\w-]+)`", found["commands"]):
            world.emu.override_command_visibility(world.guild_id, name, role_id)

    status = await world.command("admin", "consultation status")
    reach = field_text(status, "selfcheck.reach_header")
    assert t("selfcheck.role_ok", role=f"<@&{group.id}>", commands=command_list(expected)) in reach
    assert t("selfcheck.role_ok", role=f"<@&{moderators.id}>", commands="`/mod`") in reach
    assert "⚠️" not in reach and t("setup.all_set") in field_text(status, "setup.missing_header")

    published = await world.command("member_of_wg", "consultation publish", timeout=60)
    done = await published.wait_for_followup(timeout=60)
    assert done.content.startswith("Published 9 draft recommendations"), done.content
    assert len(world.emu.threads(world.forum_id)) == 9
    locked = await world.command("moderator", "mod lock", recommendation=1)
    assert locked.content.startswith("Locked"), locked.content
    # Run-time checks stay: the moderator, who now sees /mod, is still no working-group member.
    world.emu.override_command_visibility(world.guild_id, "consultation", moderators.id)
    refused = await world.command("moderator", "consultation publish")
    assert refused.content == t("access.working_group")


async def test_no_step_when_the_roles_already_reach_their_commands(bare_world: World):
    """The rehearsal's roles carry Manage Events and Manage Threads; a plain role allowed app-wide
    (Integrations' top section, the application id as target) reaches every command too."""
    world = bare_world
    answer = await world.setup_consultation("forum")
    reach = field_text(answer, "selfcheck.reach_header")
    assert "Integrations" not in reach and reach.count("✅") == 2
    assert t("setup.all_set") in field_text(answer, "setup.missing_header")

    plain = world.emu.create_role(world.guild_id, "Plain group")
    world.members["plain"] = world.emu.create_member(world.guild_id, "Plain", roles=[plain.id]).id
    world.emu.override_command_visibility(world.guild_id, None, plain.id)  # every command, app-wide
    answer = await world.command(
        "admin", "consultation setup", channel=world.forum_id, working_group_role=plain.id
    )
    reach = field_text(answer, "selfcheck.reach_header")
    assert f"✅ <@&{plain.id}>" in reach and "⚠️" not in reach
    preview = await world.command("plain", "consultation preview", recommendation=1)
    assert preview.embeds


async def test_add_reactions_denied_in_the_forum(world: World):
    """Set-up and status name the missing permission and what fails; publish refuses before posting."""
    emu = world.emu
    guild = emu.state.guilds[world.guild_id]
    emu.set_channel_overwrite(world.forum_id, guild.bot_role_id, deny=ADD_REACTIONS)
    gap = Gap(world.forum_id, next(need for need in CONSULTATION if need.permission == "add_reactions"))
    line = gap_line(gap, None)
    assert line == (
        f"⚠️ <#{world.forum_id}>: the bot lacks **Add Reactions**. "
        "Without it the drafts get no scoping-area and stance reactions to click."
    )
    answer = await world.setup_consultation("forum")
    permissions = field_text(answer, "selfcheck.permissions_header")
    assert line in permissions and t("selfcheck.permissions_fix") in permissions
    assert permissions.count("⚠️") == 1  # nothing else is missing
    status = await world.command("wg", "consultation status")
    assert line in field_text(status, "selfcheck.permissions_header")
    assert t("selfcheck.todo_permissions") in field_text(status, "setup.missing_header")

    posts_before = emu.request_count("POST", r"/channels/\d+/(threads|messages)$")
    refused = await world.command("wg", "consultation publish", timeout=30)
    followup = await refused.wait_for_followup(timeout=30)
    assert followup.content == t("selfcheck.publish_refused", missing=publish_refusal([gap], None))
    assert emu.threads(world.forum_id) == [] and emu.messages(world.forum_id) == []
    assert emu.request_count("POST", r"/channels/\d+/(threads|messages)$") == posts_before

    emu.set_channel_overwrite(world.forum_id, guild.bot_role_id)  # the administrator lifts the deny
    status = await world.command("wg", "consultation status")
    assert "✅" in field_text(status, "selfcheck.permissions_header")
    await world.publish()
    assert len(emu.threads(world.forum_id)) == 9


async def test_status_says_when_discord_cannot_be_asked(world: World):
    world.emu.fail_route("GET", r"/guilds/\d+/commands/permissions$", status=403, code=50001)
    status = await world.command("wg", "consultation status")
    assert field_text(status, "selfcheck.reach_header") == t("selfcheck.reach_unknown")
    assert "✅" in field_text(status, "selfcheck.permissions_header")  # the rest is still checked


async def test_setup_answers_in_time_when_discord_is_slow_to_tell_the_overrides(bare_world: World):
    """Discord rate-limits the overrides' read for 2.5 s: the set-up is deferred (the administrator sees
    the bot thinking) and its answer follows, instead of "This interaction failed" past 3 s."""
    world = bare_world
    world.emu.fail_route("GET", r"/guilds/\d+/commands/permissions$", status=429, retry_after=2.5)
    answer = await world.setup_consultation("forum")
    assert answer.answered_within_deadline and answer.deferred and answer.ephemeral
    followup = await answer.wait_for_followup(timeout=10)
    assert followup.content == t("setup.saved") and followup.embeds
