"""The bot's requests and the emulator's answers, checked against Discord's published OpenAPI description.

A bot can pass every end-to-end test and still fail on Discord if the emulator answers in shapes
Discord never sends. The whole rehearsal (set-up, publish, reactions, feedback form and thread replies,
office hours, moderation, digest) runs with recording on; every REST call must fit the spec, bar the
spec's own known gaps listed, with reasons, in ``openapi.ALLOWED``.
"""

from __future__ import annotations

import re

import pytest

from rehearsal.demo import prepare_output, run_demo
from rehearsal.emulator.recording import Exchange, recording

from .openapi import ALLOWED, SPEC_HELP, OpenApi, Violation, allowed, load_spec, spec_path, violations

# The demo needs about 31 members for its office-hours waitlist; a few more keep it realistic.
DEMO_MEMBERS = 36


@pytest.fixture(scope="module")
def api() -> OpenApi:
    path = spec_path()
    if path is None:
        pytest.skip(SPEC_HELP)
    return OpenApi(load_spec(path))


async def test_the_rehearsal_speaks_discords_documented_shapes(api: OpenApi, tmp_path) -> None:
    with recording() as exchanges:
        assert await run_demo(prepare_output(tmp_path / "demo"), members=DEMO_MEMBERS) == 0
    routes = {f"{e.method} {api.template(e.path)}" for e in exchanges}
    # The scenario really exercised the shapes in question.
    for route in (
        "POST /channels/{channel_id}/threads",
        "POST /interactions/{interaction_id}/{interaction_token}/callback",
        "GET /channels/{channel_id}/messages/{message_id}",
        "PUT /applications/{application_id}/commands",
        "POST /guilds/{guild_id}/scheduled-events",
        "POST /webhooks/{webhook_id}/{webhook_token}",
    ):
        assert route in routes, f"the rehearsal no longer calls {route}"
    found = violations(api, exchanges)
    unexplained = [v for v in found if not allowed(v)]
    assert not unexplained, f"{len(unexplained)} call(s) differ from Discord's API:\n" + "\n".join(
        map(str, unexplained)
    )
    # Each allowance is still needed: one that nothing matches any more is dropped, not kept "just in case".
    unused = [a.reason for a in ALLOWED if not any(allowed(v, (a,)) for v in found)]
    assert not unused, f"allow-list entries no longer needed: {unused}"


def _message(**extra: object) -> dict[str, object]:
    user = {
        "id": "1",
        "username": "bot",
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "primary_guild": None,
    }
    return {
        "id": "2",
        "channel_id": "3",
        "type": 0,
        "author": user,
        "content": "hello",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "flags": 0,
        **extra,
    }


def _found(api: OpenApi, method: str, path: str, status: int, response: object, request: object = None):
    exchange = Exchange(method, path, {}, "application/json", request, status, response)
    return [v for v in api.check(exchange) if not allowed(v)]


def _says(found: list[Violation], where: str, message: str) -> bool:
    return any(v.where == where and re.search(message, v.message) for v in found)


def test_the_checker_catches_what_the_emulator_used_to_answer(api: OpenApi) -> None:
    """Each shape item 8 of issue 12 named, as the emulator answered it before, is reported."""
    assert not _found(api, "GET", "/channels/3/messages/2", 200, _message())
    fetched = _found(api, "GET", "/channels/3/messages/2", 200, _message(guild_id="4", member={"roles": []}))
    assert _says(fetched, "$", r"'guild_id', 'member' were unexpected")
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "go", "emoji": {"id": None, "name": "💬"}}
    row = {"type": 1, "components": [button]}
    components = _found(api, "GET", "/channels/3/messages/2", 200, _message(components=[row]))
    assert _says(components, "$.components[0]", "'id' is a required property")
    assert _says(components, "$.components[0].components[0].emoji.id", "None is not of type 'string'")
    thread = _found(api, "POST", "/channels/3/messages/2/threads", 200, {})
    assert _says(thread, "", "status 200 is not one Discord answers")
    deferred = {"interaction": {"id": "5", "type": 2}, "resource": {"type": 5}}
    callback = _found(api, "POST", "/interactions/5/token/callback", 200, deferred)
    assert any(v.where.startswith("$.resource") for v in callback)
    command = {
        "id": "6",
        "application_id": "1",
        "version": "7",
        "type": 1,
        "name": "mod",
        "description": "Moderation",
        "default_member_permissions": 8589934592,
    }
    commands = _found(api, "PUT", "/applications/1/commands", 200, [command], request=[])
    assert _says(commands, "$[0].default_member_permissions", "is not of type 'string', 'null'")
    missing = _found(api, "GET", "/channels/3/nowhere", 200, {})
    assert _says(missing, "", "no such route")
