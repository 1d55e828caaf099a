"""The systemd units in deploy/: restart policy, the health check wired to a restart, the token as a file."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_the_bot_unit_restarts_on_failure_and_reads_its_token_from_a_file():
    service = unit("consultation-bot.service")["Service"]
    assert service["Restart"] == "on-failure"
    assert service["ExecStart"].endswith("-m bot run")
    assert service["ExecStartPre"].endswith("-m bot migrate")
    assert service["EnvironmentFile"] == "/etc/consultation-bot/env"
    assert service["Environment"] == "DISCORD_TOKEN_FILE=%d/discord-token"
    assert service["User"] == "consultation-bot" and service["NoNewPrivileges"] == "yes"


def test_a_failed_health_check_restarts_the_bot():
    health = unit("consultation-bot-health.service")
    assert health["Service"]["ExecStart"].endswith("-m bot health")
    assert health["Unit"]["OnFailure"] == "consultation-bot-restart.service"
    restart = unit("consultation-bot-restart.service")["Service"]
    assert restart["ExecStart"] == "/bin/systemctl restart consultation-bot.service"
    assert unit("consultation-bot-health.timer")["Timer"]["OnUnitActiveSec"] == "1min"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units():
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            *map(str, sorted(DEPLOY.glob("*.service"))),
            str(DEPLOY / "consultation-bot-health.timer"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # The interpreter lives in /opt/consultation-bot only once installed: that one complaint is expected.
    problems = [
        line for line in result.stderr.splitlines() if "is not executable" not in line and line.strip()
    ]
    assert problems == []
