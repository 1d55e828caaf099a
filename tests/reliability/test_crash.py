"""Crash: the bot as a real process (``python -m bot run``) killed with SIGKILL in the middle of a
reaction burst, a sign-up rush and feedback forms, then started again on the same database file. After
its catch-up the tally equals Discord's lists, every sign-up and feedback item the bot had acknowledged
to a member is still there, and the database passes ``PRAGMA integrity_check``.

The emulator runs in this process; readiness is read from the bot's own log lines (on stderr) and from
the emulator, always with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from rehearsal.emulator import InteractionResult
from rehearsal.world import World, discord_tally, stored_tally

from .conftest import OPTIONS, add_members

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """``python -m bot run`` against the emulator; its log lines are collected as they come."""

    def __init__(self, world: World, workdir: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DISCORD_TOKEN", "CONTENT_PATH", "LOG_LEVEL", "DATABASE_PATH", "DATABASE_URL")
        }
        env.update(
            DISCORD_TOKEN=world.emu.token,
            DISCORD_API_BASE=world.emu.api_base,
            DATABASE_PATH=str(world.database_path),
            DATABASE_URL=world.database_url or "",
            PYTHONPATH=str(ROOT),
            LOG_LEVEL="INFO",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=workdir,  # no stray .env file is read
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def saw(self, needle: str) -> bool:
        return any(needle in line for line in self.lines)

    async def wait_for_log(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.saw(needle):
            if self.process.poll() is not None:
                raise AssertionError("the bot exited:\n" + "\n".join(self.lines[-30:]))
            if time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} within {timeout}s:\n" + "\n".join(self.lines[-30:]))
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    async def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        for _ in range(200):
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.kill()
        self._reader.join(5)
        return self.process.returncode


async def start_bot(world: World, workdir: Path) -> BotProcess:
    bot = BotProcess(world, workdir)
    await bot.wait_for_log("Connected as", timeout=60)
    await world.emu.wait_until(lambda: world.emu.connected >= 1, timeout=10)
    return bot


async def reader(world: World) -> SimpleNamespace:
    """What ``stored_tally`` / ``discord_tally`` need, over a second connection to the bot's file."""
    db = await Database.open(world.database_url or world.database_path, migrate=False)
    fake_bot = SimpleNamespace(guild_repository=GuildRepository(db))
    return SimpleNamespace(bot=fake_bot, db=db, emu=world.emu, guild_id=world.guild_id)


def next_week() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%MZ")


