"""REST plumbing: one catch-all aiohttp handler with a regex router, auth, body parsing
(JSON and multipart ``payload_json`` + ``files[n]``), fault injection, rate-limit headers, and the
user/gateway/guild/scheduled-event routes. Channel and interaction routes live in sibling modules."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .actions import get_channel
from .limits import ApiError, FormErrors, missing_permissions, not_found
from .payloads import (
    channel_payload,
    event_payload,
    guild_payload,
    member_payload,
    role_payload,
    user_payload,
)
from .recording import BODY_KEY, exchange
from .scheduled_events import apply_edit
from .state import MANAGE_EVENTS, ScheduledEvent, snowflake

if TYPE_CHECKING:
    from .control import DiscordEmulator

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}
EMU_KEY: web.AppKey[DiscordEmulator] = web.AppKey("emu")


@dataclass
class Req:
    """A parsed REST request."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any = None
    files: list[tuple[str, bytes, str | None]] = field(default_factory=list)
    authed: bool = False

    def int(self, name: str) -> int:
        return int(self.params[name])


Handler = Callable[["DiscordEmulator", Req], Awaitable[Any]]


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float
    code: int


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def param(found: re.Match[str]) -> str:
            name = found.group(1)
            digits = name.endswith("_id") and name != "user_id"
            return f"(?P<{name}>{'[0-9]+' if digits else '[^/]+'})"

        regex = re.sub(r"\{(\w+)\}", param, template)

        def deco(func: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(f"^{regex}$"), func, auth))
            return func

        return deco

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None


router = Router()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # body= (bytes) keeps the Content-Type exactly "application/json": discord.py compares it
    # verbatim, and text= would append "; charset=utf-8".
    all_headers = dict(JSON_HEADERS)
    all_headers.update(headers or {})
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def ratelimit_headers(route_key: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "999",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": f"emu-{abs(hash(route_key)) % 10**12:x}",
    }


async def parse_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes, str | None]]]:
    ctype = request.content_type
    files: list[tuple[str, bytes, str | None]] = []
    if ctype.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            data = await part.read()  # type: ignore[union-attr]
            name = part.name or ""  # type: ignore[union-attr]
            if name == "payload_json":
                body = json.loads(data)
            elif name.startswith("file"):
                ptype = part.headers.get("Content-Type")  # type: ignore[union-attr]
                files.append((part.filename or name, bytes(data), ptype))  # type: ignore[union-attr]
        return body if body is not None else {}, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc


async def handle(request: web.Request) -> web.StreamResponse:
    """The single REST entry point under ``/api/v10``."""
    emu: DiscordEmulator = request.app[EMU_KEY]
    path = "/" + request.match_info["tail"]
    method = request.method
    status = 500
    response: web.StreamResponse | None = None
    try:
        response = await _dispatch(emu, request, method, path)
        status = response.status
        return response
    finally:
        emu.requests.append((method, path, status))
        if emu.exchanges is not None:
            emu.exchanges.append(exchange(request, path, response))


async def _dispatch(emu: DiscordEmulator, request: web.Request, method: str, path: str) -> web.StreamResponse:
    rl = ratelimit_headers(f"{method} {path}")
    for fault in emu.faults:
        if fault.times > 0 and fault.method == method and fault.pattern.search(path):
            fault.times -= 1
            log.info("Injected fault %s on %s %s", fault.status, method, path)
            if fault.status == 429:
                body = {
                    "code": 0,  # Discord's error objects always carry a code
                    "message": "You are being rate limited.",
                    "retry_after": fault.retry_after,
                    "global": False,
                }
                headers = dict(rl)
                headers.update(
                    {
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": str(max(1, round(fault.retry_after))),
                        "Via": "1.1 google",
                        "X-RateLimit-Scope": "user",
                    }
                )
                return json_response(429, body, headers)
            return json_response(fault.status, {"message": "Injected failure", "code": fault.code}, rl)
    found = router.match(method, path)
    if found is None:
        log.warning("Emulator: unknown route %s %s", method, path)
        return json_response(404, {"message": "404: Not Found", "code": 0})
    route, params = found
    auth = request.headers.get("Authorization", "")
    authed = auth == f"Bot {emu.token}"
    if route.auth and not authed:
        return json_response(401, {"message": "401: Unauthorized", "code": 0})
    try:
        body, files = await parse_body(request)
        request[BODY_KEY] = body
        req = Req(method, path, params, dict(request.query), body, files, authed)
        result = await route.handler(emu, req)
    except ApiError as err:
        if err.status >= 500:
            log.error("Emulator error on %s %s: %s", method, path, err)
        return json_response(err.status, err.body(), rl)
    except Exception:
        log.exception("Emulator crashed on %s %s", method, path)
        return json_response(500, {"message": "500: Internal Server Error", "code": 0}, rl)
    if result is None:
        return web.Response(status=204, headers=rl)
    if isinstance(result, tuple):
        status, payload = result
        return json_response(status, payload, rl)
    return json_response(200, result, rl)


