"""SIGTERM: ``python -m bot run`` closes everything in order (cogs and their writers, the gateway, the
database) and exits 0, with no traceback; what it had received is on disk."""

from __future__ import annotations

import asyncio
import sqlite3

from rehearsal.world import World
from tests.reliability.test_crash import start_bot


async def test_sigterm_shuts_down_cleanly(tmp_path):
    world = await World.create(tmp_path / "shutdown.sqlite3")
    try:
        bot = await start_bot(world, tmp_path)
        assert (await world.setup_consultation("forum")).ephemeral
        await world.publish()
        post = world.emu.threads(world.forum_id)[0]
        members = [world.emu.create_member(world.guild_id, f"m{i}").id for i in range(300)]
        await world.emu.react_many([(m, post.id, post.id, "👍") for m in members])
        status = await world.command("admin", "consultation status")  # the gateway is ordered: all seen
        assert status.ephemeral
        code = await bot.stop()  # SIGTERM
        assert code == 0, "\n".join(bot.lines[-20:])
        assert bot.saw("Shutting down")
        assert not any("Traceback" in line for line in bot.lines), "\n".join(bot.lines[-40:])
        connection = sqlite3.connect(world.database_path)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = connection.execute(
                "SELECT COUNT(*) FROM reactions WHERE message_id = ? AND emoji = '👍'", (post.id,)
            ).fetchone()[0]
        finally:
            connection.close()
        assert stored == len(members), "reactions the bot had received were lost at shutdown"
    finally:
        await asyncio.wait_for(world.close(), 30)
