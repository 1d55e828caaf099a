"""Memory: peak RSS of the bot process in a guild of 100k members, 9 posts and 500k reactions tallied.

Run: ``python -m bench.memory [--members N] [--reactions N]``. The emulator runs in this process; the
bot runs as its own process (``python -m bot run`` pointed at the emulator), so its RSS is its own.
Reactions arrive as gateway events from the guild's members, in chunks, until every one is a row in
the bot's database. Printed beside it: the same bot's RSS right after start-up, idle. Target < 150 MB.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from bench._common import machine, run_main, say, timed
from rehearsal.emulator import DiscordEmulator
from rehearsal.world import World

CHUNK = 20_000


def rss_mb(pid: int, field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def stored_reactions(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT COUNT(*) FROM reactions").fetchone()[0]
    finally:
        connection.close()


async def send_and_wait(emu: DiscordEmulator, batch: list, database: Path, before: int) -> int:
    """Send a chunk of reactions; return once the bot has committed all of them."""
    count = await emu.react_many(batch)
    await emu.wait_until(lambda: stored_reactions(database) >= before + count, timeout=120, interval=0.2)
    return count


async def main(member_count: int, reaction_count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bot.sqlite3"
        world = await World.create(database, members={})
        process = None
        try:
            emu = world.emu
            members = [emu.create_member(world.guild_id, f"m{i}").id for i in range(member_count)]
            env = dict(os.environ)
            env.update(
                DISCORD_TOKEN=emu.token,
                DISCORD_API_BASE=emu.api_base,
                DATABASE_PATH=str(database),
                LOG_LEVEL="WARNING",
            )
            process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env)
            await emu.wait_for_ready(timeout=60)
            await emu.wait_until(lambda: bool(emu.synced_commands()), timeout=60)
            await world.setup_consultation("forum")
            await world.publish()
            idle = rss_mb(process.pid, "VmRSS")
            posts = [thread.id for thread in emu.threads(world.forum_id)]
            options = [f"{n}\ufe0f\u20e3" for n in range(1, 10)] + ["👍", "👎", "🛠️"]
            combos = (
                (members[i % len(members)], posts[(i // len(members)) % len(posts)])
                for i in range(reaction_count)
            )
            sent = 0
            with timed() as timer:
                batch = []
                for index, (member, post) in enumerate(combos):
                    emoji = options[(index * 7 + member) % len(options)]
                    batch.append((member, post, post, emoji))
                    if len(batch) == CHUNK:
                        sent += await send_and_wait(emu, batch, database, sent)
                        batch = []
                sent += await send_and_wait(emu, batch, database, sent)
            peak = rss_mb(process.pid, "VmHWM")
            now = rss_mb(process.pid, "VmRSS")
        finally:
            if process is not None and process.returncode is None:
                process.terminate()
                await process.wait()
            await world.close()
    say(f"Memory: bot process in a guild of {member_count:,} members, 9 posts ({machine()})")
    say(
        f"  reactions tallied           {sent:>10,}  in {timer.seconds:.1f} s ({sent / timer.seconds:,.0f}/s)"
    )
    say(f"  RSS idle after start-up     {idle:>10.1f} MB")
    say(f"  RSS after the tally         {now:>10.1f} MB")
    say(f"  peak RSS (VmHWM)            {peak:>10.1f} MB   (target < 150 MB; {peak / idle:.2f}x idle)")


if __name__ == "__main__":
    run_main(main, __doc__, ("--members", 100_000, None), ("--reactions", 500_000, None))