def make_app(emu: DiscordEmulator) -> web.Application:
    from . import command_permissions, rest_channels, rest_interactions  # noqa: F401  (their routes)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[EMU_KEY] = emu
    app.router.add_get("/gateway", emu.gateway.handle)
    app.router.add_route("*", "/api/v10/{tail:.*}", handle)
    app.router.add_get("/attachments/{aid}/{name}", _attachment)
    return app


async def _attachment(request: web.Request) -> web.Response:
    emu: DiscordEmulator = request.app[EMU_KEY]
    aid = int(request.match_info["aid"])
    for msg in emu.state.messages.values():
        for att in msg.attachments:
            if att.id == aid:
                return web.Response(body=att.data, content_type=att.content_type or "")
    return web.Response(status=404)


# -- users, gateway, application -------------------------------------------------------------------


@router.add("GET", "/users/@me")
async def get_me(emu: DiscordEmulator, req: Req) -> Any:
    me = user_payload(emu.state.users[emu.bot_user_id])
    me.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
    return me


@router.add("GET", "/users/{user_id}")
async def get_user(emu: DiscordEmulator, req: Req) -> Any:
    user = emu.state.users.get(req.int("user_id"))
    if user is None:
        raise not_found("User", 10013)
    return user_payload(user)


@router.add("GET", "/oauth2/applications/@me")
async def get_application(emu: DiscordEmulator, req: Req) -> Any:
    bot = user_payload(emu.state.users[emu.bot_user_id])
    return {
        "id": str(emu.application_id),
        "name": bot["username"],
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "bot": bot,
        "owner": user_payload(emu.state.users[emu.owner_user_id]),
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "type": None,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": len(emu.state.guilds),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": [],
    }


@router.add("GET", "/gateway", auth=False)
async def get_gateway(emu: DiscordEmulator, req: Req) -> Any:
    return {"url": emu.gateway_url}


@router.add("GET", "/gateway/bot")
async def get_gateway_bot(emu: DiscordEmulator, req: Req) -> Any:
    return {
        "url": emu.gateway_url,
        "shards": 1,
        "session_start_limit": {
            "total": 1000,
            "remaining": 999,
            "reset_after": 14400000,
            "max_concurrency": 1,
        },
    }


# -- guilds -----------------------------------------------------------------------------------------


def _guild(emu: DiscordEmulator, req: Req) -> Any:
    guild = emu.state.guilds.get(req.int("guild_id"))
    if guild is None:
        raise not_found("Guild", 10004)
    return guild


