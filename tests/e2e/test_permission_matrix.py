"""Every command declares who may run it; everyone else gets a clear ephemeral refusal and nothing changes.

Visibility (``default_permissions``) is only a default: a server administrator can show any command to
anyone (Server Settings > Integrations). The tests that need that set the same command permission
override through the emulator's control API; the run-time check must still refuse.
"""

from __future__ import annotations

import pytest
from discord import AppCommandOptionType, ChannelType, app_commands

from bot.access import VISIBILITY, Access
from bot.data.recommendations import RecommendationRepository
from bot.i18n import t
from rehearsal.emulator import EmulatorError
from rehearsal.emulator.interactions import check_visible, find_command
from tests.commands import walk


def root_of(command):
    while command.parent is not None:
        command = command.parent
    return command


def guarded_commands(bot):
    found = []
    for command in walk(bot.tree.get_commands()):
        access = command.extras.get("access")
        assert isinstance(access, Access), f"/{command.qualified_name} declares no access (@require)"
        if access is not Access.MEMBER:
            found.append((command, access))
    return found


async def plausible_options(world, command):
    """A value for every required option, of the type and range the command declares."""
    posts = await RecommendationRepository(world.db).live_posts(world.guild_id)
    thread_id = posts[0].thread_id
    options = {}
    for parameter in command.parameters:
        if not parameter.required:
            continue
        kind = parameter.type
        if parameter.choices:
            value = parameter.choices[0].value
        elif kind is AppCommandOptionType.integer:
            value = max(int(parameter.min_value or 1), 1)
            if parameter.max_value is not None:
                value = min(value, int(parameter.max_value))
        elif kind is AppCommandOptionType.number:
            value = 1.0
        elif kind is AppCommandOptionType.boolean:
            value = False
        elif kind is AppCommandOptionType.string:
            value = (
                "2026-01-10 18:00 UTC" if "start" in parameter.name or parameter.name == "at" else "Because."
            )
        elif kind in (AppCommandOptionType.user, AppCommandOptionType.mentionable):
            value = world.members["bob"]
        elif kind is AppCommandOptionType.role:
            value = world.roles["working_group"]
        elif kind is AppCommandOptionType.channel:
            types = set(parameter.channel_types)
            if ChannelType.forum in types:
                value = world.forum_id
            elif types & {ChannelType.public_thread, ChannelType.private_thread}:
                value = thread_id
            elif ChannelType.voice in types:
                value = world.voice_id
            else:
                value = world.text_id
        else:
            pytest.fail(f"/{command.qualified_name}: no plausible value for option {parameter.name} ({kind})")
        options[parameter.name] = value
    return options


