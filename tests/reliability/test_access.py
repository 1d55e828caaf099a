"""Access: the permission matrix over the whole command tree, run-time refusals when visibility was
widened, and the bot token never in logs, answers or error messages."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from discord import AppCommandOptionType, app_commands

from bot.access import Access
from bot.config import load_settings
from bot.data.audit import AuditRepository
from bot.i18n import t
from rehearsal.emulator import EmulatorError
from rehearsal.emulator.interactions import check_visible, find_command
from rehearsal.emulator.state import MANAGE_EVENTS
from tests.commands import walk

ROOT = Path(__file__).resolve().parents[2]
RANK = {Access.MEMBER: 0, Access.WORKING_GROUP: 1, Access.MODERATOR: 1, Access.ADMINISTRATOR: 2}


def leaf_commands(bot) -> list[app_commands.Command]:
    return list(walk(bot.tree.get_commands()))


def holds(persona: str, access: Access) -> bool:
    held = {
        "alice": {Access.MEMBER},
        "planner": {Access.MEMBER},  # sees working-group commands (Manage Events) without the role
        "wg": {Access.MEMBER, Access.WORKING_GROUP},
        "mod": {Access.MEMBER, Access.MODERATOR},
        "admin": set(Access),
    }
    return access in held[persona]


def sample_options(world, command: app_commands.Command) -> dict[str, object]:
    """A value for every required option, shaped by its type (the refusal must come first)."""
    values: dict[str, object] = {}
    for parameter in command.parameters:
        if not parameter.required:
            continue
        kind = parameter.type
        if parameter.choices:
            values[parameter.name] = parameter.choices[0].value
        elif kind is AppCommandOptionType.string:
            values[parameter.name] = "x"
        elif kind in (AppCommandOptionType.integer, AppCommandOptionType.number):
            values[parameter.name] = 1
        elif kind is AppCommandOptionType.boolean:
            values[parameter.name] = True
        elif kind in (AppCommandOptionType.user, AppCommandOptionType.mentionable):
            values[parameter.name] = world.members["alice"]
        elif kind is AppCommandOptionType.role:
            values[parameter.name] = world.roles["moderator"]
        elif kind is AppCommandOptionType.channel:
            types = {int(getattr(c, "value", c)) for c in parameter.channel_types}
            values[parameter.name] = (
                world.forum_id if 15 in types else world.voice_id if types == {2} else world.text_id
            )
        else:
            pytest.fail(f"/{command.qualified_name}: no sample for option type {kind}")
    return values


async def test_permission_matrix_over_the_command_tree(world, figures):
    planners = world.emu.create_role(world.guild_id, "Event planners", permissions=MANAGE_EVENTS)
    world.members["planner"] = world.emu.create_member(world.guild_id, "Planner", roles=[planners.id]).id
    audit = AuditRepository(world.db)
    commands = leaf_commands(world.bot)
    refused = hidden = allowed = 0
    for command in commands:
        access: Access = command.extras["access"]
        top = find_command(world.emu, world.guild_id, command.qualified_name.split()[0])
        for persona in ("alice", "planner", "mod", "wg", "admin"):
            user = world.members[persona]
            if holds(persona, access):
                check_visible(world.emu, top, user, world.guild_id)  # raises if hidden from who may use it
                allowed += 1
                continue
            before = await audit.count(world.guild_id)
            try:
                result = await world.command(
                    persona, command.qualified_name, **sample_options(world, command)
                )
            except EmulatorError as error:
                assert "not visible" in str(error)
                hidden += 1
                continue
            text = (
                result.content
                if not result.deferred
                else (await result.wait_for_followup(10)).followups[-1].content
            )
            assert result.ephemeral, f"/{command.qualified_name} by {persona}: refusal not ephemeral"
            assert text == t(f"access.{access.value}"), f"/{command.qualified_name} by {persona}: {text!r}"
            assert await audit.count(world.guild_id) == before  # nothing done, nothing recorded
            refused += 1
    figures["commands"] = len(commands)
    figures["allowed"] = allowed
    figures["hidden"] = hidden
    figures["refused_at_run_time"] = refused
    assert refused > 0 and hidden > 0


async def test_guarded_commands_refused_when_an_administrator_made_everything_visible(world, figures):
    """Server settings > Integrations can show any command to anyone: the run-time check still refuses."""
    for command in world.emu.state.global_commands:  # shown to @everyone in Server Settings > Integrations
        world.emu.override_command_visibility(world.guild_id, command["name"], world.guild_id)
    audit = AuditRepository(world.db)
    before = await audit.count(world.guild_id)
    refused = 0
    for command in leaf_commands(world.bot):
        access: Access = command.extras["access"]
        if access is Access.MEMBER:
            continue
        result = await world.command("alice", command.qualified_name, **sample_options(world, command))
        text = (
            result.content
            if not result.deferred
            else (await result.wait_for_followup(10)).followups[-1].content
        )
        assert result.ephemeral and text == t(f"access.{access.value}"), (command.qualified_name, text)
        refused += 1
    assert await audit.count(world.guild_id) == before
    figures["refused_at_run_time"] = refused
    assert refused >= 20


async def test_token_never_in_logs_answers_or_errors(world, caplog, figures):
    caplog.set_level(logging.DEBUG)
    emu = world.emu
    emu.fail_route("POST", r"^/channels/\d+/threads$", status=503, times=1)
    await world.publish()  # refused: a warning with Discord's error
    emu.fail_route("POST", r"^/interactions/\d+/[^/]+/callback$", status=429, retry_after=0.2, times=1)
    await world.publish()
    await world.command("wg", "consultation tally", recommendation=99)  # a refusal sentence
    emu.dispatch_raw("MESSAGE_REACTION_ADD", {"garbage": True})  # a parser error inside discord.py
    await emu.drop_connections(resume=True)
    await emu.wait_until(lambda: emu.connected >= 1, timeout=10)
    await emu.drop_connections(resume=False)  # a fresh IDENTIFY (the token goes over the wire again)
    await emu.wait_until(lambda: emu.connected >= 1, timeout=10)
    await world.restart_bot()  # log in again from scratch
    await world.settle()
    secret = emu.token.rsplit(".", 1)[1]
    texts = [caplog.text]
    for message in emu.state.messages.values():
        texts.append(message.content or "")
        texts.append(str(message.embeds))
    figures["log_lines"] = len(caplog.records)
    figures["messages_checked"] = len(emu.state.messages)
    assert len(caplog.records) > 50
    for text in texts:
        assert emu.token not in text and secret not in text


def run_cli(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CONTENT_PATH")}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_malformed_token_is_refused_in_one_sentence_without_echoing_it(tmp_path, figures):
    secret = "MTIzNDU2Nzg5 secretPartThatMustNotLeak"
    done = run_cli({"DISCORD_TOKEN": secret, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2
    assert output.strip().splitlines() == [
        "error: DISCORD_TOKEN is malformed: a bot token has three parts separated by dots and no spaces "
        "(copy it again from the Developer Portal)."
    ]
    assert "secretPart" not in output and "MTIzNDU2" not in output
    figures["cases"] = 1


async def test_rejected_token_is_one_sentence_without_the_token(world, tmp_path):
    wrong = world.emu.token.rsplit(".", 1)[0] + ".WrongSecretWrongSecretWrongSecret1"
    done = await asyncio.to_thread(
        run_cli,
        {
            "DISCORD_TOKEN": wrong,
            "DISCORD_API_BASE": world.emu.api_base,
            "DATABASE_PATH": str(tmp_path / "rejected.sqlite3"),
        },
        tmp_path,
    )
    output = done.stdout + done.stderr
    assert "WrongSecret" not in output  # holds today
    assert done.returncode != 0
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if line.startswith("error:")], output[-2000:]


def test_settings_repr_hides_the_token():
    token = "MTIzNDU2Nzg5.abcdef.SettingsSecretSettingsSecret"
    assert "SettingsSecret" not in repr(load_settings({"DISCORD_TOKEN": token}))