@router.add("GET", "/guilds/{guild_id}")
async def get_guild(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    data = guild_payload(emu.state, guild)
    data["approximate_member_count"] = len(guild.members)
    return data


@router.add("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    channels = [emu.state.channels[c] for c in guild.channel_ids]
    return [channel_payload(c) for c in channels if not c.is_thread]


@router.add("GET", "/guilds/{guild_id}/threads/active")
async def get_active_threads(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    channels = [emu.state.channels[c] for c in guild.channel_ids]
    threads = [channel_payload(c) for c in channels if c.is_thread and not c.archived]
    return {"threads": threads, "members": []}


@router.add("GET", "/guilds/{guild_id}/roles")
async def get_roles(emu: DiscordEmulator, req: Req) -> Any:
    return [role_payload(r) for r in _guild(emu, req).roles.values()]


@router.add("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(emu: DiscordEmulator, req: Req) -> Any:
    member = _guild(emu, req).members.get(req.int("user_id"))
    if member is None:
        raise not_found("Member", 10007)
    return member_payload(member)


@router.add("GET", "/guilds/{guild_id}/members")
async def get_members(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    limit = min(int(req.query.get("limit", 1)), 1000)
    after = int(req.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return [member_payload(m) for m in members[:limit]]


# -- scheduled events -------------------------------------------------------------------------------


def _require_events(emu: DiscordEmulator, guild_id: int) -> None:
    if not emu.state.base_permissions(guild_id, emu.bot_user_id) & MANAGE_EVENTS:
        raise missing_permissions()


@router.add("GET", "/guilds/{guild_id}/scheduled-events")
async def list_events(emu: DiscordEmulator, req: Req) -> Any:
    return [event_payload(e) for e in _guild(emu, req).events.values()]


@router.add("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def get_event(emu: DiscordEmulator, req: Req) -> Any:
    event = _guild(emu, req).events.get(req.int("event_id"))
    if event is None:
        raise not_found("Guild Scheduled Event", 10070)
    return event_payload(event)


@router.add("POST", "/guilds/{guild_id}/scheduled-events")
async def create_event(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    _require_events(emu, guild.id)
    body = req.body or {}
    form = FormErrors()
    form.length("name", body.get("name"), 1, 100)
    if body.get("description") is not None:
        form.length("description", body["description"], 0, 1000)
    if not body.get("scheduled_start_time"):
        form.add("scheduled_start_time", "BASE_TYPE_REQUIRED", "This field is required")
    entity_type = int(body.get("entity_type") or 0)
    if entity_type == 3 and not body.get("scheduled_end_time"):
        form.add("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required")
    if entity_type in (1, 2) and not body.get("channel_id"):
        form.add("channel_id", "BASE_TYPE_REQUIRED", "This field is required")
    form.raise_if_any()
    channel_id = body.get("channel_id")
    event = ScheduledEvent(
        id=snowflake(),
        guild_id=guild.id,
        name=body["name"],
        scheduled_start_time=body["scheduled_start_time"],
        entity_type=entity_type,
        privacy_level=int(body.get("privacy_level") or 2),
        description=body.get("description"),
        channel_id=int(channel_id) if channel_id else None,
        scheduled_end_time=body.get("scheduled_end_time"),
        entity_metadata=body.get("entity_metadata"),
        creator_id=emu.bot_user_id,
    )
    guild.events[event.id] = event
    emu.gateway.emit("GUILD_SCHEDULED_EVENT_CREATE", event_payload(event))
    return event_payload(event)


@router.add("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def edit_event(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    _require_events(emu, guild.id)
    event = guild.events.get(req.int("event_id"))
    if event is None:
        raise not_found("Guild Scheduled Event", 10070)
    return apply_edit(emu, event, req.body or {})


@router.add("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def delete_event(emu: DiscordEmulator, req: Req) -> Any:
    guild = _guild(emu, req)
    _require_events(emu, guild.id)
    event = guild.events.pop(req.int("event_id"), None)
    if event is None:
        raise not_found("Guild Scheduled Event", 10070)
    emu.gateway.emit("GUILD_SCHEDULED_EVENT_DELETE", event_payload(event))
    return None


# -- DMs --------------------------------------------------------------------------------------------


@router.add("POST", "/users/@me/channels")
async def create_dm(emu: DiscordEmulator, req: Req) -> Any:
    recipient = int((req.body or {}).get("recipient_id", 0))
    user = emu.state.users.get(recipient)
    if user is None:
        raise not_found("User", 10013)
    channel = emu.dm_channel(recipient)
    data = channel_payload(channel)
    data["recipients"] = [user_payload(user)]
    return data


__all__ = ["Req", "get_channel", "json_response", "make_app", "router"]
