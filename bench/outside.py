"""Measured from outside: the emulator in a process of its own (``python -m rehearsal.emulator``, as
Discord is another machine) and the bot as ``python -m bot run``, so the figures are the bot's own.

Run: ``python -m bench.outside [--clicks N] [--seats N] [--reactions N] [--loop asyncio] [--busy]``.
Four phases against the bot, then the same four against the ceiling: the bot's intents in a
``discord.Client`` of its own process that answers every click at once with a fixed ephemeral sentence and
only counts reactions (``bench._ceiling_client``; no database).
- rush: N members click one session's Sign up in the same instant;
- 500/s: N other members click another session's Sign up, spread over N/500 seconds;
- flood: R reaction adds over the gateway; the bot's time ends when every one is a row in its database
  (read from this process), the ceiling's when it has parsed every one;
- together: `/digest since:all` started and reactions streamed at ``--rate`` a second for 6 s; a rush of N
  clicks on a third session lands in the stream (the ceiling gets the clicks and reactions; no digest).
First-answer times are measured in the emulator's process, from the dispatch of the interaction to the
bot's callback (what Discord's 3 s deadline measures). ``--busy`` keeps one core busy with another process
for the whole run. ``--loop asyncio`` runs the emulator, the bot and the ceiling on the plain asyncio loop.
Targets (issue 14): rush p99 <= 1.0x the ceiling and none past 3 s; 500/s p99 < 100 ms and <= 10x.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._common import machine, run_main, say
from rehearsal.emulator.state import ADMINISTRATOR, MANAGE_EVENTS, MANAGE_THREADS
from rehearsal.remote import BotProcess, RemoteEmulator, terminate

FLOOD_MEMBERS = 6000
STREAM_SECONDS = 6
OPTIONS = [f"{n}\ufe0f\u20e3" for n in range(1, 10)] + ["👍", "👎", "🛠️"]


class Guild:
    """A guild on the remote emulator: roles, the working group, an administrator, a forum, a digest."""

    def __init__(self, emu: RemoteEmulator) -> None:
        self.emu = emu

    async def build(self) -> Guild:
        call = self.emu.call
        self.id = (await call("create_guild", "Outside", locale="en-US"))["id"]
        admin_role = (await call("create_role", self.id, "Admins", permissions=ADMINISTRATOR))["id"]
        self.wg_role = (await call("create_role", self.id, "WG", permissions=MANAGE_EVENTS))["id"]
        self.mod_role = (await call("create_role", self.id, "Mods", permissions=MANAGE_THREADS))["id"]
        self.admin = (await call("create_member", self.id, "Admin", roles=[admin_role]))["id"]
        self.wg = (await call("create_member", self.id, "WG", roles=[self.wg_role]))["id"]
        self.forum = (await call("create_channel", self.id, "drafts", type=15))["id"]
        self.digest = (await call("create_channel", self.id, "digest", type=0))["id"]
        return self

    async def set_up(self, sessions: int, seats: int) -> list[tuple[int, int, str]]:
        """Set-up, publish, ``sessions`` office hours; returns each session's card (channel, message, id)."""
        emu = self.emu
        await emu.command(
            self.admin,
            self.id,
            "consultation setup",
            channel=self.forum,
            working_group_role=self.wg_role,
            moderator_role=self.mod_role,
            digest_channel=self.digest,
        )
        await emu.command(self.wg, self.id, "consultation publish", timeout=120, followups=1)
        for day in range(sessions):
            start = (datetime.now(UTC) + timedelta(days=7 + day)).strftime("%Y-%m-%dT%H:%MZ")
            await emu.command(
                self.wg,
                self.id,
                "officehours-manage schedule",
                followups=1,
                title=f"Outside hours {day + 1}",
                start=start,
                duration=60,
                capacity=seats,
                place="https://meet.example/outside",
            )
        cards = await emu.components("officehours:signup:")
        return [(c["channel_id"], c["message_id"], c["custom_id"]) for c in cards]

    async def posts(self) -> list[int]:
        return [thread["id"] for thread in await self.emu.call("threads", self.forum)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used: its own cost, whatever else shares the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_reactions(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute("SELECT COUNT(*) FROM reactions").fetchone()[0]
    finally:
        connection.close()


class Reactions:
    """Distinct reaction adds, taken in order from the (member, post, emoji) space."""

    def __init__(self, members: list[int], posts: list[int]) -> None:
        self.members, self.posts, self.next = members, posts, 0

    def take(self, count: int) -> list[tuple[int, int, int, str]]:
        events = []
        for index in range(self.next, self.next + count):
            member = self.members[index % len(self.members)]
            post = self.posts[(index // len(self.members)) % len(self.posts)]
            emoji = OPTIONS[(index // (len(self.members) * len(self.posts))) % len(OPTIONS)]
            events.append((member, post, post, emoji))
        self.next += count
        return events


class Target:
    """What is measured: the bot (rows in its database) or the ceiling (reactions it parsed)."""

    def __init__(
        self, name: str, pid: int, database: Path | None = None, ceiling: Ceiling | None = None
    ) -> None:
        self.name, self.pid, self.database, self.ceiling = name, pid, database, ceiling
        self.base = 0

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    async def flood(self, emu: RemoteEmulator, events: list, rate: int = 0) -> float:
        """Seconds from sending ``events`` (all at once, or ``rate`` a second) until the target has
        every one."""
        if self.database is not None:
            self.base = await asyncio.to_thread(stored_reactions, self.database)
        started = time.perf_counter()
        if rate:
            sent, step = 0, max(1, rate // 20)
            for index in range(0, len(events), step):
                sent += await emu.call("react_many", events[index : index + step])
                await asyncio.sleep(max(0.0, started + (index + step) / rate - time.perf_counter()))
        else:
            sent = await emu.call("react_many", events)
        if self.ceiling is not None:
            await self.ceiling.wait_for(sent)
        else:
            assert self.database is not None
            # Another process writes the file: polled, as nothing here can be awaited for it.
            while await asyncio.to_thread(stored_reactions, self.database) < self.base + sent:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return time.perf_counter() - started


class Ceiling:
    """``python -m bench._ceiling_client`` against the emulator; counts what it says it parsed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process, self.seen, self.offset = process, 0, 0
        self._changed = asyncio.Event()
        self._ready = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, emu: RemoteEmulator, loop: str) -> Ceiling:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench._ceiling_client",
            "--loop",
            loop,
            env=emu.bot_environment(Path("unused")),
            stdout=asyncio.subprocess.PIPE,
        )
        ceiling = cls(process)
        await asyncio.wait_for(ceiling._ready.wait(), 60)
        return ceiling

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode().strip()
            if line == "ready":
                self._ready.set()
            elif line.startswith("reactions "):
                self.seen = int(line.split()[1])
                self._changed.set()

    async def wait_for(self, count: int) -> None:
        target = self.offset + count
        while self.seen < target:
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), 300)
        self.offset = target


def figures(samples: list[float | None]) -> tuple[float, float, float, int, int]:
    """p50, p99, max (s) of the answered, how many past 3 s, how many never answered."""
    answered = sorted(s for s in samples if s is not None)
    p99 = answered[min(len(answered) - 1, round(0.99 * (len(answered) - 1)))]
    late = sum(s > 3 for s in answered)
    return statistics.median(answered), p99, answered[-1], late, len(samples) - len(answered)


def click_line(label: str, samples: list[float | None], ceiling: list[float | None] | None = None) -> str:
    p50, p99, worst, late, lost = figures(samples)
    text = (
        f"  {label:<22} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms  max {worst * 1000:8.1f} ms"
        f"  past 3 s {late:>4}  unanswered {lost}"
    )
    if ceiling is not None:
        text += f"   p99 {p99 / figures(ceiling)[1]:6.2f}x ceiling"
    return text


async def phases(
    emu: RemoteEmulator,
    guild: Guild,
    target: Target,
    cards: list[tuple[int, int, str]],
    reactions: Reactions,
    clicks: int,
    flood: int,
    rate: int,
) -> dict[str, object]:
    """The four phases against whichever client is connected (the bot or the ceiling)."""
    results: dict[str, object] = {}
    for phase, card, spread in (("rush", cards[0], 0.0), ("500/s", cards[1], clicks / 500)):
        members = await emu.members(guild.id, clicks, prefix=f"{target.name}-{phase}-")
        cpu = target.cpu()
        results[phase] = await emu.click_many([(m, *card) for m in members], spread=spread, timeout=120)
        results[f"{phase} cpu"] = target.cpu() - cpu
    cpu = target.cpu()
    results["flood"] = flood / await target.flood(emu, reactions.take(flood))
    results["flood cpu"] = target.cpu() - cpu
    members = await emu.members(guild.id, clicks, prefix=f"{target.name}-together-")
    digest = None
    started = time.perf_counter()
    if target.database is not None:
        digest = await emu.call("run_command", guild.wg, guild.id, "digest", {"since": "all"})
    streamed = rate * STREAM_SECONDS
    flooding = asyncio.create_task(target.flood(emu, reactions.take(streamed), rate=rate))
    await asyncio.sleep(STREAM_SECONDS / 3)  # the rush lands in the stream, not before it
    results["together"] = await emu.click_many([(m, *cards[2]) for m in members], timeout=120)
    results["together flood"] = streamed / await flooding
    if digest is not None:
        await emu.wait(digest, timeout=300, followups=1)
        results["digest"] = time.perf_counter() - started
    return results


async def main(clicks: int, seats: int, reactions: int, rate: int, loop: str, busy: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bot.sqlite3"
        burner = None
        if busy:
            burner = await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass")
        emu = await RemoteEmulator.start("--loop", loop)
        bot = ceiling = None
        try:
            guild = await Guild(emu).build()
            flood_members = await emu.members(guild.id, FLOOD_MEMBERS, prefix="flood-")
            bot = await BotProcess.start(emu, database, "--loop", loop)
            cards = await guild.set_up(3, seats)
            stream = Reactions(flood_members, await guild.posts())
            mine = Target("bot", bot.process.pid, database)
            ours = await phases(emu, guild, mine, cards, stream, clicks, reactions, rate)
            code = await bot.stop()
            bot = None
            if code != 0:
                raise SystemExit(f"python -m bot run exited with {code}")
            ceiling = await Ceiling.start(emu, loop)
            anchor = await phases(
                emu,
                guild,
                Target("ceiling", ceiling.process.pid, ceiling=ceiling),
                cards,
                stream,
                clicks,
                reactions,
                rate,
            )
        finally:
            if bot is not None:
                await bot.stop(10)
            if ceiling is not None:
                await terminate(ceiling.process, 10)
            await emu.stop()
            if burner is not None:
                with contextlib.suppress(ProcessLookupError):
                    burner.kill()
                await burner.wait()
    loops = "uvloop" if loop == "auto" and has_uvloop() else "asyncio"
    say(
        f"Measured from outside: emulator, bot and ceiling each in its own process, {loops} loop"
        f"{', one core kept busy' if busy else ''} ({machine()})"
    )
    for phase, label in (
        ("rush", f"{clicks:,} clicks, one instant"),
        ("500/s", f"{clicks:,} clicks at 500/s"),
        ("together", f"rush in {rate}/s + digest"),
    ):
        say(click_line(f"bot      {label}", ours[phase], anchor[phase]))  # type: ignore[arg-type]
        say(click_line(f"ceiling  {label}", anchor[phase]))  # type: ignore[arg-type]
    for phase, label in (("flood", "reaction flood"), ("together flood", f"{rate}/s + rush + digest")):
        bot_rate, anchor_rate = ours[phase], anchor[phase]
        say(
            f"  {label:<26} bot {bot_rate:>8,.0f} events/s   ceiling {anchor_rate:>8,.0f} events/s"  # type: ignore[str-format]
            f"   {bot_rate / anchor_rate:5.2f}x"  # type: ignore[operator]
        )
    say("  CPU time of the process (its own cost, whatever else runs on the cores):")
    for phase, unit, count in (
        ("rush", "click", clicks),
        ("500/s", "click", clicks),
        ("flood", "1k reactions", reactions / 1000),
    ):
        bot_ms, anchor_ms = (1000 * r[f"{phase} cpu"] / count for r in (ours, anchor))  # type: ignore[operator]
        say(
            f"    {phase:<8} bot {bot_ms:7.2f} ms per {unit:<13} ceiling {anchor_ms:7.2f} ms"
            f"   {bot_ms / max(anchor_ms, 1e-9):5.2f}x"
        )
    say(f"  digest since:all during the rush and flood: answered in {ours['digest']:.2f} s")  # type: ignore[str-format]


def has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    run_main(
        main,
        __doc__,
        ("--clicks", 1000, "members clicking in each rush"),
        ("--seats", 50, "seats of each session"),
        ("--reactions", 20_000, "reaction adds in each flood"),
        ("--rate", 1000, "reactions a second while the rush and the digest run"),
        ("--loop", "auto", "auto (uvloop when installed) or asyncio"),
        ("--busy", False, "keep one core busy with another process"),
    )
