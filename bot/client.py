"""The bot: an ``AutoShardedBot`` that owns the database, loads every cog and answers errors kindly."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot.clicks import ClickRouter
from bot.clock import Clock, SystemClock
from bot.command_translations import CommandTranslator
from bot.config import Settings
from bot.content import Content, load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.endpoint import use_api_base
from bot.forms import FormRouter
from bot.recommendations.titles import RATE_LIMIT_WAIT
from bot.replies import error_sentence, respond
from bot.services import Services, build_services
from bot.sharding import ALL_SHARDS, ShardScope

log = logging.getLogger(__name__)

COMMAND_SYNC_LOCK = "command-sync"

COMMAND_TREE_HASH = "command_tree_hash"
# Seconds between identifies of one rate-limit bucket: Discord's 5 s, and a margin, as Discord counts
# the IDENTIFYs that arrive (one sent a little late must not make the next one early).
IDENTIFY_INTERVAL = 5.25


def intents() -> discord.Intents:
    """Only what the features need; no privileged member intent."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.guild_reactions = True
    wanted.message_content = True  # thread replies are feedback (privileged: enable in the portal)
    wanted.guild_scheduled_events = True
    return wanted


def extension_names() -> list[str]:
    """Every module or package in ``cogs/`` not starting with ``_``."""
    return sorted(
        f"{cogs.__name__}.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if not module.name.startswith("_")
    )


