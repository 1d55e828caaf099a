"""``python -m bot``: the commands a person types, run as a person would (a real subprocess)."""

import subprocess
import sys

from bot.content import DEFAULT_CONTENT_PATH
from tests.cli import ROOT, run_bot


def test_version_and_help():
    assert run_bot("--version").stdout.startswith("consultation-bot ")
    assert "digest" in run_bot("--help").stdout


def test_the_rehearsal_has_its_own_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "rehearsal", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and "--members" in result.stdout


def test_run_without_a_token_is_one_sentence(tmp_path):
    result = run_bot("run", env={"DATABASE_PATH": str(tmp_path / "db.sqlite3")}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: DISCORD_TOKEN is not set")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_setting_is_named(tmp_path):
    result = run_bot("migrate", env={"LOG_LEVEL": "chatty"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "LOG_LEVEL must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_then_content_load_and_check(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    first = run_bot("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0 and "Applied migrations" in first.stdout
    assert run_bot("migrate", env=env, cwd=tmp_path).stdout.strip() == "Database is up to date."
    check = run_bot("content", "check", str(DEFAULT_CONTENT_PATH), env=env, cwd=tmp_path)
    assert check.returncode == 0 and "9 recommendations, 9 scoping areas, 3 stances" in check.stdout
    nowhere = run_bot("content", "load", str(DEFAULT_CONTENT_PATH), env=env, cwd=tmp_path)
    assert nowhere.returncode == 2 and "no guild is known yet" in nowhere.stderr
    loaded = run_bot("content", "load", str(DEFAULT_CONTENT_PATH), "--guild", "42", env=env, cwd=tmp_path)
    assert loaded.returncode == 0 and "into 1 guild(s)" in loaded.stdout


def test_a_bad_content_file_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        DEFAULT_CONTENT_PATH.read_text(encoding="utf-8")
        .replace('emoji = "9️⃣"', 'emoji = "nine"')
        .replace("number = 2\ntitle", "number = 1\ntitle"),
        encoding="utf-8",
    )
    result = run_bot("content", "check", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "'nine' is not an emoji Discord knows" in result.stderr
    assert "Two recommendations share the number 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_come_from_the_dotenv_of_the_working_folder(tmp_path):
    (tmp_path / ".env").write_text("LOG_LEVEL=loud\n", encoding="utf-8")
    result = run_bot("migrate", cwd=tmp_path)
    assert result.returncode == 2 and "LOG_LEVEL must be one of" in result.stderr


def test_starting_the_bot_loads_no_plotting_library():
    """matplotlib (~40 MB) is for the heatmap's worker; the bot process must not carry it."""
    code = (
        "import importlib, sys\n"
        "from bot.client import extension_names\n"
        "for name in extension_names(): importlib.import_module(name)\n"
        "print('matplotlib' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
