"""Full gateway path: reaction events sent by the emulator over the websocket, parsed by discord.py,
tallied and durable, against the ceiling: the same events into a client whose handler does nothing.

Run: ``python -m bench.gateway [--events N] [--profile]``. Both clients connect to the same loopback
emulator in this process, one after the other, with the same intents; each gets N distinct reaction
adds on the drafts' posts. The bot's time ends when every event is a committed row in SQLite.
Target: >= 0.9x the ceiling (issue 14). ``--profile`` adds a cProfile run of the bot and says where time goes.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import discord

from bench._common import machine, run_main, say, timed
from bot.client import intents
from rehearsal.emulator import run_client
from rehearsal.world import World

MEMBERS = 6000


class Ceiling(discord.Client):
    """The same gateway stream and intents, a handler that only counts."""

    def __init__(self, expected: int) -> None:
        super().__init__(intents=intents(), guild_ready_timeout=0.05)
        self.expected = expected
        self.seen = 0
        self.done = asyncio.Event()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.seen += 1
        if self.seen >= self.expected:
            self.done.set()


def events_for(
    world: World, posts: list, options: list[str], members: list[int], count: int, start: int
) -> list:
    """``count`` distinct adds, taken in a fixed order from offset ``start`` of the combination space."""
    combos = []
    index = start
    while len(combos) < count:
        member = members[index % len(members)]
        post = posts[(index // len(members)) % len(posts)]
        emoji = options[(index // (len(members) * len(posts))) % len(options)]
        combos.append((member, post.thread_id, post.message_id, emoji))
        index += 1
    return combos


class Cpu:
    """CPU time of this process (every thread) over a block: the work done, whatever else shares the
    cores; the wall-clock rate moves with the machine's load, this does not."""

    def __enter__(self) -> Cpu:
        self.start = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.process_time() - self.start


CPU: dict[str, list[float]] = {"bot": [], "ceiling": []}


async def run_bot(world: World, events: list) -> float:
    assert world.bot is not None
    tally = world.bot.services.tally
    before = await world.db.fetchval("SELECT COUNT(*) FROM reactions")
    target = before + len(events)
    written = tally.writer.written  # type: ignore[union-attr]
    with timed() as timer, Cpu() as cpu:
        await world.emu.react_many(events)
        await world.emu.wait_until(
            lambda: tally.writer.written - written >= len(events),  # type: ignore[union-attr]
            timeout=300,
            interval=0.005,
        )
    CPU["bot"].append(cpu.seconds / len(events))
    stored = await world.db.fetchval("SELECT COUNT(*) FROM reactions")
    assert stored == target, (stored, target)
    return timer.seconds


async def run_ceiling(world: World, events: list) -> float:
    client = Ceiling(len(events))
    async with run_client(world.emu, client):
        with timed() as timer, Cpu() as cpu:
            await world.emu.react_many(events)
            await asyncio.wait_for(client.done.wait(), 300)
    CPU["ceiling"].append(cpu.seconds / len(events))
    return timer.seconds


async def main(count: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = await World.create(Path(folder) / "bench.sqlite3", members={})
        try:
            members = [world.emu.create_member(world.guild_id, f"m{i}").id for i in range(MEMBERS)]
            await world.start_bot()
            await world.setup_consultation("forum")
            await world.publish()
            assert world.bot is not None
            from bot.data.recommendations import RecommendationRepository

            posts = await RecommendationRepository(world.db).live_posts(world.guild_id)
            guilds = world.bot.guild_repository
            options = [a.emoji for a in await guilds.scoping_areas(world.guild_id)]
            options += [s.emoji for s in await guilds.stances(world.guild_id)]
            say(f"Full gateway path: {count:,} MESSAGE_REACTION_ADD events per run ({machine()})")
            results: dict[str, list[float]] = {"bot": [], "ceiling": []}
            offset = 0
            for _ in range(2):  # alternate, best of two each, so drift hits both alike
                await world.stop_bot()
                results["ceiling"].append(
                    await run_ceiling(world, events_for(world, posts, options, members, count, offset))
                )
                offset += count
                await world.start_bot()
                await world.wait_for_catch_up(timeout=120)
                await world.settle()
                results["bot"].append(
                    await run_bot(world, events_for(world, posts, options, members, count, offset))
                )
                offset += count
            bot_rate = count / min(results["bot"])
            ceiling_rate = count / min(results["ceiling"])
            say(f"  bot (parse + tally + durable)  {bot_rate:>10,.0f} events/s")
            say(f"  ceiling (parse, no-op handler) {ceiling_rate:>10,.0f} events/s")
            say(f"  ratio bot / ceiling            {bot_rate / ceiling_rate:10.2f}x   (target >= 0.9x)")
            bot_cpu, ceiling_cpu = min(CPU["bot"]) * 1e6, min(CPU["ceiling"]) * 1e6
            say(
                f"  CPU per event (emulator included)  bot {bot_cpu:.0f} µs, ceiling {ceiling_cpu:.0f} µs:"
                f" ratio {ceiling_cpu / bot_cpu:.2f}x (the rate the cores allow, whatever else runs)"
            )
            if profile:
                events = events_for(world, posts, options, members, count // 2, offset)
                profiler = cProfile.Profile()
                profiler.enable()
                await run_bot(world, events)
                profiler.disable()
                report_profile(profiler)
        finally:
            await world.close()


SHARES = {
    "websocket receive + JSON": ("gateway.py:received_message", "aiohttp", "json"),
    "discord.py parse (state, Member, RawReactionActionEvent)": ("parse_message_reaction_add",),
    "bot handler (the cog's parser: filter, queue)": ("_tally.py:parse",),
    "durable write (SQLite)": ("writer.py:flush",),
    "emulator (sending, same process)": ("control_members.py:react_many",),
}


def report_profile(profiler: cProfile.Profile) -> None:
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    say("  where the bot's time goes (cProfile, cumulative time of the entry points):")
    for label, needles in SHARES.items():
        cumulative = max(
            (
                entry[3]
                for (filename, line, name), entry in stats.stats.items()  # type: ignore[attr-defined]
                if any(n in f"{filename}:{name}" for n in needles)
            ),
            default=0.0,
        )
        say(f"    {label:<58} {cumulative:6.2f} s")
    say(f"    {'total profiled time':<58} {total:6.2f} s")


if __name__ == "__main__":
    run_main(main, __doc__, ("--events", 50_000, None), ("--profile", False, None))
