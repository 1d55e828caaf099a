"""``DiscordEmulator``: the Python control API used by tests and the demo. It owns the state, the
aiohttp server (REST + gateway), scripts members' actions and exposes what the bot did."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web

from . import actions
from .control_interactions import InteractionControl
from .control_members import MemberControl
from .control_world import WorldControl
from .gateway import Gateway
from .interactions import EmulatorError, InteractionResult
from .limits import ATTACHMENT_SIZE_LIMIT, ApiError
from .payloads import event_payload
from .ratelimits import RateLimits, default_pace
from .recording import Exchange, new_sink
from .rest import Fault, make_app
from .scheduled_events import ScheduledEventControl
from .state import Channel, Message, ScheduledEvent, State, snowflake

log = logging.getLogger(__name__)

# aiohttp listens with a backlog of 128: a burst of clicks whose answers each open a connection (1,000
# in bench.postgres's rush) overflowed it, the kernel dropped the SYNs and the clients' retries came 1,
# 3, 7, 15, 31 s later (answers 20-39 s late, a 60 s wait timed out). Discord's edge is no such limit.
LISTEN_BACKLOG = 4096


class DiscordEmulator(WorldControl, MemberControl, InteractionControl, ScheduledEventControl):
    """A loopback Discord (API v10 + gateway) for the unmodified discord.py client.

    The control API is spread over mixins by what a test scripts: the world (``WorldControl``),
    members' actions (``MemberControl``), interactions (``InteractionControl``) and scheduled events
    (``ScheduledEventControl``); lifecycle, inspection and faults stay here."""

    def __init__(
        self, *, bot_name: str = "Consultation Bot", pace: float | Literal["default"] | None = "default"
    ) -> None:
        self.state = State()
        # Discord's rate limits at ``pace`` (1.0: real windows; None: not modelled); True: the default
        # "default": the pace set by ``ratelimits.set_default_pace`` (the end-to-end tests turn it on).
        self.ratelimits: RateLimits | None = None
        self.set_pace(default_pace() if pace == "default" else pace)
        self.gateway = Gateway(self)
        self.requests: list[tuple[str, str, int]] = []
        # None: not recording; a list collects every REST call (see ``recording``).
        self.exchanges: list[Exchange] | None = new_sink()
        self.faults: list[Fault] = []
        self.interactions: dict[int, InteractionResult] = {}
        self.interactions_by_token: dict[str, InteractionResult] = {}
        self.attachment_size_limit = ATTACHMENT_SIZE_LIMIT
        owner = self._new_user("Application Owner")
        self.owner_user_id = owner.id
        bot = self._new_user(bot_name, bot=True)
        self.bot_user_id = bot.id
        # Shaped like a real token (user id, timestamp, HMAC), so the bot's own checks accept it.
        user_part = base64.urlsafe_b64encode(str(bot.id).encode()).decode().rstrip("=")
        self.token = f"{user_part}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        self.application_id = bot.id
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> None:
        self._runner = web.AppRunner(make_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, backlog=LISTEN_BACKLOG)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        log.info("Discord emulator listening on %s", self.api_base)

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- scheduled events (as a member/admin would create them) ---------------------------------

    async def create_scheduled_event(
        self, guild_id: int, name: str, start: str, *, entity_type: int = 3, **kw: Any
    ) -> ScheduledEvent:
        event = ScheduledEvent(snowflake(), guild_id, name, start, entity_type, **kw)
        self.state.guilds[guild_id].events[event.id] = event
        self.gateway.emit("GUILD_SCHEDULED_EVENT_CREATE", event_payload(event))
        return event

    # -- inspecting -----------------------------------------------------------------------------

    def messages(self, channel_id: int) -> list[Message]:
        return self.state.channel_messages(channel_id)

    def message(self, message_id: int) -> Message:
        return self.state.messages[message_id]

    def channel(self, channel_id: int) -> Channel:
        return self.state.channels[channel_id]

    def threads(self, parent_id: int) -> list[Channel]:
        return [c for c in self.state.channels.values() if c.is_thread and c.parent_id == parent_id]

    def reactions(self, channel_id: int, message_id: int) -> dict[str, list[int]]:
        msg = actions.get_message(self, channel_id, message_id)
        return {k: list(v) for k, v in msg.reactions.items() if v}

    def dms(self, user_id: int) -> list[Message]:
        channel_id = self.state.dm_channels.get(user_id)
        if channel_id is None:
            return []
        return [m for m in self.messages(channel_id) if m.author_id == self.bot_user_id]

    def scheduled_events(self, guild_id: int) -> list[ScheduledEvent]:
        return list(self.state.guilds[guild_id].events.values())

    def synced_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.state.global_commands)
        return list(self.state.guild_commands.get(guild_id, []))

    def request_count(self, method: str, pattern: str) -> int:
        regex = re.compile(pattern)
        return sum(1 for m, p, _ in self.requests if m == method and regex.search(p))

    async def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 5, interval: float = 0.01
    ) -> Any:
        """Poll ``predicate`` until it is truthy; returns its value or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    def set_pace(self, pace: float | None) -> RateLimits | None:
        """Model Discord's rate limits from now on, windows scaled by ``pace`` (None: no limits)."""
        self.ratelimits = RateLimits(pace) if pace is not None else None
        if hasattr(self, "gateway"):
            self.gateway.limits.pace = pace  # IDENTIFY's 5-second windows at the same pace
        return self.ratelimits

    @property
    def rate_limited(self) -> int:
        """429s the rate-limit model answered so far (0 when it is off)."""
        return self.ratelimits.total_429 if self.ratelimits is not None else 0

    # -- gateway & faults -----------------------------------------------------------------------

    @property
    def connected(self) -> int:
        return self.gateway.connected

    async def wait_for_ready(self, count: int = 1, timeout: float = 10) -> None:
        await self.gateway.wait_for_ready(count, timeout)

    def shard_as(self, recommended: int, max_concurrency: int = 1) -> None:
        """What ``GET /gateway/bot`` recommends: ``recommended`` shards, ``max_concurrency`` at once."""
        self.gateway.recommended_shards = recommended
        self.gateway.max_concurrency = max_concurrency

    def shards_connected(self) -> list[list[int] | None]:
        """The ``[shard_id, shard_count]`` of every connected gateway session (None: not sharded)."""
        return self.gateway.shards_connected()

    async def drop_connections(self, resume: bool = True) -> None:
        """Close every websocket (code 4000). ``resume=False`` also forgets the sessions, so the
        client's RESUME gets INVALID_SESSION and it re-IDENTIFIES."""
        await self.gateway.drop_connections(resume=resume)

    @property
    def duplicate_events(self) -> bool:
        return self.gateway.duplicate_events

    @duplicate_events.setter
    def duplicate_events(self, value: bool) -> None:
        self.gateway.duplicate_events = value

    def deliver_twice(self, next_n: int = 1) -> None:
        """The next ``next_n`` dispatches are each sent twice with the same ``s`` (as a replay)."""
        self.gateway.duplicate_next = next_n

    def hold_events(self) -> None:
        """Hold back every dispatch from now on (sequence numbers and replay buffers as usual) until
        ``release_events``: a way to deliver events late or out of order."""
        self.gateway.holding = True

    def release_events(self, *, reverse: bool = False) -> int:
        """Deliver the held dispatches, in the order they happened or (``reverse``) last first: an
        add followed by a remove arrives as the remove, then the add. Returns the frames sent."""
        return self.gateway.release_held(reverse=reverse)

    def fail_route(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 500,
        retry_after: float = 0.2,
        times: int = 1,
        code: int = 0,
    ) -> Fault:
        """The next ``times`` requests matching ``method`` and regex ``pattern`` (searched in the
        path after ``/api/v10``) fail with ``status`` (429s carry ``retry_after``)."""
        fault = Fault(method.upper(), re.compile(pattern), status, times, retry_after, code)
        self.faults.append(fault)
        return fault

    def dispatch_raw(self, event: str, data: dict[str, Any]) -> None:
        """Send any gateway event as is (for events the emulator does not model)."""
        self.gateway.emit(event, data)


__all__ = ["ApiError", "DiscordEmulator", "EmulatorError", "InteractionResult"]
