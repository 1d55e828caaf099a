"""The click router reads only what it routes; everything else reaches discord.py's parser untouched."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace
from typing import Any

from bot.clicks import ButtonClick, ClickRouter, read_click

SIGN_UP = re.compile(r"officehours:signup:(?P<id>[0-9]+)")


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": 3,
        "id": "101",
        "token": "tok",
        "application_id": "202",
        "guild_id": "303",
        "locale": "pt-BR",
        "member": {"nick": None, "user": {"id": "404", "username": "joana", "global_name": "Joana"}},
        "data": {"component_type": 2, "custom_id": "officehours:signup:7"},
    }
    base.update(changes)
    return base


class Installed:
    """A router in front of a parser that records what discord.py would have parsed."""

    def __init__(self) -> None:
        self.parsed: list[dict[str, Any]] = []
        self.clicks: list[ButtonClick] = []
        self.answered = asyncio.Event()
        client = SimpleNamespace(
            _connection=SimpleNamespace(parsers={"INTERACTION_CREATE": self.parsed.append})
        )
        self.router = ClickRouter(client)  # type: ignore[arg-type]
        self.router.install()
        self.router.install()  # twice is once
        self.parse = client._connection.parsers["INTERACTION_CREATE"]

    async def handler(self, click: ButtonClick) -> str:
        self.clicks.append(click)
        self.answered.set()
        raise asyncio.CancelledError  # stop before any request: this test has no Discord


def test_a_click_is_read_as_discord_py_would_name_it():
    click = read_click(payload(), SIGN_UP)
    assert click is not None
    assert (click.id, click.token, click.application_id, click.guild_id, click.user_id) == (
        101,
        "tok",
        202,
        303,
        404,
    )
    assert (click.display_name, click.locale, click.match["id"]) == ("Joana", "pt-BR", "7")
    nick = payload(
        member={"nick": "Jo (WMB)", "user": {"id": "404", "username": "joana", "global_name": "Joana"}}
    )
    assert read_click(nick, SIGN_UP).display_name == "Jo (WMB)"  # type: ignore[union-attr]
    plain = payload(member={"user": {"id": "404", "username": "joana", "global_name": None}})
    assert read_click(plain, SIGN_UP).display_name == "joana"  # type: ignore[union-attr]


def test_what_is_not_a_routed_button_click_in_a_server_is_not_read():
    assert read_click(payload(type=2), SIGN_UP) is None  # a slash command
    assert (
        read_click(payload(data={"component_type": 3, "custom_id": "officehours:signup:7"}), SIGN_UP) is None
    )
    assert (
        read_click(payload(data={"component_type": 2, "custom_id": "officehours:cancel:7"}), SIGN_UP) is None
    )
    direct = payload()
    del direct["guild_id"], direct["member"]
    assert read_click(direct, SIGN_UP) is None  # in DMs: discord.py's path answers "servers only"


async def test_routed_clicks_are_taken_and_the_rest_reach_discord_py():
    installed = Installed()
    installed.router.route(SIGN_UP, installed.handler)
    other = payload(data={"component_type": 2, "custom_id": "officehours:question:7"})
    malformed = payload(member={"nick": None})  # no user: misread, so discord.py gets it
    installed.parse(other)
    installed.parse(malformed)
    installed.parse(payload())
    await asyncio.wait_for(installed.answered.wait(), 5)
    assert installed.parsed == [other, malformed]
    assert [c.user_id for c in installed.clicks] == [404]

    installed.router.unroute(SIGN_UP)
    installed.parse(payload())
    assert len(installed.parsed) == 3
