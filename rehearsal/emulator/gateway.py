"""The gateway websocket: HELLO/IDENTIFY/READY/RESUME, per-session sequence numbers and replay
buffers, intent filtering (MESSAGE_CONTENT blanking included) and event fan-out to every session.

Sharding as Discord does it: IDENTIFY may carry ``shard: [id, count]``; READY lists, GUILD_CREATE
describes and events reach only the guilds of that shard (``(guild_id >> 22) % count``), events
without a guild (DMs) only shard 0. ``GET /gateway/bot`` recommends ``recommended_shards`` and
reports ``session_start_limit``. IDENTIFY follows Discord's rules (``identify.py``): too many at once
in one ``max_concurrency`` bucket get Opcode 9, an invalid shard 4010, too many guilds 4011."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .identify import INVALID_SHARD, SHARDING_REQUIRED, IdentifyLimits
from .payloads import guild_create_payload, member_payload, user_payload

if TYPE_CHECKING:
    from .control import DiscordEmulator

log = logging.getLogger(__name__)

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16

HEARTBEAT_INTERVAL_MS = 41250
GUILD_EVENTS_BY_ID = ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE")
REPLAY_BUFFER = 2000
MAX_SESSIONS = 64


@dataclass
class Session:
    """One gateway session; survives its websocket so it can be RESUMEd."""

    id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    queue: asyncio.Queue[str | None] | None = None
    buffer: collections.deque[tuple[int, str]] = field(
        default_factory=lambda: collections.deque(maxlen=REPLAY_BUFFER)
    )
    ready: bool = False

    def serves(self, guild_id: int | None) -> bool:
        """Whether Discord would send this session an event of ``guild_id`` (None: not in a guild)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id


def event_guild(event: str, data: dict[str, Any]) -> int | None:
    """The guild an event belongs to (None for DMs and events outside guilds)."""
    raw = data.get("id") if event in GUILD_EVENTS_BY_ID else data.get("guild_id")
    return int(raw) if raw else None


def required_intent(event: str, data: dict[str, Any]) -> int:
    """The intent an event needs (0: always sent)."""
    in_guild = "guild_id" in data
    if event.startswith("MESSAGE_REACTION"):
        return GUILD_MESSAGE_REACTIONS if in_guild else DIRECT_MESSAGE_REACTIONS
    if event.startswith("MESSAGE_"):
        return GUILD_MESSAGES if in_guild else DIRECT_MESSAGES
    if event.startswith(("GUILD_SCHEDULED_EVENT", "GUILD_SCHEDULED_EVENT_USER")):
        return GUILD_SCHEDULED_EVENTS
    if event.startswith("GUILD_MEMBER"):
        return GUILD_MEMBERS
    if event.startswith(("CHANNEL_", "THREAD_", "GUILD_")):
        return GUILDS
    return 0


def blank_content(data: dict[str, Any], bot_user_id: int) -> dict[str, Any]:
    """What a bot without the MESSAGE_CONTENT intent sees of someone else's message."""
    author = data.get("author") or {}
    if "guild_id" not in data or author.get("id") == str(bot_user_id):
        return data
    if any(m.get("id") == str(bot_user_id) for m in data.get("mentions", [])):
        return data
    blanked = dict(data)
    for key, empty in (("content", ""), ("embeds", []), ("attachments", []), ("components", [])):
        if key in blanked:
            blanked[key] = empty
    blanked.pop("poll", None)
    return blanked


