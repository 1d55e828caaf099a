"""A rehearsal server: the emulator, a guild with roles, members and channels, and the bot running
against it. ``make demo`` and the end-to-end tests both stand on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.client import IDENTIFY_INTERVAL, ConsultationBot
from bot.clock import FakeClock
from bot.config import Settings
from bot.data.database import Database
from bot.data.officehours import OfficeHoursRepository, Session
from bot.data.reactions import ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.recommendations.titles import RATE_LIMIT_WAIT
from rehearsal.emulator import DiscordEmulator, InteractionResult
from rehearsal.emulator.state import ADMINISTRATOR, MANAGE_EVENTS, MANAGE_THREADS

log = logging.getLogger(__name__)

FORUM, TEXT, VOICE = 15, 0, 2
DEFAULT_MEMBERS = {"alice": "en-US", "bob": "fr", "chen": "zh-CN", "dana": "es-ES", "eve": "de"}


@dataclass
class World:
    emu: DiscordEmulator
    clock: FakeClock
    database_path: Path
    guild_id: int
    members: dict[str, int]
    locales: dict[str, str]
    roles: dict[str, int]
    forum_id: int
    text_id: int
    digest_id: int
    voice_id: int
    bot: ConsultationBot | None = None
    database_url: str | None = None  # postgresql://...; None: the SQLite file at database_path
    shards: tuple[int, tuple[int, ...] | None] | None = None  # (SHARD_COUNT, SHARD_IDS) of the bot
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    async def create(
        cls,
        database_path: Path,
        *,
        members: dict[str, str] | None = None,
        clock: FakeClock | None = None,
        guild_name: str = "Wikimedia Movement Strategy",
        guild_locale: str = "en-US",
        database_url: str | None = None,
        emu: DiscordEmulator | None = None,
        shard: tuple[int, int] | None = None,
    ) -> World:
        """``database_url``: a ``postgresql://`` URL to run on PostgreSQL (``sqlite:///`` is the path);
        ``emu``: another guild in a running emulator; ``shard`` (id, count): a guild that shard serves."""
        if database_url is not None and database_url.startswith("sqlite:///"):
            database_path, database_url = Path(database_url.removeprefix("sqlite:///")), None
        if emu is None:
            emu = DiscordEmulator()
            await emu.start()
        guild = emu.create_guild(guild_name, locale=guild_locale, shard=shard)
        roles = {
            "admin": emu.create_role(guild.id, "Admins", permissions=ADMINISTRATOR).id,
            "working_group": emu.create_role(
                guild.id, "Resource Allocation WG", permissions=MANAGE_EVENTS
            ).id,
            "moderator": emu.create_role(guild.id, "Moderators", permissions=MANAGE_THREADS).id,
        }
        ids = {
            "admin": emu.create_member(guild.id, "Admin", roles=[roles["admin"]]).id,
            "wg": emu.create_member(guild.id, "Working Group Member", roles=[roles["working_group"]]).id,
            "mod": emu.create_member(guild.id, "Moderator", roles=[roles["moderator"]]).id,
        }
        locales = {"admin": "en-US", "wg": "en-GB", "mod": "en-US"}
        for name, locale in (members or DEFAULT_MEMBERS).items():
            ids[name] = emu.create_member(guild.id, name.capitalize(), locale=locale).id
            locales[name] = locale
        text = emu.create_channel(guild.id, "general", type=TEXT)
        forum = emu.create_channel(guild.id, "draft-recommendations", type=FORUM)
        digest = emu.create_channel(guild.id, "working-group-digest", type=TEXT)
        voice = emu.create_channel(guild.id, "office-hours", type=VOICE)
        return cls(
            emu=emu,
            clock=clock or FakeClock(),
            database_path=database_path,
            database_url=database_url,
            guild_id=guild.id,
            members=ids,
            locales=locales,
            roles=roles,
            forum_id=forum.id,
            text_id=text.id,
            digest_id=digest.id,
            voice_id=voice.id,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            discord_token=self.emu.token,
            database_path=self.database_path,
            database_url=self.database_url,
            log_level="INFO",
            discord_api_base=self.emu.api_base,
            shard_count=self.shards[0] if self.shards else None,
            shard_ids=self.shards[1] if self.shards else None,
        )

    def set_pace(self, pace: float | None) -> None:
        """Discord's rate limits at ``pace`` from now on, for the emulator and the bot alike."""
        self.emu.set_pace(pace)
        self._pace_longest_wait()

    def _pace_longest_wait(self) -> None:
        """The bot's longest rate-limit wait at the pace the emulator's windows run (discord.py's floor of
        30 s is for real Discord: at pace 0.01 the ten-minute rename limit lasts 6 s, more than 5).
        Buckets learnt at another pace are forgotten, as the emulator's are."""
        if self.bot is None:
            return
        pace = self.emu.ratelimits.pace if self.emu.ratelimits is not None else 1.0
        # Never under 5 s: injected 429s (``fail_route``) say retry_after in real seconds, up to 2.5 s.
        self.bot.http.max_ratelimit_timeout = max(RATE_LIMIT_WAIT * pace, 5.0)
        self.bot.http._buckets.clear()

    @property
    def db(self) -> Database:
        assert self.bot is not None, "the bot is not running"
        return self.bot.db

    async def start_bot(self, timeout: float = 15) -> ConsultationBot:
        bot = ConsultationBot(self.settings, clock=self.clock, guild_ready_timeout=0.05)
        # Discord's identify limit, at the pace the emulator enforces it (none when it does not).
        bot.identify_interval = IDENTIFY_INTERVAL * (self.emu.gateway.limits.pace or 0.0)
        self.bot = bot
        self._pace_longest_wait()
        self._task = task = asyncio.create_task(bot.start(self.emu.token), name="consultation-bot")
        async with asyncio.timeout(timeout):
            while not bot.is_ready():
                if task.done():
                    task.result()
                    raise RuntimeError("the bot stopped before it was ready")
                await asyncio.sleep(0.01)
        return bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)
        self.bot = None
        self._task = None

    async def wait_for_catch_up(self, timeout: float = 60) -> tuple[int, int, int]:
        """Wait for the reaction catch-up that follows a start; returns (added, removed, unchanged)."""
        assert self.bot is not None
        tally = self.bot.services.tally
        return await self.emu.wait_until(lambda: tally.last_catch_up, timeout=timeout)

    async def restart_bot(self) -> ConsultationBot:
        await self.stop_bot()
        return await self.start_bot()

    async def close(self) -> None:
        await self.stop_bot()
        await self.emu.stop()

    async def command(
        self, name: str, command: str, *, channel_id: int | None = None, timeout: float = 10, **options: Any
    ) -> InteractionResult:
        """Member ``name`` runs ``/command`` with ``options``; returns once the bot answered."""
        result = await self.emu.run_command(
            self.members[name], self.guild_id, command, options, channel_id=channel_id or self.text_id
        )
        return await result.wait(timeout)

    async def settle(self) -> None:
        """Wait until the bot handled every event sent so far and its tally is quiet (no catch-up or
        reconcile running, the writer flushed).

        The gateway delivers in order, so once a command sent now is answered, the events before it
        were dispatched; handlers that awaited nothing before queueing have queued.
        """
        result = await self.emu.run_command(self.members["admin"], self.guild_id, "consultation status")
        await result.wait(10)
        assert self.bot is not None
        await self.bot.services.tally.wait_until_quiet()

    async def setup_consultation(self, channel: str = "forum") -> InteractionResult:
        return await self.command(
            "admin",
            "consultation setup",
            channel=self.forum_id if channel == "forum" else self.text_id,
            working_group_role=self.roles["working_group"],
            moderator_role=self.roles["moderator"],
            digest_channel=self.digest_id,
        )

    async def schedule_office_hours(
        self,
        title: str,
        *,
        capacity: int,
        start: str = "2026-01-10T18:00Z",
        duration: int = 60,
        timeout: float = 5,
        **where: Any,
    ) -> Session:
        """The working group schedules the only upcoming session (``where``: ``place`` or ``channel``);
        returns it once its card is posted."""
        result = await self.command(
            "wg",
            "officehours-manage schedule",
            title=title,
            start=start,
            duration=duration,
            capacity=capacity,
            **where,
        )
        await result.wait_for_followup(timeout)
        [summary] = await OfficeHoursRepository(self.db).upcoming(self.guild_id, self.clock.now())
        return summary.session

    async def publish(self) -> InteractionResult:
        result = await self.command("wg", "consultation publish", timeout=60)
        await result.wait_for_followup(timeout=60)
        return result


