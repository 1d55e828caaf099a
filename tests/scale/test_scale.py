"""The scale test (issue 15): bots as ``python -m bot run`` processes, 6 shards over 30 guilds, the
emulator in its own process (``python -m rehearsal.emulator``, driven through ``rehearsal.remote``).
Each guild publishes, gets a reaction flood (a bot process SIGKILLed half way and restarted), a sign-up
rush and a due reminder, and a weekly digest falls due. Then: every guild's tally equals the emulator's
reactions cell by cell, every reminder and weekly digest was sent once, each session has exactly
``capacity`` seats, and no process touched a guild outside its shards.

SQLite: one process runs all 6 shards (SQLite's run lock allows one bot per file). PostgreSQL (when the
backend is there and reachable): 3 processes x 2 shards over one database, one of them killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import SystemClock, to_db
from bot.config import load_settings
from bot.data.database import Database
from bot.data.digest import DigestRepository
from bot.data.guilds import GuildRepository
from bot.data.leases import LEASE
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from rehearsal.emulator.state import ADMINISTRATOR, MANAGE_EVENTS, MANAGE_THREADS
from rehearsal.remote import RemoteEmulator
from rehearsal.world import TallyCells, stored_tally

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUILDS, SHARDS, MEMBERS, CAPACITY, RECOMMENDATIONS = 30, 6, 12, 3, 3
READY_TIMEOUT = 120
FLOOD_CHUNK = 20  # reactions per control call: the burst arrives over a few seconds, not in one frame
FORUM, TEXT, VOICE = 15, 0, 2
WEEKLY_TURN = 5 * 60  # cogs/digest.py's weekly loop: every 5 minutes and at each start
FIGURES: dict[str, Any] = {}  # printed at the end (pytest -s shows them)


def trimmed_content(path: Path) -> Path:
    """The default content with its first recommendations only (30 guilds x 3 posts)."""
    text = (ROOT / "bot" / "content" / "default.toml").read_text(encoding="utf-8")
    parts = text.split("[[recommendations]]")
    path.write_text("[[recommendations]]".join(parts[: RECOMMENDATIONS + 1]), encoding="utf-8")
    return path


async def build_world(emu: RemoteEmulator) -> list[dict[str, Any]]:
    """``GUILDS`` guilds spread evenly over ``SHARDS`` shards, each with roles, channels and members."""

    async def guild(n: int) -> dict[str, Any]:
        gid = (await emu.call("create_guild", f"Affiliate {n}", shard=[n % SHARDS, SHARDS]))["id"]
        roles = {
            key: (await emu.call("create_role", gid, name, permissions=permissions))["id"]
            for key, name, permissions in (
                ("admin", "Admins", ADMINISTRATOR),
                ("working_group", "Working group", MANAGE_EVENTS),
                ("moderator", "Moderators", MANAGE_THREADS),
            )
        }
        channels = {
            key: (await emu.call("create_channel", gid, key, type=kind))["id"]
            for key, kind in (("text", TEXT), ("forum", FORUM), ("digest", TEXT), ("voice", VOICE))
        }
        return {
            "id": gid,
            "roles": roles,
            "admin": (await emu.call("create_member", gid, "Admin", roles=[roles["admin"]]))["id"],
            "wg": (await emu.call("create_member", gid, "Working group", roles=[roles["working_group"]]))[
                "id"
            ],
            "members": await emu.members(gid, MEMBERS),
            **channels,
        }

    return list(await asyncio.gather(*(guild(n) for n in range(GUILDS))))


async def info(emu: RemoteEmulator) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{emu.control}/info") as response:
        return await response.json()


@dataclass
class BotProcess:
    """One ``python -m bot run`` with its shards (None: all of them) and its log file."""

    env: dict[str, str]
    log: Path
    shard_ids: tuple[int, ...] | None
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    killed: int = 0
    logs: list[str] = field(default_factory=list)

    async def start(self) -> None:
        env = dict(self.env)
        if self.shard_ids is not None:
            env.update(SHARD_COUNT=str(SHARDS), SHARD_IDS=",".join(map(str, self.shard_ids)))
        self.starts += 1
        handle = self.log.with_suffix(f".{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.log.parent, env=env, stdout=handle, stderr=handle
        )
        handle.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.killed += 1

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 60)

    def log_lines(self) -> list[str]:
        lines = []
        for n in range(1, self.starts + 1):
            path = self.log.with_suffix(f".{n}.log")
            if path.exists():
                lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
        return lines


def backends() -> list[Any]:
    pg_server = os.environ.get("SCALE_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    has_pg_backend = "database_url" in getattr(load_settings({}), "__slots__", ())
    return [
        pytest.param(("sqlite", None, [None]), id="sqlite-1x6"),
        pytest.param(
            ("postgresql", pg_server, [(0, 1), (2, 3), (4, 5)]),
            id="postgresql-3x2",
            marks=pytest.mark.skipif(
                not has_pg_backend, reason="the PostgreSQL backend (DATABASE_URL) is not in this branch yet"
            ),
        ),
    ]


@pytest.fixture
async def emulator() -> AsyncIterator[RemoteEmulator]:
    """``python -m rehearsal.emulator`` recommending ``SHARDS`` shards, all allowed to identify at once."""
    emu = await RemoteEmulator.start()
    try:
        await emu.call("shard_as", SHARDS, SHARDS)
        yield emu
    finally:
        await emu.stop()


def at(minutes: int) -> datetime:
    now = SystemClock().now().replace(second=0, microsecond=0)
    return now + timedelta(minutes=minutes)


def expected_tally(reactions: dict[str, dict[str, list[int]]], posts, areas, stances, bots) -> TallyCells:
    """The cross-tab from the emulator's reaction lists (as ``rehearsal.world.discord_tally``)."""
    options = {a.emoji for a in areas} | {s.emoji for s in stances}
    cells: TallyCells = {}
    for number, message_id in posts:
        raw = reactions.get(str(message_id), {})
        lists = {e: {u for u in users if u not in bots} for e, users in raw.items() if e in options}
        stance = {s.key: lists.get(s.emoji, set()) for s in stances}
        for area in areas:
            tagged = lists.get(area.emoji, set())
            cells[(number, area.number)] = (
                len(tagged),
                len(tagged & stance["support"]),
                len(tagged & stance["oppose"]),
                len(tagged & stance["needs_work"]),
            )
        everyone = set().union(*lists.values()) if lists else set()
        cells[(number, "all")] = (
            len(everyone),
            len(stance["support"]),
            len(stance["oppose"]),
            len(stance["needs_work"]),
        )
    return cells