class Gateway:
    """Accepts websocket connections at ``/gateway`` and dispatches events to every session."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.sessions: dict[str, Session] = {}
        self.duplicate_events = False
        self.duplicate_next = 0
        self.holding = False
        self._held: list[tuple[Session, str]] = []
        self._ready_event = asyncio.Event()
        self._sockets: set[web.WebSocketResponse] = set()
        self.recommended_shards = 1  # what GET /gateway/bot answers in ``shards``
        # Discord's IDENTIFY rules, at the pace of the emulator's rate limits (off when they are off).
        self.limits = IdentifyLimits(pace=emu.ratelimits.pace if emu.ratelimits is not None else None)

    @property
    def max_concurrency(self) -> int:
        return self.limits.max_concurrency

    @max_concurrency.setter
    def max_concurrency(self, value: int) -> None:
        self.limits.max_concurrency = value

    def session_start_limit(self) -> dict[str, int]:
        return self.limits.session_start_limit(asyncio.get_running_loop().time())

    def shards_connected(self) -> list[list[int] | None]:
        """The shard of every connected, ready session."""
        return [s.shard for s in self.sessions.values() if s.ws is not None and s.ready]

    @property
    def connected(self) -> int:
        return sum(1 for s in self.sessions.values() if s.ws is not None and s.ready)

    # -- dispatch -------------------------------------------------------------------------------

    def emit(self, event: str, data: dict[str, Any]) -> None:
        """Queue ``event`` for every session whose intents allow it (synchronous, ordered)."""
        needed = required_intent(event, data)
        guild_id = event_guild(event, data)
        twice = self.duplicate_events or self.duplicate_next > 0
        if self.duplicate_next > 0:
            self.duplicate_next -= 1
        for session in list(self.sessions.values()):
            if not session.ready or (needed and not session.intents & needed) or not session.serves(guild_id):
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not (session.intents & MESSAGE_CONTENT):
                payload = blank_content(data, self.emu.bot_user_id)
            self._send_dispatch(session, event, payload, twice=twice)

    def _send_dispatch(
        self, session: Session, event: str, data: dict[str, Any], *, twice: bool = False
    ) -> None:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.buffer.append((session.seq, frame))
        if self.holding and event not in ("READY", "RESUMED", "GUILD_CREATE"):
            self._held.append((session, frame))
            if twice:
                self._held.append((session, frame))
        elif session.queue is not None:
            session.queue.put_nowait(frame)
            if twice:
                session.queue.put_nowait(frame)

    # -- connection handling --------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        writer = asyncio.create_task(self._writer(ws, queue))
        session: Session | None = None
        queue.put_nowait(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op, data = payload.get("op"), payload.get("d")
                if op == 1:
                    queue.put_nowait(json.dumps({"op": 11}))
                elif op == 2:
                    session = await self._identify(ws, queue, data)
                elif op == 6:
                    session = self._resume(ws, queue, data)
                elif op == 8 and session is not None:
                    self._members_chunk(session, data)
                elif op in (3, 4):
                    pass
                else:
                    log.debug("Gateway op %s ignored", op)
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                session.queue = None
            queue.put_nowait(None)
            writer.cancel()
        return ws

    async def _writer(self, ws: web.WebSocketResponse, queue: asyncio.Queue[str | None]) -> None:
        while True:
            frame = await queue.get()
            if frame is None or ws.closed:
                return
            try:
                await ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    async def _identify(
        self, ws: web.WebSocketResponse, queue: asyncio.Queue[str | None], data: dict[str, Any]
    ) -> Session | None:
        if data.get("token", "").removeprefix("Bot ") != self.emu.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        while len(self.sessions) >= MAX_SESSIONS:
            oldest = next(iter(self.sessions))
            if self.sessions[oldest].ws is not None:
                break
            del self.sessions[oldest]
        shard = data.get("shard")
        if not IdentifyLimits.valid_shard(shard):
            await ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return None
        probe = Session(id="", intents=0, shard=shard)
        if sum(1 for g in self.emu.state.guilds if probe.serves(g)) > self.limits.max_guilds:
            await ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return None
        if not self.limits.admit(shard, asyncio.get_running_loop().time()):
            log.info("IDENTIFY of shard %s too soon in its bucket: INVALID_SESSION", shard)
            queue.put_nowait(json.dumps({"op": 9, "d": False}))
            return None
        session = Session(id=secrets.token_hex(16), intents=int(data.get("intents", 0)))
        session.shard = shard
        session.ws, session.queue = ws, queue
        self.sessions[session.id] = session
        emu = self.emu
        state = emu.state
        me = user_payload(state.users[emu.bot_user_id])
        me.update({"verified": True, "mfa_enabled": False, "email": None})
        ready: dict[str, Any] = {
            "v": 10,
            "user": me,
            "guilds": [
                {"id": str(g.id), "unavailable": True}
                for g in state.guilds.values()
                if session.serves(g.id) and emu.bot_user_id in g.members
            ],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": emu.gateway_url,
            "application": {"id": str(emu.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        self._send_dispatch(session, "READY", ready)
        if session.intents & GUILDS:
            for guild in [
                g for g in state.guilds.values() if session.serves(g.id) and emu.bot_user_id in g.members
            ]:
                payload = guild_create_payload(
                    state,
                    guild,
                    bot_user_id=emu.bot_user_id,
                    all_members=bool(session.intents & GUILD_MEMBERS),
                )
                self._send_dispatch(session, "GUILD_CREATE", payload)
        session.ready = True
        log.info("Gateway session %s identified (intents %s, shard %s)", session.id, session.intents, shard)
        self._ready_event.set()
        return session

    def _resume(
        self, ws: web.WebSocketResponse, queue: asyncio.Queue[str | None], data: dict[str, Any]
    ) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        token_ok = data.get("token", "").removeprefix("Bot ") == self.emu.token
        if session is None or not token_ok:
            log.info("RESUME of unknown session %s: INVALID_SESSION", data.get("session_id"))
            queue.put_nowait(json.dumps({"op": 9, "d": False}))
            return None
        last = int(data.get("seq") or 0)
        if session.buffer and session.buffer[0][0] > last + 1:
            log.info("RESUME of %s too old for the replay buffer: INVALID_SESSION", session.id)
            del self.sessions[session.id]
            queue.put_nowait(json.dumps({"op": 9, "d": False}))
            return None
        replay = [frame for seq, frame in session.buffer if seq > last]
        session.ws, session.queue = ws, queue
        for frame in replay:
            queue.put_nowait(frame)
        self._send_dispatch(session, "RESUMED", {})
        log.info("Gateway session %s resumed, %d events replayed", session.id, len(replay))
        self._ready_event.set()
        return session

    def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.emu.state.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        ids = data.get("user_ids")
        members = [m for m in guild.members.values() if ids is None or str(m.id) in {str(i) for i in ids}]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- faults ---------------------------------------------------------------------------------

    async def drop_connections(self, *, resume: bool = True) -> None:
        for session in list(self.sessions.values()):
            ws = session.ws
            if not resume:
                self.sessions.pop(session.id, None)
            session.ws = None
            session.queue = None
            if ws is not None and not ws.closed:
                await ws.close(code=4000, message=b"Unknown error")
        self._ready_event.clear()

    def release_held(self, *, reverse: bool = False) -> int:
        """Send the dispatches held back since ``holding`` was set (in reverse order if asked) to the
        sessions still connected; stop holding. Returns the number of frames sent."""
        held, self._held = self._held, []
        self.holding = False
        if reverse:
            held.reverse()
        sent = 0
        for session, frame in held:
            if session.queue is not None:
                session.queue.put_nowait(frame)
                sent += 1
        return sent

    async def wait_for_ready(self, count: int = 1, timeout: float = 10) -> None:
        async def _wait() -> None:
            while self.connected < count:
                self._ready_event.clear()
                await self._ready_event.wait()

        await asyncio.wait_for(_wait(), timeout)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"Emulator shutting down")