def event_loop_factory(choice: str = "auto") -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop ``python -m bot run`` uses: uvloop when installed (a dependency on Linux and macOS
    with CPython), else the plain asyncio loop (``None``), saying so in one line. ``choice`` "asyncio"
    keeps the plain loop (to compare, or to rule uvloop out)."""
    if choice == "asyncio":
        log.info("Event loop: asyncio (chosen)")
        return None
    try:
        import uvloop
    except ImportError:
        log.info("Event loop: asyncio (uvloop is not installed)")
        return None
    log.info("Event loop: uvloop %s", uvloop.__version__)
    return uvloop.new_event_loop


# The bot never joins voice (office hours only point at a voice channel): no warning about voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class ConsultationBot(commands.AutoShardedBot):
    """One bot serving the consultation of every guild of its shards (all of them unless
    ``SHARD_COUNT``/``SHARD_IDS`` say otherwise); ``scope`` says which guilds its jobs work on."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        clock: Clock | None = None,
        content: Content | None = None,
        **options: Any,
    ) -> None:
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
            options.setdefault("shard_ids", list(settings.shard_ids) if settings.shard_ids else None)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            # Every handler uses raw events; without a message cache a reaction on a post is not
            # also applied to a cached copy of it (and memory stays flat in big servers).
            max_messages=None,
            # A longer wait (Discord's two renames per ten minutes) raises instead of hanging the caller.
            max_ratelimit_timeout=RATE_LIMIT_WAIT,
            **options,
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.content: Content = content or load_content()
        self._database = database
        self._owns_database = database is None
        # Known now when configured; else resolved from Discord's recommendation in setup_hook.
        self.scope: ShardScope = (
            ShardScope.of(settings.shard_count, settings.shard_ids) if settings.shard_count else ALL_SHARDS
        )
        self._max_concurrency = 1
        self._identify_lock = asyncio.Lock()
        self._last_identify: dict[int, float] = {}
        self.identify_interval = IDENTIFY_INTERVAL  # the rehearsal scales it to its emulator's pace
        self.services: Services
        self.tree.on_error = self.on_app_command_error
        # Every persistent form of every capability is answered here, from its custom id alone.
        self.forms = FormRouter()
        self.add_listener(self.forms.dispatch, "on_interaction")
        # The busiest buttons, answered from the gateway's payload (installed first, so the members'
        # chosen languages, installed with the services, are applied before it reads the locale).
        self.clicks = ClickRouter(self)
        self.clicks.install()

    @property
    def db(self) -> Database:
        if self._database is None:
            raise RuntimeError("the database is opened in setup_hook")
        return self._database

    async def login(self, token: str) -> None:
        await use_api_base(self.settings.discord_api_base, token)
        await super().login(token)

    async def resolve_shards(self) -> ShardScope:
        """Ask Discord (``GET /gateway/bot``) for the recommended shard count when none is configured,
        and for ``max_concurrency`` (how many shards may identify at once)."""
        count, _, limits = await self.http.get_bot_gateway()
        self._max_concurrency = max(1, int(limits.get("max_concurrency", 1)))
        if self.shard_count is None:
            self.shard_count = count
        self.scope = ShardScope.of(self.shard_count, self.shard_ids)
        log.info("Running %s (max_concurrency %d)", self.scope.describe(), self._max_concurrency)
        return self.scope

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord's identify limit: one identify per bucket (``shard_id % max_concurrency``) every 5 s;
        shards of different buckets identify together."""
        bucket = (shard_id or 0) % self._max_concurrency
        async with self._identify_lock:
            loop = asyncio.get_running_loop()
            last = self._last_identify.get(bucket)
            if last is not None:
                await asyncio.sleep(max(0.0, last + self.identify_interval - loop.time()))
            self._last_identify[bucket] = loop.time()

    async def setup_hook(self) -> None:
        await self.resolve_shards()
        if self._database is None:
            self._database = await Database.open(self.settings.database_target)
        await self.build_services()
        for name in extension_names():
            await self.load_extension(name)
        await self.tree.set_translator(CommandTranslator())
        if self.scope.process_wide:  # one process syncs: the one running shard 0
            await self.sync_commands_once()

    async def build_services(self) -> None:
        """The repositories and services every cog is handed (the composition root, ``bot.services``)."""
        self.guild_repository = GuildRepository(self.db)
        self.services = await build_services(self)

    async def sync_commands_once(self) -> bool:
        """The command sync, by one process of the database at a time (a PostgreSQL advisory lock: two
        processes both holding shard 0, e.g. started without ``SHARD_IDS``, never sync together; the
        second finds the tree's hash recorded and does nothing)."""
        async with self.db.exclusive(COMMAND_SYNC_LOCK) as held:
            if not held:
                log.info("Another process is syncing the slash commands; not syncing here")
                return False
            return await self.sync_commands_if_changed()

    async def sync_commands_if_changed(self) -> bool:
        """Sync the global command tree only when it differs from what was last synced."""
        # Hashed as Discord receives it, translations included: a changed translation syncs too.
        translator = self.tree.translator
        payload = [
            await command.get_translated_payload(self.tree, translator)
            if translator
            else command.to_dict(self.tree)
            for command in self.tree.get_commands()
        ]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        if await self.guild_repository.get_state(COMMAND_TREE_HASH) == digest:
            log.info("Slash commands unchanged; not syncing")
            return False
        synced = await self.tree.sync()
        await self.guild_repository.set_state(COMMAND_TREE_HASH, digest)
        log.info("Synced %d slash commands", len(synced))
        return True

    async def on_ready(self) -> None:
        log.info("Connected as %s to %d guild(s) (%s)", self.user, len(self.guilds), self.scope.describe())

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.guild_repository.ensure(guild.id, self.content, self.clock.now())
        self.dispatch("consultation_settings_changed", guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.on_guild_available(guild)

    async def close(self) -> None:
        try:
            await super().close()  # unloads cogs first, so their writers flush
        finally:
            if self._owns_database and self._database is not None:
                await self._database.close()
                self._database = None

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """An event handler still running while the bot shuts down loses its database: expected then,
        not an error (discord.py does not wait for handlers on close). Anything else is logged as is."""
        if self.is_closed():
            log.info("An event handler (%s) stopped by the shutdown", event_method, exc_info=True)
            return
        await super().on_error(event_method, *args, **kwargs)

    async def on_app_command_error(
        self, interaction: discord.Interaction[ConsultationBot], error: app_commands.AppCommandError
    ) -> None:
        """One place that turns any failure into a clear, ephemeral sentence."""
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await self.answer_error(interaction, cause)

    async def answer_error(self, interaction: discord.Interaction[Any], error: BaseException) -> None:
        text = error_sentence(error, interaction.locale)
        if text is None:
            return
        try:
            await respond(interaction, text, ephemeral=True)
        except discord.HTTPException as failed:
            log.warning("Could not tell the member about an error (%s): %s", error, failed)
