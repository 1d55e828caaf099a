"""Discord's rate limits modelled in every test that drives the real bot through the emulator.

Every window is a hundredth of Discord's (reactions one per 2.5 ms per channel, five sends per 50 ms): the
bot must wait as the headers say, and a suite stays fast. tests/e2e/test_pace.py runs at Discord's real
pace (1.0). ``E2E_PACE=off`` (or another factor) in the environment, to compare.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from rehearsal.emulator.ratelimits import set_default_pace

_pace = os.environ.get("E2E_PACE", "0.01")
E2E_PACE = None if _pace == "off" else float(_pace)


@pytest.fixture(autouse=True)
def paced() -> Iterator[float | None]:
    previous = set_default_pace(E2E_PACE)
    try:
        yield E2E_PACE
    finally:
        set_default_pace(previous)
