"""``python -m bot`` in a real subprocess, as a person types it, with none of the caller's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bot(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m bot *args`` in ``cwd`` with ``env`` instead of any DISCORD_/DATABASE_/CONTENT_
    setting inherited from the test run."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CONTENT_"))
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=60,
        check=False,
    )