TallyCells = dict[tuple[int, int | str], tuple[int, int, int, int]]


async def discord_tally(world: World) -> TallyCells:
    """The cross-tab computed from the emulator's own reaction lists (Discord's ground truth)."""
    assert world.bot is not None
    guilds = world.bot.guild_repository
    areas = await guilds.scoping_areas(world.guild_id)
    stance_emoji = {s.key: s.emoji for s in await guilds.stances(world.guild_id)}
    options = {area.emoji for area in areas} | set(stance_emoji.values())
    users = world.emu.state.users
    cells: TallyCells = {}
    recommendations = RecommendationRepository(world.db)
    for rec in await recommendations.all(world.guild_id):
        post = await recommendations.live_post_for(rec.id)
        lists: dict[str, set[int]] = {}
        if post is not None:
            raw = world.emu.reactions(post.message_channel_id, post.message_id)
            lists = {
                emoji: {user for user in members if not users[user].bot}
                for emoji, members in raw.items()
                if emoji in options
            }
        stance = {key: lists.get(emoji, set()) for key, emoji in stance_emoji.items()}
        for area in areas:
            tagged = lists.get(area.emoji, set())
            cells[(rec.number, area.number)] = (
                len(tagged),
                len(tagged & stance["support"]),
                len(tagged & stance["oppose"]),
                len(tagged & stance["needs_work"]),
            )
        everyone = set().union(*lists.values()) if lists else set()
        cells[(rec.number, "all")] = (
            len(everyone),
            len(stance["support"]),
            len(stance["oppose"]),
            len(stance["needs_work"]),
        )
    return cells


async def database_tally(world: World) -> TallyCells:
    """The same cross-tab from the bot's database, after its writer has flushed."""
    assert world.bot is not None
    await world.bot.services.tally.flush()
    return await stored_tally(world.db, world.guild_id)


async def stored_tally(db: Database, guild_id: int) -> TallyCells:
    """The cross-tab as the database file stands (a bot in another process is read this way)."""
    reactions = ReactionRepository(db)
    cells: TallyCells = {
        (row.recommendation_number, row.area_number): (row.members, row.support, row.oppose, row.needs_work)
        for row in await reactions.area_tally(guild_id)
    }
    for row in await reactions.stance_tally(guild_id):
        cells[(row.recommendation_number, "all")] = (row.members, row.support, row.oppose, row.needs_work)
    return cells
