"""The sharded units in deploy/: one template instance per SHARD_IDS, migrations once, health per instance."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_each_instance_runs_the_shards_its_name_says_after_the_one_migration():
    bot = unit("consultation-bot@.service")
    lines = (DEPLOY / "consultation-bot@.service").read_text(encoding="utf-8").splitlines()
    assert "Environment=SHARD_IDS=%I" in lines  # (configparser keeps only the last Environment=)
    assert bot["Service"]["ExecStart"].endswith("-m bot run") and "ExecStartPre" not in bot["Service"]
    assert bot["Unit"]["Requires"] == "consultation-bot-migrate.service"
    assert "consultation-bot-migrate.service" in bot["Unit"]["After"]
    assert bot["Install"]["WantedBy"] == "consultation-bot.target"
    migrate = unit("consultation-bot-migrate.service")["Service"]
    assert migrate["ExecStart"].endswith("-m bot migrate") and migrate["Type"] == "oneshot"


def test_a_failed_health_check_restarts_only_its_instance():
    health = unit("consultation-bot-health@.service")
    assert health["Service"]["Environment"] == "SHARD_IDS=%I"
    assert health["Unit"]["OnFailure"] == "consultation-bot-restart@%i.service"
    restart = unit("consultation-bot-restart@.service")["Service"]
    assert restart["ExecStart"] == "/bin/systemctl restart consultation-bot@%i.service"


@pytest.mark.skipif(shutil.which("systemd-escape") is None, reason="systemd-escape is not installed")
def test_the_escaped_instance_name_unescapes_to_shard_ids_the_bot_reads():
    escaped = subprocess.run(["systemd-escape", "2,3"], capture_output=True, text=True, check=True).stdout
    unescaped = subprocess.run(
        ["systemd-escape", "--unescape", escaped.strip()], capture_output=True, text=True, check=True
    ).stdout.strip()
    settings = load_settings({"SHARD_COUNT": "6", "SHARD_IDS": unescaped})
    assert settings.shard_ids == (2, 3)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_an_instance_of_the_template(tmp_path):
    for path in DEPLOY.iterdir():
        shutil.copy(path, tmp_path / path.name)
    instance = tmp_path / "consultation-bot@0\\x2c1.service"
    instance.symlink_to(tmp_path / "consultation-bot@.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(instance), str(tmp_path / "consultation-bot-migrate.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    problems = [
        line for line in result.stderr.splitlines() if "is not executable" not in line and line.strip()
    ]
    assert problems == []
