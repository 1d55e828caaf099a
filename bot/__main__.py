"""Command line: ``python -m bot run | migrate | migrate-data | content | digest | backup | restore |
health``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import discord

from bot import __version__
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings, setup_logging
from bot.content import Content, ContentError, load_content
from bot.data.database import Database, MigrationError
from bot.data.guilds import GuildRepository
from bot.ops.backup import BackupError
from bot.ops.heartbeat import MAX_AGE_SECONDS
from bot.ops.lock import DatabaseInUse, exclusive

log = logging.getLogger("bot")


def out(text: str = "") -> None:
    """The CLI's own output (results for the person at the terminal, not diagnostics)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fail(text: str, code: int = 2) -> int:
    sys.stderr.write(f"error: {text}\n")
    return code


async def run_bot(settings: Settings) -> int:
    """Own the long-lived resources: the database (and its lock), the bot; close all on the way out."""
    token = settings.require_token()
    if settings.database_url:  # PostgreSQL: several processes share it (each its own shards)
        return await _run_bot(settings, token)
    with exclusive(settings.database_path, "python -m bot run"):
        return await _run_bot(settings, token)


async def _run_bot(settings: Settings, token: str) -> int:
    from bot.client import ConsultationBot

    database = await Database.open(settings.database_target)
    bot = ConsultationBot(settings, database=database, content=default_content(settings))
    calm_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                runner.result()
            else:
                log.info("Shutting down")
                await bot.close()
                await runner
    finally:
        await database.close()
    return 0


def calm_garbage_collector() -> None:
    """Shorter collections in the serving process: the start-up objects (modules, the command tree, the
    catalogue) are frozen out of every collection. Issue 14's rush profile found collector pauses among
    the answers' outliers; raising the first threshold as well cut them further but raised the memory
    benchmark's peak from 123 to 170 MB (target 150), so the threshold stays Python's."""
    gc.freeze()


def default_content(settings: Settings) -> Content:
    return load_content(settings.content_path) if settings.content_path else load_content()


async def migrate(settings: Settings) -> int:
    database = await Database.open(settings.database_target, migrate=False)
    try:
        applied = await database.migrate()
    finally:
        await database.close()
    out(f"Applied migrations {', '.join(map(str, applied))}." if applied else "Database is up to date.")
    return 0


async def content_load(settings: Settings, path: Path, guild_id: int | None) -> int:
    content = load_content(path)
    database = await Database.open(settings.database_target)
    try:
        repository = GuildRepository(database)
        guilds = [guild_id] if guild_id is not None else await repository.guild_ids()
        if not guilds:
            return fail("no guild is known yet: pass --guild ID (the server's id) or run the bot once first.")
        for guild in guilds:
            await repository.load_content(guild, content, SystemClock().now())
    finally:
        await database.close()
    out(
        f"Loaded {len(content.recommendations)} recommendations and {len(content.scoping_areas)} "
        f"scoping areas from {path} into {len(guilds)} guild(s)."
    )
    return 0


def content_check(path: Path) -> int:
    content = load_content(path)
    out(
        f"{path} is valid: {len(content.recommendations)} recommendations, "
        f"{len(content.scoping_areas)} scoping areas, {len(content.stances)} stances."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="consultation-bot: run a community consultation on Discord.",
    )
    parser.add_argument("--version", action="version", version=f"consultation-bot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="connect to Discord (needs DISCORD_TOKEN)")
    run.add_argument(
        "--loop",
        choices=("auto", "asyncio"),
        default="auto",
        help="event loop: uvloop when installed (auto, the default) or the plain asyncio loop",
    )
    commands.add_parser("migrate", help="apply database migrations")
    moving = commands.add_parser(
        "migrate-data", help="copy a SQLite deployment into an empty PostgreSQL database (bot stopped)"
    )
    moving.add_argument("--from", dest="source", required=True, help="sqlite:///path/to/consultation.sqlite3")
    moving.add_argument("--to", dest="target", required=True, help="postgresql://user@host/database")
    content = commands.add_parser("content", help="check or load consultation content (TOML)")
    content_commands = content.add_subparsers(dest="content_command", metavar="ACTION")
    load = content_commands.add_parser("load", help="load a content file into the database")
    load.add_argument("file", type=Path)
    load.add_argument("--guild", type=int, help="the server's id (default: every known server)")
    check = content_commands.add_parser("check", help="validate a content file")
    check.add_argument("file", type=Path)
    digest = commands.add_parser("digest", help="write a digest's five files from the database (no Discord)")
    digest.add_argument("--out", type=Path, required=True, help="folder for the files (created if missing)")
    digest.add_argument("--guild", type=int, help="the server's id (needed when the database holds several)")
    digest.add_argument("--since", default="last", help="YYYY-MM-DD, 'last' (since the last digest) or 'all'")
    backup = commands.add_parser("backup", help="copy the database to FILE, also while the bot runs")
    backup.add_argument("file", type=Path)
    restore = commands.add_parser("restore", help="replace the database with backup FILE (bot stopped)")
    restore.add_argument("file", type=Path)
    health = commands.add_parser(
        "health", help="exit 0 when the running bot's heartbeat is fresh and connected"
    )
    health.add_argument(
        "--max-age", type=float, default=MAX_AGE_SECONDS, help=f"seconds (default {MAX_AGE_SECONDS})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        if args.command == "run":
            from bot.client import event_loop_factory

            settings.require_token()  # a missing token is the one sentence, before any log line
            with asyncio.Runner(loop_factory=event_loop_factory(args.loop)) as runner:
                return runner.run(run_bot(settings))
        if args.command == "migrate":
            return asyncio.run(migrate(settings))
        if args.command == "migrate-data":
            from bot.ops.migrate_data import MigrateDataError, migrate_data

            try:
                report = asyncio.run(migrate_data(args.source, args.target))
            except MigrateDataError as error:
                return fail(str(error))
            out(report.sentence(args.source, args.target.split("@")[-1]))
            return 0
        if args.command == "content":
            if args.content_command == "load":
                return asyncio.run(content_load(settings, args.file, args.guild))
            if args.content_command == "check":
                return content_check(args.file)
            return fail("content needs an action: load FILE or check FILE")
        if args.command == "digest":
            from bot.digest.cli import export_digest

            return asyncio.run(export_digest(settings, args.out, args.guild, args.since, out))
        if args.command in ("backup", "restore", "health"):
            from bot.ops import cli

            if args.command == "health":
                health = asyncio.run(cli.health_command(settings, args.max_age))
                if not health.healthy:
                    return fail(health.sentence, 1)
                out(health.sentence)
                return 0
            command = cli.backup_command if args.command == "backup" else cli.restore_command
            out(asyncio.run(command(settings, args.file)))
            return 0
        return fail(f"unknown command {args.command}")
    except ConfigError as error:
        return fail(str(error))
    except discord.LoginFailure:
        return fail(
            "DISCORD_TOKEN was refused by Discord: copy the bot's token again from the Developer Portal."
        )
    except discord.PrivilegedIntentsRequired:
        return fail(
            "Discord refused the Message Content intent: enable it on the Bot page of the Developer Portal "
            "(replies in the drafts' threads are read as feedback)."
        )
    except aiohttp.ClientConnectionError as error:
        return fail(
            f"cannot reach the Discord API ({type(error).__name__}): check the network and DISCORD_API_BASE."
        )
    except ContentError as error:
        return fail("the content file is not usable:\n  - " + "\n  - ".join(error.problems))
    except (MigrationError, BackupError, DatabaseInUse) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
