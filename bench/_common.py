"""Shared pieces of the benchmarks: output, a posted consultation in a temp database, timing."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.recommendations import Post, RecommendationRepository

GUILD = 777_000_000_000_000_001
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run_main(
    main: Callable[..., Awaitable[None]], doc: str | None, *options: tuple[str, Any, str | None]
) -> None:
    """A benchmark's command line: each ``(flag, default, help)`` becomes ``--flag`` (a switch when the
    default is a bool), and ``main`` is run with the values in that order."""
    parser = argparse.ArgumentParser(description=doc)
    for flag, default, text in options:
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true", help=text)
        else:
            parser.add_argument(flag, type=type(default), default=default, help=text)
    parser.add_argument(
        "--event-loop",
        choices=("auto", "asyncio"),
        default="auto",
        help="this process's loop (emulator and bot in process): auto, uvloop when installed as python -m "
        "bot run does (the default), or asyncio",
    )
    arguments = vars(parser.parse_args())
    from bot.client import event_loop_factory

    with asyncio.Runner(loop_factory=event_loop_factory(arguments.pop("event_loop"))) as runner:
        runner.run(main(*(arguments[flag.lstrip("-").replace("-", "_")] for flag, _, _ in options)))


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


@dataclass
class Timer:
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Timer]:
    timer = Timer()
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start


async def posted_consultation(path: Path) -> tuple[Database, list[Post], list[str]]:
    """A database with the default content and a live post per draft; returns the option emoji too."""
    db = await Database.open(path)
    guilds = GuildRepository(db)
    await guilds.ensure(GUILD, load_content(), NOW)
    recommendations = RecommendationRepository(db)
    posts = []
    for rec in await recommendations.all(GUILD):
        posts.append(
            await recommendations.add_post(
                guild_id=GUILD,
                recommendation_id=rec.id,
                message_id=10_000 + rec.number,
                channel_id=20_000 + rec.number,
                thread_id=20_000 + rec.number,
                kind="forum",
                now=NOW,
            )
        )
    options = [a.emoji for a in await guilds.scoping_areas(GUILD)] + [
        s.emoji for s in await guilds.stances(GUILD)
    ]
    return db, posts, options