async def wait_for_log(bots: list[BotProcess], text: str, counts: list[int], timeout: float = 180) -> None:
    """Until every bot's logs hold ``text`` more times than ``counts`` (the bot said it did it)."""
    async with asyncio.timeout(timeout):
        # Another process's log file is the signal; nothing to await on but reading it again.
        while any(  # noqa: ASYNC110
            sum(text in line for line in b.log_lines()) <= c for b, c in zip(bots, counts, strict=True)
        ):
            await asyncio.sleep(0.2)


async def report(emu: RemoteEmulator, messages: list[list[int]], channels: list[int]) -> dict[str, Any]:
    """Reactions of the given messages, and the bot's messages in the given channels (by id)."""
    bot_user = (await info(emu))["bot_user_id"]
    reactions = {str(m): await emu.call("reactions", c, m) for c, m in messages}
    posted = {
        str(c): [
            {"content": m["content"], "embeds": len(m["embeds"])}
            for m in await emu.call("messages", c)
            if m["author_id"] == bot_user
        ]
        for c in channels
    }
    return {"reactions": reactions, "posted": posted}


def caught_up(line: str) -> int:
    """Added plus removed, from "Reaction catch-up: N added, M removed, K unchanged"."""
    found = re.search(r"Reaction catch-up: (\d+) added, (\d+) removed", line)
    return int(found[1]) + int(found[2]) if found else 0


def count_log(bots: list[BotProcess], text: str) -> list[int]:
    return [sum(text in line for line in b.log_lines()) for b in bots]


@pytest.mark.parametrize("backend", backends())
async def test_processes_and_shards_over_thirty_guilds(backend, emulator: RemoteEmulator, tmp_path: Path):
    _, server, layout = backend
    test_began = time.monotonic()
    database_path = tmp_path / "scale.sqlite3"
    async with fresh_database(server, database_path) as target:
        await run_test(emulator, tmp_path, database_path, server, target, layout, test_began)