async def crash_run(
    tmp_path: Path, figures, *, members: int, events: int, clickers: int, seats: int, database_url: str
) -> None:
    world = await World.create(tmp_path / "crash.sqlite3", database_url=database_url)
    processes: list[BotProcess] = []
    try:
        processes.append(await start_bot(world, tmp_path))
        assert (await world.setup_consultation("forum")).ephemeral
        await world.publish()
        scheduled = await world.command(
            "wg",
            "officehours-manage schedule",
            title="Crash-test office hours",
            start=next_week(),
            duration=60,
            capacity=seats,
            place="https://meet.example/crash",
        )
        await scheduled.wait_for_followup(30)
        check = await reader(world)
        [summary] = await OfficeHoursRepository(check.db).upcoming(world.guild_id, datetime.now(UTC))
        session = summary.session
        posts = await _live_posts(check)
        await check.db.close()

        people = add_members(world, members)
        rush = add_members(world, clickers, prefix="rush")
        writers = add_members(world, clickers // 4, prefix="writer")
        forms: list[tuple[int, str, InteractionResult]] = []
        rng = random.Random(5)
        emu = world.emu
        batch = max(1, events // 20)
        sent = 0
        clicks = []
        kill_at = events // 2
        figures["members"] = members + clickers + len(writers)
        figures["posts"] = len(posts)
        while sent < events:
            chunk = []
            for _ in range(batch):
                post = rng.choice(posts)
                chunk.append(
                    (
                        rng.choice(people),
                        post.thread_id,
                        post.message_id,
                        rng.choice(OPTIONS),
                        rng.random() < 0.8,
                    )
                )
            figures.add("events", await emu.react_many(chunk))
            sent += batch
            # The rush of sign-ups, interleaved with the reactions.
            for user in rush[len(clicks) : len(clicks) + max(1, clickers // 16)]:
                clicks.append(
                    await emu.click_button(
                        user,
                        session.card_channel_id,
                        session.card_message_id,
                        f"officehours:signup:{session.id}",
                    )
                )
            # Feedback through the form, while the bot is up (a dead bot opens no form).
            if processes[-1].process.poll() is None:
                await give_feedback(world, posts, writers[len(forms) : len(forms) + 3], forms)
            await asyncio.sleep(0.02)
            if sent >= kill_at and processes[-1].process.poll() is None:
                # Mid-burst for the bot too: it has worked through part of what was sent (the gateway is
                # ordered, so an answered click means the reactions before it were dispatched).
                with contextlib.suppress(TimeoutError):
                    await emu.wait_until(
                        lambda: sum(c.message is not None for c in clicks) >= len(clicks) // 2, timeout=20
                    )
                processes[-1].kill()  # SIGKILL: no shutdown, no final flush
                figures.add("kills")
        figures["clicks"] = len(clicks)
        # What the members were told before the crash is what must survive it.
        confirmed = {c.user_id: c.content for c in clicks if c.message is not None}
        figures["signups_acknowledged"] = len(confirmed)
        thanked = {user: text for user, text, result in forms if result.message is not None}
        figures["feedback_sent"] = len(forms)
        figures["feedback_acknowledged"] = len(thanked)
        assert confirmed, "no sign-up was answered before the kill: the scenario proves nothing"

        check = await reader(world)
        figures["reactions_stored_at_kill"] = await check.db.fetchval("SELECT COUNT(*) FROM reactions")
        await check.db.close()
        processes.append(BotProcess(world, tmp_path))
        await processes[-1].wait_for_log("Reaction catch-up:", timeout=90)
        figures["catch_up"] = next(
            line for line in processes[-1].lines if "Reaction catch-up:" in line
        ).split("Reaction catch-up: ")[1]

        check = await reader(world)
        try:
            assert await check.db.integrity_check() == "ok"
            assert await stored_tally(check.db, check.guild_id) == await discord_tally(check)
            stored = {s.user_id: s.status for s in await OfficeHoursRepository(check.db).signups(session.id)}
            for user, answer in confirmed.items():
                assert user in stored, f"sign-up of {user} was confirmed ({answer!r}) but lost in the crash"
                expected = "confirmed" if "You have a seat" in answer else "waitlisted"
                assert stored[user] == expected, (user, answer, stored[user])
            assert sum(status == "confirmed" for status in stored.values()) <= seats
            feedback = FeedbackRepository(check.db)
            for user, text in thanked.items():
                bodies = [
                    item.body for item in await feedback.for_author(world.guild_id, user, active_only=False)
                ]
                assert bodies == [text], (
                    f"feedback of {user} was acknowledged but is {bodies!r} after the crash"
                )
            figures["signups_stored"] = len(stored)
        finally:
            await check.db.close()
        # The restarted bot answers commands.
        status = await world.command("wg", "consultation status", timeout=15)
        assert status.embeds
    finally:
        for process in processes:
            await process.stop()
        await world.close()


async def give_feedback(world: World, posts, writers: list[int], forms: list) -> None:
    """Each writer opens the form on a draft's post and sends it (the answer is not awaited here)."""
    for index, user in enumerate(writers):
        post = posts[index % len(posts)]
        custom_id = f"feedback:give:{post.recommendation_id}"
        opened = await world.emu.click_button(user, post.thread_id, post.message_id, custom_id)
        try:
            await opened.wait(5)
        except TimeoutError:
            return
        text = f"Feedback from {user}: the draft needs a clearer budget line."
        forms.append((user, text, await world.emu.submit_modal(user, opened, {"text": text})))


async def recorded(world: World, message_ids: list[int], timeout: float = 10) -> int:
    """How many of the messages became feedback, waiting up to ``timeout`` for all of them."""
    found = 0
    for _ in range(int(timeout / 0.1)):
        feedback = FeedbackRepository(world.db)  # the bot's current connection
        found = sum([await feedback.by_message(message_id) is not None for message_id in message_ids])
        if found == len(message_ids):
            break
        await asyncio.sleep(0.1)
    return found


async def _live_posts(check: SimpleNamespace) -> list:
    from bot.data.recommendations import RecommendationRepository

    return await RecommendationRepository(check.db).live_posts(check.guild_id)


async def test_sigkill_during_reactions_signups_and_feedback(tmp_path, figures, database_url):
    await crash_run(
        tmp_path, figures, members=120, events=4000, clickers=200, seats=40, database_url=database_url
    )


@pytest.mark.slow
async def test_sigkill_during_a_bigger_burst(tmp_path, figures, database_url):
    await crash_run(
        tmp_path, figures, members=500, events=20000, clickers=1000, seats=100, database_url=database_url
    )


async def test_thread_replies_posted_while_the_bot_was_down_become_feedback(world, figures):
    await world.publish()
    post = (await RecommendationRepository(world.db).live_posts(world.guild_id))[0]
    alice = world.members["alice"]
    live = await world.emu.post_message(alice, post.thread_id, "Das ist ein guter Vorschlag, aber zu teuer.")
    assert await recorded(world, [live.id]) == 1  # while the bot is up, a reply is feedback
    await world.stop_bot()
    missed = [
        await world.emu.post_message(alice, post.thread_id, f"Je suis d'accord avec la proposition ({n}).")
        for n in range(3)
    ]
    await world.start_bot()
    figures["replies_while_down"] = len(missed)
    found = await recorded(world, [m.id for m in missed], timeout=4)
    figures["recorded_after_restart"] = found
    assert found == len(missed), (
        f"{found} of {len(missed)} replies posted during the downtime became feedback"
    )
