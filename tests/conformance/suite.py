"""``DISCORD_SPEC_CHECK=all``: record every REST call of the whole run (each test's emulator) and check
them all against Discord's OpenAPI description when the session ends (``make conformance``). The
run fails, listing each violation, when one is not in ``openapi.ALLOWED``."""

from __future__ import annotations

import contextlib
import os

import pytest

from rehearsal.emulator.recording import Exchange, recording

from .openapi import ALLOWED, ERROR_PATHS, SPEC_HELP, OpenApi, allowed, load_spec, spec_path, violations

ENV = "DISCORD_SPEC_CHECK"
# A whole run makes tens of thousands of calls (a thousand sign-up clicks...); the first distinct ones of
# each route and status show its shapes. DISCORD_SPEC_CHECK_LIMIT=0 checks them all (minutes).
LIMIT_ENV = "DISCORD_SPEC_CHECK_LIMIT"
DEFAULT_LIMIT = 60
_stack = contextlib.ExitStack()
_recorded: list[Exchange] | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _recorded
    if os.environ.get(ENV) == "all":
        _recorded = _stack.enter_context(recording())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _recorded
    exchanges, _recorded = _recorded, None
    _stack.close()
    if exchanges is None:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    path = spec_path()
    if path is None:
        lines = [SPEC_HELP]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        api = OpenApi(load_spec(path))
        limit = int(os.environ.get(LIMIT_ENV, DEFAULT_LIMIT))
        unexplained = [
            v for v in violations(api, exchanges, per_route=limit) if not allowed(v, ALLOWED + ERROR_PATHS)
        ]
        routes = {(e.method, api.template(e.path)) for e in exchanges}
        cap = f"at most {limit} distinct calls checked per route and status" if limit else "all checked"
        lines = [
            f"Discord spec check: {len(exchanges)} REST calls on {len(routes)} routes ({cap}), "
            f"{len(unexplained)} violation(s) outside the allow-list",
            *map(str, unexplained),
        ]
        if unexplained:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if reporter is not None:
        reporter.write_sep("=", "Discord OpenAPI conformance")
        for line in lines:
            reporter.write_line(line)
