"""The busiest buttons answered straight from the gateway's payload.

A sign-up rush is a thousand clicks on one button in a second. For each click discord.py builds an
``Interaction``, the card's ``Message`` with its components, a ``View`` of the whole card to find the
dynamic item, and a ``Message`` from the answer (it asks for the answer back with ``with_response``).
Profiled at 500 clicks a second, that work was several times the sign-up's own (its group commit
included), and it is what queued the answers. A route registered here reads the five fields a click
needs from the ``INTERACTION_CREATE`` payload and answers with one request, through discord.py's own
webhook adapter (its per-interaction buckets, 429 and 5xx retries). Every other interaction, and any
payload a route cannot read, goes to discord.py's parser as before; the same buttons stay registered as
dynamic items too, so nothing depends on this path being taken.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord.http import Route
from discord.webhook.async_ import async_context

from bot.replies import DEFER_AFTER, error_sentence

if TYPE_CHECKING:
    from discord.ext.commands import Bot

log = logging.getLogger(__name__)

INTERACTION_CREATE = "INTERACTION_CREATE"
MESSAGE_COMPONENT = 3
BUTTON = 2
EPHEMERAL = 64
NO_MENTIONS: dict[str, Any] = {"parse": []}


@dataclass(frozen=True, slots=True)
class ButtonClick:
    """A member's click on a button in a server, as the payload carried it."""

    id: int
    token: str
    application_id: int
    guild_id: int
    user_id: int
    display_name: str
    locale: str
    match: re.Match[str]


ClickHandler = Callable[[ButtonClick], Awaitable[str]]
"""Decides a click and returns the ephemeral sentence that answers it (or raises, as a command does)."""


def read_click(payload: dict[str, Any], template: re.Pattern[str]) -> ButtonClick | None:
    """The click in ``payload`` if it is a button click in a server whose custom id ``template`` matches."""
    if payload.get("type") != MESSAGE_COMPONENT or "guild_id" not in payload:
        return None
    data = payload.get("data") or {}
    if data.get("component_type") != BUTTON:
        return None
    match = template.fullmatch(str(data.get("custom_id", "")))
    member = payload.get("member")
    if match is None or not member:
        return None
    user = member["user"]
    return ButtonClick(
        id=int(payload["id"]),
        token=payload["token"],
        application_id=int(payload["application_id"]),
        guild_id=int(payload["guild_id"]),
        user_id=int(user["id"]),
        # Member.display_name's order: the server nickname, the global name, the username.
        display_name=member.get("nick") or user.get("global_name") or user["username"],
        locale=str(payload.get("locale") or "en-US"),
        match=match,
    )


class ClickRouter:
    """Routes of custom-id templates to handlers, consulted before discord.py parses an interaction."""

    def __init__(self, client: Bot) -> None:
        self.client = client
        self._routes: dict[re.Pattern[str], ClickHandler] = {}
        self._answering: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        """Put the router in front of discord.py's ``INTERACTION_CREATE`` parser (once)."""
        parsers: dict[str, Callable[[Any], None]] = self.client._connection.parsers
        original = parsers[INTERACTION_CREATE]
        if getattr(original, "click_router", None) is self:
            return

        def parse_interaction_create(payload: dict[str, Any]) -> None:
            try:
                if self.take(payload):
                    return
            except Exception:  # a payload we misread is discord.py's to answer, never lost
                log.exception("A button click could not be read; handed to discord.py")
            original(payload)

        parse_interaction_create.click_router = self  # type: ignore[attr-defined]
        parsers[INTERACTION_CREATE] = parse_interaction_create

    def route(self, template: re.Pattern[str], handler: ClickHandler) -> None:
        self._routes[template] = handler

    def unroute(self, template: re.Pattern[str]) -> None:
        self._routes.pop(template, None)

    def take(self, payload: dict[str, Any]) -> bool:
        """Start answering ``payload`` if a route matches it; False leaves it to discord.py."""
        for template, handler in self._routes.items():
            click = read_click(payload, template)
            if click is not None:
                task = asyncio.create_task(self._answer(click, handler), name=f"click-{click.id}")
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
                return True
        return False

    async def _answer(self, click: ButtonClick, handler: ClickHandler) -> None:
        """The handler's sentence as the answer; past ``DEFER_AFTER`` a private deferral first, as
        ``bot.replies.answer_in_time`` does, and the sentence as its follow-up."""
        work = asyncio.ensure_future(self._sentence(click, handler))
        done, _ = await asyncio.wait({work}, timeout=DEFER_AFTER)
        try:
            if not done:
                await self._callback(click, {"type": 5, "data": {"flags": EPHEMERAL}})
                text = await work
                if text is not None:
                    await self._follow_up(click, text)
            elif (text := work.result()) is not None:
                await self._callback(click, {"type": 4, "data": self._message(text)})
        except discord.HTTPException as failed:
            if isinstance(failed, discord.NotFound) and failed.code == 10062:
                log.warning("An interaction expired before it was answered (%s)", click.id)
            else:
                log.warning("Could not answer a click (%s): %s", click.id, failed)

    @staticmethod
    async def _sentence(click: ButtonClick, handler: ClickHandler) -> str | None:
        try:
            return await handler(click)
        except Exception as error:
            return error_sentence(error, click.locale)

    @staticmethod
    def _message(text: str) -> dict[str, Any]:
        return {"content": text, "flags": EPHEMERAL, "allowed_mentions": NO_MENTIONS}

    async def _callback(self, click: ButtonClick, body: dict[str, Any]) -> None:
        route = Route(
            "POST",
            "/interactions/{webhook_id}/{webhook_token}/callback",
            webhook_id=click.id,
            webhook_token=click.token,
        )
        await self._request(route, body)

    async def _follow_up(self, click: ButtonClick, text: str) -> None:
        route = Route(
            "POST",
            "/webhooks/{webhook_id}/{webhook_token}",
            webhook_id=click.application_id,
            webhook_token=click.token,
        )
        await self._request(route, self._message(text))

    async def _request(self, route: Route, body: dict[str, Any]) -> None:
        http = self.client.http
        await async_context.get().request(
            route,
            http._HTTPClient__session,  # type: ignore[attr-defined]  # discord.py's interactions use it too
            payload=body,
            proxy=http.proxy,
            proxy_auth=http.proxy_auth,
        )
