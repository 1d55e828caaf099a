"""What the emulator's REST layer saw, call by call, for checking both sides against Discord's published
OpenAPI description (``tests/conformance``). Off unless ``emu.exchanges`` is a list."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

BODY_KEY: web.RequestKey[Any] = web.RequestKey("emulator_parsed_body", object)


@dataclass(frozen=True)
class Exchange:
    """One REST call: the request the bot sent and the answer the emulator gave."""

    method: str
    path: str
    query: dict[str, str]
    request_type: str
    request: Any
    status: int
    response: Any


def exchange(request: web.Request, path: str, response: web.StreamResponse | None) -> Exchange:
    body: Any = None
    status = 500
    if response is not None:
        status = response.status
        raw = getattr(response, "body", None)
        if isinstance(raw, bytes) and raw and response.content_type == "application/json":
            body = json.loads(raw)
    return Exchange(
        method=request.method,
        path=path,
        query=dict(request.query),
        request_type=request.content_type,
        request=request.get(BODY_KEY),
        status=status,
        response=body,
    )


_sink: list[Exchange] | None = None


def new_sink() -> list[Exchange] | None:
    """The list an emulator created now records into (None when nobody records)."""
    return _sink


@contextlib.contextmanager
def recording() -> Iterator[list[Exchange]]:
    """Every emulator created inside the block records its REST calls into the yielded list, so a
    whole scenario (the demo, a test's ``World``) can be checked without reaching into it."""
    global _sink
    previous, _sink = _sink, []
    try:
        yield _sink
    finally:
        _sink = previous