@contextlib.asynccontextmanager
async def fresh_database(server: str | None, database_path: Path) -> AsyncIterator[str]:
    """A new, empty database: the SQLite file, or a PostgreSQL database made for this run and dropped."""
    if server is None:
        yield f"sqlite:///{database_path}"
        return
    import asyncpg  # the PostgreSQL backend's driver

    name = f"scale_{os.getpid()}_{random.randrange(10**6)}"
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{server}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run_test(emulator, tmp_path, database_path, server, target, layout, test_began) -> None:
    guilds = await build_world(emulator)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_BASE": emulator.api_base,
        "DATABASE_PATH": str(database_path),
        "CONTENT_PATH": str(trimmed_content(tmp_path / "content.toml")),
        "LOG_LEVEL": "INFO",
    }
    if server is not None:
        env["DATABASE_URL"] = target
    # Migrations once, before the processes (as deploy/consultation-bot-migrate.service does).
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", cwd=tmp_path, env=env
    )
    assert await migrate.wait() == 0
    database = Path(database_path) if server is None else target
    bots = [BotProcess(env, tmp_path / f"bot{n}", shards) for n, shards in enumerate(layout)]
    for bot in bots:
        await bot.start()
    try:
        await emulator.wait_for_ready(SHARDS, READY_TIMEOUT)
        assert sorted(await emulator.call("shards_connected")) == [[n, SHARDS] for n in range(SHARDS)]
        await run_scenario(emulator, bots, guilds, database)
        print(f"scale test took {time.monotonic() - test_began:.0f} s with {len(bots)} process(es)")
    finally:
        for bot in bots:
            await bot.stop()


async def run_scenario(
    emulator: RemoteEmulator, bots: list[BotProcess], guilds, database: Path | str
) -> None:
    async def each(user: str, name: str, followups: int = 0, **options: Any) -> list[dict[str, Any]]:
        """The command run in every guild at once; an option given as a function is computed per guild."""
        return list(
            await asyncio.gather(
                *(
                    emulator.command(
                        g[user],
                        g["id"],
                        name,
                        timeout=120,
                        followups=followups,
                        **{k: (v(g) if callable(v) else v) for k, v in options.items()},
                    )
                    for g in guilds
                )
            )
        )

    setup = await each(
        "admin",
        "consultation setup",
        channel=lambda g: g["forum"],
        working_group_role=lambda g: g["roles"]["working_group"],
        moderator_role=lambda g: g["roles"]["moderator"],
        digest_channel=lambda g: g["digest"],
    )
    assert all(a["ephemeral"] for a in setup), setup
    start = at(5)
    published = await each("wg", "consultation publish", followups=1)
    assert all(a["answered"] for a in published)
    scheduled = await each(
        "wg",
        "officehours-manage schedule",
        followups=1,
        title="Ask the working group",
        start=start.strftime("%Y-%m-%dT%H:%MZ"),
        duration=30,
        capacity=CAPACITY,
        channel=lambda g: g["voice"],
        reminders="3m",
    )
    assert all(a["answered"] for a in scheduled)

    db = await Database.open(database, migrate=False)
    try:
        posts, sessions, options = {}, {}, {}
        recommendations = RecommendationRepository(db)
        guild_repo = GuildRepository(db)
        now = SystemClock().now()
        for g in guilds:
            gid = g["id"]
            posts[gid] = []
            for rec in await recommendations.all(gid):
                post = await recommendations.live_post_for(rec.id)
                assert post is not None, f"guild {gid} did not publish recommendation {rec.number}"
                posts[gid].append((rec.number, post.message_channel_id, post.message_id))
            [summary] = await OfficeHoursRepository(db).upcoming(gid, now)
            sessions[gid] = summary.session
            options[gid] = (await guild_repo.scoping_areas(gid), await guild_repo.stances(gid))
            # The weekly digest falls due now: set up "a week ago", due this weekday and hour.
            await db.execute(
                "UPDATE guild_settings SET created_at = ?, digest_weekday = ?, digest_hour = ?"
                " WHERE guild_id = ?",
                (to_db(now - timedelta(days=8)), now.weekday(), now.hour, gid),
            )
    finally:
        await db.close()

    # The flood: every member reacts on every post (areas and stances, some taken back); one bot
    # process is SIGKILLed half way and restarted while the rest of the burst arrives.
    rng = random.Random(15)
    events = []
    for g in guilds:
        areas, stances = options[g["id"]]
        emoji = [a.emoji for a in areas[:4]] + [s.emoji for s in stances]
        for _, channel_id, message_id in posts[g["id"]]:
            for member in g["members"]:
                picked = rng.sample(emoji, 3)
                events += [[member, channel_id, message_id, e, True] for e in picked]
                if rng.random() < 0.3:
                    events.append([member, channel_id, message_id, picked[0], False])
    rng.shuffle(events)
    victim = bots[0]
    began = time.monotonic()
    for n, chunk in enumerate(range(0, len(events), FLOOD_CHUNK)):
        await emulator.call("react_many", events[chunk : chunk + FLOOD_CHUNK])
        if n == len(events) // FLOOD_CHUNK // 2:
            victim.kill()  # half the burst delivered
    await asyncio.wait_for(victim.process.wait(), 30)  # type: ignore[union-attr]
    before = count_log([victim], "Reaction catch-up:")
    await victim.start()
    await emulator.wait_for_ready(SHARDS, READY_TIMEOUT)
    await wait_for_log([victim], "Reaction catch-up:", before)
    # What the killed process missed (its events of the second half) its catch-up found again.
    recovered = sum(caught_up(line) for line in victim.log_lines())
    assert recovered > 0
    FIGURES.update(flood_events=len(events), recovered_by_catch_up=recovered)
    FIGURES["flood_to_restart_s"] = round(time.monotonic() - began, 1)

    # The sign-up rush: every member of every guild clicks at once.
    clicks = [
        [m, s.card_channel_id, s.card_message_id, f"officehours:signup:{s.id}"]
        for g in guilds
        for s in [sessions[g["id"]]]
        for m in g["members"]
    ]  # fmt: skip
    rush = await emulator.click_many(clicks, timeout=120)
    assert len(rush) == GUILDS * MEMBERS and None not in rush
    FIGURES["rush_slowest_answer_s"] = round(max(rush), 2)

    # The reminders fall due 3 minutes before the start; each process posts its guilds'.
    threads = {g["id"]: sessions[g["id"]].thread_id for g in guilds}
    async with asyncio.timeout(5 * 60):
        while True:
            posted = (await report(emulator, [], list(threads.values())))["posted"]
            if all(any("starts" in m["content"] for m in posted[str(t)]) for t in threads.values()):
                break
            await asyncio.sleep(1)

    # Everyone stops cleanly and starts again (the weekly loop and the catch-up run at each start).
    for bot in bots:
        await bot.stop()
    catch_ups = count_log(bots, "Reaction catch-up:")
    for bot in bots:
        await bot.start()
    await emulator.wait_for_ready(SHARDS, READY_TIMEOUT)
    await wait_for_log(bots, "Reaction catch-up:", catch_ups)
    # Every guild's weekly digest is posted before the processes stop (stopping one mid-post would
    # leave its week to a next start; a week leased by the killed process comes back after its lease).
    digest_channels = [g["digest"] for g in guilds]
    began = time.monotonic()
    async with asyncio.timeout(LEASE.total_seconds() + 2 * WEEKLY_TURN):
        while True:
            posted = (await report(emulator, [], digest_channels))["posted"]
            if all(any(m["embeds"] for m in posted[str(c)]) for c in digest_channels):
                break
            await asyncio.sleep(1)
    FIGURES["digests_after_restart_s"] = round(time.monotonic() - began, 1)
    for bot in bots:
        await bot.stop()

    await check(emulator, bots, guilds, database, posts, sessions, options)


