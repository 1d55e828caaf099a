"""The emulator answers REST calls in the shapes Discord documents (API v10 reference and its OpenAPI
description), not in gateway shapes: these hold without the spec file (tests/conformance checks the rest)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from rehearsal.emulator import DiscordEmulator
from rehearsal.emulator.state import MANAGE_EVENTS

BUTTON = {
    "type": 2,
    "style": 1,
    "label": "Feedback",
    "custom_id": "fb:1",
    "emoji": {"name": "💬", "id": None},
}


@pytest.fixture
async def http(emu: DiscordEmulator):
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession(emu.api_base + "/", headers=headers) as session:
        yield session


async def call(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with http.request(method, path.lstrip("/"), json=body) as response:
        return response.status, (await response.json() if response.status != 204 else None)


async def test_a_fetched_message_has_a_plain_author_and_no_guild_fields(emu, world, http) -> None:
    sent = await emu.post_message(world["alice"].id, world["text"].id, "hello")
    status, fetched = await call(http, "GET", f"/channels/{world['text'].id}/messages/{sent.id}")
    assert status == 200
    assert fetched["author"]["id"] == str(world["alice"].id)
    assert "guild_id" not in fetched and "member" not in fetched
    assert fetched["author"]["primary_guild"] is None
    status, history = await call(http, "GET", f"/channels/{world['text'].id}/messages")
    assert [("guild_id" in m, "member" in m) for m in history] == [(False, False)]


async def test_the_gateway_still_carries_guild_id_and_member(emu, world) -> None:
    sent = await emu.post_message(world["alice"].id, world["text"].id, "hello")
    from rehearsal.emulator.actions import msg_json

    event = msg_json(emu, sent)
    assert event["guild_id"] == str(world["guild"].id)
    assert event["member"]["roles"] == [str(world["role"].id)]


async def test_components_come_back_numbered_and_a_unicode_emoji_has_no_id(emu, world, http) -> None:
    body = {"content": "draft", "components": [{"type": 1, "components": [BUTTON]}]}
    status, posted = await call(http, "POST", f"/channels/{world['text'].id}/messages", body)
    assert status == 200
    [row] = posted["components"]
    [button] = row["components"]
    assert (row["id"], button["id"]) == (1, 2)
    assert button["emoji"] == {"name": "💬"}
    status, fetched = await call(http, "GET", f"/channels/{world['text'].id}/messages/{posted['id']}")
    assert fetched["components"] == posted["components"]  # the same numbers every time


async def test_starting_a_thread_answers_201(emu, world, http) -> None:
    post = {"name": "R1", "message": {"content": "Draft one"}}
    status, thread = await call(http, "POST", f"/channels/{world['forum'].id}/threads", post)
    assert status == 201
    assert thread["message"]["id"] == thread["id"]
    assert "nsfw" not in thread
    status, _ = await call(http, "POST", f"/channels/{world['text'].id}/threads", {"name": "T", "type": 11})
    assert status == 201
    sent = await emu.post_message(world["alice"].id, world["text"].id, "start here")
    path = f"/channels/{world['text'].id}/messages/{sent.id}/threads"
    status, _ = await call(http, "POST", path, {"name": "From a message"})
    assert status == 201


async def test_only_message_callbacks_carry_a_resource(emu, world, http) -> None:
    command = {"name": "hello", "description": "Say hello", "default_member_permissions": MANAGE_EVENTS}
    status, [stored] = await call(http, "PUT", f"/applications/{emu.application_id}/commands", [command])
    assert stored["default_member_permissions"] == str(MANAGE_EVENTS)
    assert stored["integration_types"] == [0]
    owner = world["guild"].owner_id
    text_input = {"type": 4, "custom_id": "t", "label": "Text", "style": 1}
    modal = {"custom_id": "m", "title": "Tell us", "components": [{"type": 1, "components": [text_input]}]}
    answers = {}
    for kind, data in ((5, {}), (9, modal), (4, {"content": "hi"})):
        res = await emu.run_command(owner, world["guild"].id, "hello")
        path = f"/interactions/{res.id}/{res.token}/callback?with_response=true"
        status, answers[kind] = await call(http, "POST", path, {"type": kind, "data": data})
        assert status == 200, answers[kind]
    assert "resource" not in answers[5] and "resource" not in answers[9]
    assert answers[5]["interaction"]["response_message_loading"] is True
    assert answers[4]["resource"]["type"] == 4
    assert answers[4]["resource"]["message"]["content"] == "hi"
    assert "guild_id" not in answers[4]["resource"]["message"]
    assert "response_message_id" not in answers[9]["interaction"]
