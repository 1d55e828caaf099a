"""``python -m rehearsal.emulator``: the loopback Discord in a process of its own, as Discord is another
machine, driven over a small HTTP control API (``rehearsal.remote.RemoteEmulator`` is its client).

Prints one JSON line on stdout once it listens: ``api_base`` and ``token`` (for the bot's
``DISCORD_API_BASE`` and ``DISCORD_TOKEN``), ``control`` (the control API's URL) and ``pid``; logs go to
stderr. SIGTERM or SIGINT stop it cleanly (exit 0).

Control API (JSON in, JSON out; errors are 400 with ``{"error": sentence}``):
- ``POST /call/{method}`` ``{"args": [...], "kwargs": {...}}``: any public method of ``DiscordEmulator``
  (``create_guild``, ``create_member``, ``run_command``, ``click_button``, ``react_many``...); dataclasses
  come back as objects of their public fields, an interaction as its summary (see ``summary``);
- ``POST /wait/{interaction_id}`` ``{"timeout": s, "followups": n}``: the summary once the bot answered
  (and sent ``n`` followups);
- ``POST /click_many`` ``{"clicks": [[user, channel, message, custom_id], ...], "spread": s,
  "timeout": s}``: the clicks dispatched here, back to back (``spread`` 0) or evenly over ``spread``
  seconds; returns each click's first-answer time in seconds (``null``: not answered in time), measured in
  this process from the dispatch to the bot's callback, as Discord's 3 s deadline is;
- ``POST /components`` ``{"prefix": "officehours:signup:"}``: the live messages with a component whose
  custom id starts with ``prefix``: ``[{"channel_id", "message_id", "custom_id"}]``;
- ``POST /members`` ``{"guild_id", "count", "prefix"}``: that many new members; returns their ids;
- ``GET /info``: the start-up line again, with ``bot_user_id`` and the gateway sessions connected.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import datetime
import inspect
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .control import LISTEN_BACKLOG, DiscordEmulator
from .interactions import InteractionResult
from .rest import make_app

log = logging.getLogger("rehearsal.emulator")


def summary(result: InteractionResult) -> dict[str, Any]:
    """What a remote driver needs of an interaction: whether and how fast it was answered, and how."""
    return {
        "id": result.id,
        "type": result.type,
        "user_id": result.user_id,
        "answered": result.elapsed is not None,
        "elapsed": result.elapsed,
        "within_deadline": result.answered_within_deadline,
        "response_type": result.response_type,
        "deferred": result.deferred,
        "ephemeral": result.ephemeral,
        "content": result.content,
        "embeds": result.embeds,
        "followups": [message.content for message in result.followups],
        "modal": result.modal,
        "choices": result.choices,
    }


def plain(value: Any) -> Any:
    """``json.dumps``'s fallback for the emulator's objects."""
    if isinstance(value, InteractionResult):
        return summary(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: getattr(value, f.name) for f in dataclasses.fields(value) if not f.name.startswith("_")
        }
        if "id" not in fields and hasattr(value, "id"):
            fields["id"] = value.id  # a member's id is its user's
        return fields
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return None  # events, tasks, sockets: not data


def answer(value: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(value, default=plain), status=status, content_type="application/json")


class ControlApi:
    """The HTTP routes that drive one emulator from another process."""

    def __init__(self, emu: DiscordEmulator, info: dict[str, Any]) -> None:
        self.emu = emu
        self.info = info

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024, middlewares=[self.errors])
        app.router.add_get("/info", self.get_info)
        app.router.add_post("/call/{method}", self.call)
        app.router.add_post("/wait/{interaction_id}", self.wait)
        app.router.add_post("/click_many", self.click_many)
        app.router.add_post("/components", self.components)
        app.router.add_post("/members", self.members)
        return app

    @web.middleware
    async def errors(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as error:
            log.info("Control call %s failed: %r", request.path, error)
            return answer({"error": f"{type(error).__name__}: {error}"}, status=400)

    async def get_info(self, request: web.Request) -> web.Response:
        return answer({**self.info, "bot_user_id": self.emu.bot_user_id, "connected": self.emu.connected})

    async def call(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        method = getattr(self.emu, name, None)
        if name.startswith("_") or not callable(method):
            raise ValueError(f"the emulator has no public method {name!r}")
        body = await request.json() if request.can_read_body else {}
        result = method(*body.get("args", []), **body.get("kwargs", {}))
        if inspect.isawaitable(result):
            result = await result
        return answer({"result": result})

    async def wait(self, request: web.Request) -> web.Response:
        result = self.emu.interactions[int(request.match_info["interaction_id"])]
        body = await request.json() if request.can_read_body else {}
        timeout = float(body.get("timeout", 10))
        await result.wait(timeout)
        if body.get("followups"):
            await result.wait_for_followup(timeout, count=int(body["followups"]))
        return answer({"result": result})

    async def click_many(self, request: web.Request) -> web.Response:
        body = await request.json()
        clicks = body["clicks"]
        gap = float(body.get("spread", 0)) / max(1, len(clicks))
        timeout = float(body.get("timeout", 60))
        results = []
        for user_id, channel_id, message_id, custom_id in clicks:
            results.append(await self.emu.click_button(user_id, channel_id, message_id, custom_id))
            if gap:
                await asyncio.sleep(gap)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(r.wait(timeout) for r in results)), timeout)
        return answer({"result": [r.elapsed for r in results]})

    async def members(self, request: web.Request) -> web.Response:
        body = await request.json()
        guild_id, prefix = body["guild_id"], body.get("prefix", "member")
        ids = [self.emu.create_member(guild_id, f"{prefix}{i:06d}").id for i in range(int(body["count"]))]
        return answer({"result": ids})

    async def components(self, request: web.Request) -> web.Response:
        prefix = (await request.json())["prefix"]
        found = []
        for message in list(self.emu.state.messages.values()):
            if message.deleted:
                continue
            for custom_id in custom_ids(message.components):
                if custom_id.startswith(prefix):
                    found.append(
                        {"channel_id": message.channel_id, "message_id": message.id, "custom_id": custom_id}
                    )
        return answer({"result": found})


def custom_ids(components: list[dict[str, Any]]) -> list[str]:
    found = []
    for component in components:
        if "custom_id" in component:
            found.append(component["custom_id"])
        for key in ("components", "accessory", "component"):
            inner = component.get(key)
            if isinstance(inner, dict):
                inner = [inner]
            if isinstance(inner, list):
                found.extend(custom_ids(inner))
    return found


async def listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG)
    await site.start()
    server = site._server
    assert server is not None and server.sockets
    return runner, server.sockets[0].getsockname()[1]


async def serve(host: str, port: int, control_port: int) -> int:
    emu = DiscordEmulator()
    emu.host = host
    # DiscordEmulator.start() always takes a free port; here the API's port may be chosen.
    emu._runner, emu.port = await listen(make_app(emu), host, port)
    info: dict[str, Any] = {"api_base": emu.api_base, "token": emu.token, "pid": os.getpid()}
    control, used = await listen(ControlApi(emu, info).app(), host, control_port)
    info["control"] = f"http://{host}:{used}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    log.info("Discord emulator listening on %s, control API on %s", emu.api_base, info["control"])
    try:
        await stop.wait()
    finally:
        await control.cleanup()
        await emu.stop()
    log.info("Discord emulator stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehearsal.emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="the API and gateway's port (0: any free one)")
    parser.add_argument("--control-port", type=int, default=0, help="the control API's port (0: any)")
    parser.add_argument("--loop", choices=("auto", "asyncio"), default="auto", help="as python -m bot run")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    from bot.client import event_loop_factory

    with asyncio.Runner(loop_factory=event_loop_factory(args.loop)) as runner:
        return runner.run(serve(args.host, args.port, args.control_port))


if __name__ == "__main__":
    sys.exit(main())