async def snapshot(world):
    """Every row of every table, and every thread's state: what "nothing changed" means."""
    tables = [r[0] for r in await world.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
    rows = {table: [tuple(r) for r in await world.db.fetchall(f"SELECT * FROM {table}")] for table in tables}
    threads = [(c.id, c.locked, c.archived, c.rate_limit_per_user) for c in world.emu.threads(world.forum_id)]
    pinned = sum(1 for c in world.emu.threads(world.forum_id) for m in world.emu.messages(c.id) if m.pinned)
    return rows, threads, pinned


def holds(world, name, access):
    """Whether the member holds ``access`` in the rehearsal guild (admin, wg, mod or a plain member)."""
    levels = {
        "admin": set(Access),
        "wg": {Access.MEMBER, Access.WORKING_GROUP},
        "mod": {Access.MEMBER, Access.MODERATOR},
    }.get(name, {Access.MEMBER})
    return access in levels


@pytest.fixture
async def published(world):
    await world.publish()
    return world


@pytest.fixture
def overridden(published):
    """A server administrator has shown every command to everyone (Server Settings > Integrations)."""
    for command in published.bot.tree.get_commands():
        published.emu.override_command_visibility(published.guild_id, command.name, published.guild_id)


async def test_every_guarded_command_refuses_everyone_without_access(published, overridden):
    world = published
    guarded = guarded_commands(world.bot)
    assert {c.qualified_name for c, _ in guarded} >= {
        "mod lock",
        "mod phase",
        "mod logchannel",
        "consultation publish",
    }
    refusals = 0
    for command, access in guarded:
        options = await plausible_options(world, command)
        for name in ("alice", "wg", "mod"):
            if holds(world, name, access):
                continue
            before = await snapshot(world)
            result = await world.command(name, command.qualified_name, **options)
            assert result.ephemeral, f"/{command.qualified_name} as {name}"
            assert result.content == t(f"access.{access.value}"), f"/{command.qualified_name} as {name}"
            assert await snapshot(world) == before, f"/{command.qualified_name} as {name} changed something"
            refusals += 1
    assert refusals >= 2 * len(guarded)


async def test_members_who_see_a_group_are_still_checked(published):
    """No override: a member whose role carries the group's visibility permission but no configured role."""
    world = published
    for command, access in guarded_commands(world.bot):
        needed = (
            VISIBILITY[access]
            if root_of(command).default_permissions is None
            else root_of(command).default_permissions
        )
        role = world.emu.create_role(
            world.guild_id, f"sees /{command.qualified_name}", permissions=needed.value
        )
        viewer = world.emu.create_member(world.guild_id, f"viewer {command.qualified_name}", roles=[role.id])
        world.members[f"viewer-{command.qualified_name}"] = viewer.id
        # Manage Threads makes a member a moderator and Administrator passes everything: nothing to refuse.
        if (needed.manage_threads and access is Access.MODERATOR) or needed.administrator:
            continue
        before = await snapshot(world)
        result = await world.command(
            f"viewer-{command.qualified_name}",
            command.qualified_name,
            **await plausible_options(world, command),
        )
        assert result.ephemeral and result.content == t(f"access.{access.value}"), command.qualified_name
        assert await snapshot(world) == before


async def test_plain_members_do_not_see_guarded_groups(published):
    world = published
    hidden = {
        root_of(c) for c, _ in guarded_commands(world.bot) if root_of(c).default_permissions is not None
    }
    assert {group.name for group in hidden} >= {
        "mod",
        "consultation",
        "officehours-manage",
        "feedback-manage",
        "digest",
    }
    for root in hidden:
        # A top-level command (e.g. /digest) is its own first command; a group's is its first child.
        name = f"{root.name} {root.commands[0].name}" if isinstance(root, app_commands.Group) else root.name
        with pytest.raises(EmulatorError, match="not visible"):
            await world.command("alice", name)
    mine = await world.command("alice", "privacy mydata")  # for every member
    assert mine.ephemeral and mine.files


async def test_who_may_do_what_where_it_matters(published, overridden):
    world = published
    for name in ("mod", "admin"):
        log = await world.command(name, "mod log")
        assert log.embeds and log.embeds[0]["title"] == "Audit log", name
    assert (await world.command("wg", "mod log")).content == t("access.moderator")
    assert (await world.command("mod", "mod logchannel", channel=world.digest_id)).content == t(
        "access.administrator"
    )
    assert (
        "now also posted" in (await world.command("admin", "mod logchannel", channel=world.digest_id)).content
    )
    assert (await world.command("mod", "consultation publish")).content == t("access.working_group")
    locked = await world.command("admin", "mod lock", recommendation=1)
    assert locked.content.startswith("Locked")


async def test_no_member_sees_a_guarded_subcommand(published):
    """Discord's visibility default covers a whole top-level command, so a top-level command a plain
    member is offered holds member subcommands only."""
    world = published
    offered = []
    for root in world.bot.tree.get_commands():
        synced = find_command(world.emu, world.guild_id, root.name)
        try:
            check_visible(world.emu, synced, world.members["alice"], world.guild_id, world.text_id)
        except EmulatorError:
            continue
        offered.append(root.name)
        leaves = list(walk(root.commands)) if isinstance(root, app_commands.Group) else [root]
        for leaf in leaves:
            assert leaf.extras["access"] is Access.MEMBER, f"a member sees /{leaf.qualified_name}"
    assert set(offered) == {"feedback", "officehours", "privacy", "language"}
