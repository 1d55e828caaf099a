"""Out of process: the emulator as ``python -m rehearsal.emulator`` and the bot as ``python -m bot run``,
two processes driven over the emulator's control API; one sign-up click answered, then a clean SIGTERM."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from rehearsal.emulator.state import ADMINISTRATOR, MANAGE_EVENTS, MANAGE_THREADS
from rehearsal.remote import BotProcess, RemoteEmulator

BLOCKER = """import sys
sys.modules["uvloop"] = None  # as if not installed: the import fails
sys.modules["orjson"] = None
"""


@pytest.mark.parametrize("speedups", ["installed", "absent"])
async def test_out_of_process_click_answered_and_sigterm(tmp_path, speedups):
    environment = {}
    if speedups == "absent":  # uvloop and orjson unavailable in both processes (no wheel, another OS)
        (tmp_path / "sitecustomize.py").write_text(BLOCKER)
        environment["PYTHONPATH"] = str(tmp_path)
    emu = await RemoteEmulator.start(environment=environment)
    bot: BotProcess | None = None
    try:
        guild = (await emu.call("create_guild", "Outside", locale="en-US"))["id"]
        admin_role = (await emu.call("create_role", guild, "Admins", permissions=ADMINISTRATOR))["id"]
        wg_role = (await emu.call("create_role", guild, "WG", permissions=MANAGE_EVENTS))["id"]
        mod_role = (await emu.call("create_role", guild, "Mods", permissions=MANAGE_THREADS))["id"]
        admin = (await emu.call("create_member", guild, "Admin", roles=[admin_role]))["id"]
        wg = (await emu.call("create_member", guild, "WG member", roles=[wg_role]))["id"]
        member = (await emu.call("create_member", guild, "Alice", locale="fr"))["id"]
        forum = (await emu.call("create_channel", guild, "drafts", type=15))["id"]
        digest = (await emu.call("create_channel", guild, "digest", type=0))["id"]

        bot = await BotProcess.start(emu, tmp_path / "bot.sqlite3", **environment)
        setup = await emu.command(
            admin,
            guild,
            "consultation setup",
            channel=forum,
            working_group_role=wg_role,
            moderator_role=mod_role,
            digest_channel=digest,
        )
        assert setup["ephemeral"], setup
        start = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%MZ")
        await emu.command(
            wg,
            guild,
            "officehours-manage schedule",
            followups=1,
            title="Outside hours",
            start=start,
            duration=60,
            capacity=5,
            place="https://meet.example/outside",
        )
        [card] = await emu.components("officehours:signup:")

        click = await emu.call(
            "click_button", member, card["channel_id"], card["message_id"], card["custom_id"]
        )
        answered = await emu.wait(click, timeout=10)
        assert answered["within_deadline"] and answered["ephemeral"], answered
        assert "Outside hours" in answered["content"], answered["content"]

        code = await bot.stop()
        lines = bot.lines
        bot = None
        assert code == 0, "\n".join(lines[-20:])
        assert any("Shutting down" in line for line in lines)
        [loop] = [line for line in lines if "Event loop:" in line]  # said once
        expected = "uvloop is not installed" if speedups == "absent" else "Event loop: uvloop"
        assert expected in loop, loop
        assert not any("Traceback" in line for line in lines), "\n".join(lines[-40:])
    finally:
        if bot is not None:
            await bot.stop(5)
        assert await asyncio.wait_for(emu.stop(), 40) == 0