async def check(emulator, bots, guilds, database, posts, sessions, options) -> None:
    messages = [[c, m] for g in guilds for _, c, m in posts[g["id"]]]
    channels = [sessions[g["id"]].thread_id for g in guilds] + [g["digest"] for g in guilds]
    bot_user = (await info(emulator))["bot_user_id"]
    seen = await report(emulator, messages, channels)
    FIGURES["members_reactions_at_end"] = sum(
        len(set(users) - {bot_user}) for r in seen["reactions"].values() for users in r.values()
    )
    db = await Database.open(database, migrate=False)
    try:
        for g in guilds:
            gid = g["id"]
            areas, stances = options[gid]
            numbered = [(number, message_id) for number, _, message_id in posts[gid]]
            expected = expected_tally(seen["reactions"], numbered, areas, stances, {bot_user})
            stored = await stored_tally(db, gid)
            assert sum(cell[0] for cell in expected.values()) > 0, f"no reactions reached guild {gid}"
            assert {k: v for k, v in stored.items() if any(v)} == {
                k: v for k, v in expected.items() if any(v)
            }, f"guild {gid}"
            thread = seen["posted"][str(sessions[gid].thread_id)]
            assert len([m for m in thread if "starts" in m["content"]]) == 1, f"reminders of guild {gid}"
            digests = [m for m in seen["posted"][str(g["digest"])] if m["embeds"]]
            assert len(digests) == 1, f"weekly digests of guild {gid}"
            assert len(await DigestRepository(db).digests(gid, "weekly")) == 1
            confirmed = await db.fetchval(
                "SELECT COUNT(*) FROM signups WHERE session_id = ? AND status = 'confirmed'",
                (sessions[gid].id,),
            )
            assert confirmed == CAPACITY, f"seats of guild {gid}"
    finally:
        await db.close()
    for bot in bots:
        problems = [line for line in bot.log_lines() if " ERROR " in line or "not found" in line]
        assert problems == [], bot.log
        if bot.shard_ids is not None:
            assert f"Running shards {','.join(map(str, bot.shard_ids))} of {SHARDS}" in "\n".join(
                bot.log_lines()
            )
    print(f"scale figures: {json.dumps(FIGURES)}")
