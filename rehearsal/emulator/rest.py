"""REST plumbing: one catch-all aiohttp handler with a regex router, auth, body parsing
(JSON and multipart ``payload_json`` + ``files[n]``), fault injection, rate-limit headers, and the
user/gateway/DM routes. Guild, channel and interaction routes live in sibling modules."""

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
from .limits import ApiError, not_found
from .payloads import (
    channel_payload,
    user_payload,
)
from .recording import BODY_KEY, exchange

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

    def user_id(self, emu: DiscordEmulator) -> int:
        """The ``{user_id}`` parameter: a snowflake, or ``@me`` for the bot."""
        who = self.params["user_id"]
        return emu.bot_user_id if who == "@me" else int(who)

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
    """Headers of a roomy bucket, when rate limits are not modelled (``emu.ratelimits`` is None)."""
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
        if status in (401, 403) and emu.ratelimits is not None:
            emu.ratelimits.invalid_request()
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
    if emu.ratelimits is not None:  # Discord's buckets, modelled (ratelimits.py)
        verdict = emu.ratelimits.check(method, path, authed=authed)
        if verdict.refused is not None:
            log.info("Rate limited (%s) %s %s", verdict.scope, method, path)
            return json_response(429, verdict.refused, verdict.headers)
        rl = verdict.headers
    try:
        body, files = await parse_body(request)
        request[BODY_KEY] = body
        if emu.ratelimits is not None and (renamed := emu.ratelimits.check_rename(method, path, body, rl)):
            log.info("Rate limited (channel renames) %s %s", method, path)
            return json_response(429, renamed.refused, renamed.headers)
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
    from . import (  # noqa: F401  (their routes)
        command_permissions,
        rest_channels,
        rest_guilds,
        rest_interactions,
        rest_reactions,
        rest_threads,
    )

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
        "shards": emu.gateway.recommended_shards,
        "session_start_limit": emu.gateway.session_start_limit(),
    }


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
