"""Typed settings, read once from the environment and ``.env``."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv

from bot.endpoint import DISCORD_API_BASE

DEFAULT_DATABASE_PATH = Path("data/consultation.sqlite3")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one sentence naming it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    discord_token: str | None = field(repr=False)  # never in logs or tracebacks
    database_path: Path
    log_level: str
    discord_api_base: str
    content_path: Path | None = None
    database_url: str | None = None  # postgresql://... ; None: the SQLite file at database_path
    shard_count: int | None = None  # None: as many as Discord recommends (GET /gateway/bot)
    shard_ids: tuple[int, ...] | None = None  # None: every shard of shard_count

    @property
    def database_target(self) -> str:
        """What ``Database.open`` takes: ``DATABASE_URL``, else ``sqlite:///`` + ``DATABASE_PATH``."""
        return self.database_url or f"sqlite:///{self.database_path}"

    def require_token(self) -> str:
        if not self.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot's token in .env (see .env.example), "
                "in the environment, or in a file named by DISCORD_TOKEN_FILE."
            )
        return self.discord_token


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None) -> Settings:
    """Read the settings; raise ``ConfigError`` with a sentence naming the bad setting."""
    if environ is None:
        # The .env of the folder the bot is started from (not of wherever the package is installed).
        load_dotenv(dotenv_path or find_dotenv(usecwd=True))
        environ = os.environ

    token, token_setting = read_token(environ)
    if token is not None and (any(c.isspace() for c in token) or token.count(".") != 2):
        raise ConfigError(
            f"{token_setting} is malformed: a bot token has three parts separated by dots "
            "and no spaces (copy it again from the Developer Portal)."
        )

    raw_path = environ.get("DATABASE_PATH", "").strip()
    database_path = Path(raw_path) if raw_path else DEFAULT_DATABASE_PATH
    if database_path.exists() and database_path.is_dir():
        raise ConfigError(f"DATABASE_PATH points at a directory ({database_path}), not a file.")

    database_url = environ.get("DATABASE_URL", "").strip() or None
    if database_url is not None:
        if database_url.startswith("sqlite:///"):
            database_path = Path(database_url.removeprefix("sqlite:///"))
            database_url = None
        elif not database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(
                "DATABASE_URL must be sqlite:///path/to/file.sqlite3 or postgresql://user@host/database, "
                f"not {database_url.split('://')[0]!r}."
            )

    log_level = environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}.")

    api_base = environ.get("DISCORD_API_BASE", "").strip().rstrip("/") or DISCORD_API_BASE
    parts = urlsplit(api_base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"DISCORD_API_BASE must be an http(s) URL such as {DISCORD_API_BASE}, not {api_base!r}."
        )

    raw_content = environ.get("CONTENT_PATH", "").strip()
    content_path = Path(raw_content) if raw_content else None
    if content_path is not None and not content_path.is_file():
        raise ConfigError(f"CONTENT_PATH names {content_path}, which is not a readable file.")

    shard_count, shard_ids = read_shards(environ)

    return Settings(
        content_path=content_path,
        shard_count=shard_count,
        shard_ids=shard_ids,
        discord_token=token,
        database_path=database_path,
        database_url=database_url,
        log_level=log_level,
        discord_api_base=api_base,
    )


def read_shards(environ: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    """``SHARD_COUNT`` and ``SHARD_IDS`` ("0,1"): the shards this process runs; neither set means all."""
    raw_count = environ.get("SHARD_COUNT", "").strip()
    raw_ids = environ.get("SHARD_IDS", "").strip()
    if not raw_count:
        if raw_ids:
            raise ConfigError(
                "SHARD_IDS is set without SHARD_COUNT: set both (e.g. SHARD_COUNT=6, SHARD_IDS=0,1)."
            )
        return None, None
    if not raw_count.isdigit() or int(raw_count) < 1:
        raise ConfigError(f"SHARD_COUNT must be a whole number of 1 or more, not {raw_count!r}.")
    count = int(raw_count)
    if not raw_ids:
        return count, None
    parts = [part.strip() for part in raw_ids.split(",")]
    if not all(part.isdigit() for part in parts):
        raise ConfigError(f"SHARD_IDS must be shard numbers separated by commas (e.g. 0,1), not {raw_ids!r}.")
    ids = tuple(sorted({int(part) for part in parts}))
    if ids[-1] >= count:
        raise ConfigError(f"SHARD_IDS names shard {ids[-1]}, but shards are numbered 0 to {count - 1}.")
    return count, ids


def read_token(environ: Mapping[str, str]) -> tuple[str | None, str]:
    """The token from ``DISCORD_TOKEN`` or from the file ``DISCORD_TOKEN_FILE`` names (a secrets file:
    Docker, systemd credentials); returns it with the setting it came from. Both set is an error."""
    token = environ.get("DISCORD_TOKEN", "").strip() or None
    raw_file = environ.get("DISCORD_TOKEN_FILE", "").strip()
    if not raw_file:
        return token, "DISCORD_TOKEN"
    if token is not None:
        raise ConfigError("DISCORD_TOKEN and DISCORD_TOKEN_FILE are both set: keep one of them.")
    path = Path(raw_file)
    try:
        from_file = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise ConfigError(f"DISCORD_TOKEN_FILE names {path}, which cannot be read ({reason}).") from None
    if not from_file:
        raise ConfigError(f"DISCORD_TOKEN_FILE names {path}, which is empty.")
    return from_file, "DISCORD_TOKEN_FILE"


def setup_logging(level: str) -> None:
    """One place for logging: discord.py's handler and format, ``discord.http`` kept quiet."""
    import discord.utils

    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, getattr(logging, level)))
