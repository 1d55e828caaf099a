"""The package as an operator installs it: a wheel, in a fresh virtual environment, away from the source.

The wheel is built from a copy of the source (no ``build/`` left in the checkout); the environment gets
the wheel alone (``--no-deps``), and its dependencies come from the test environment's site-packages
through a ``.pth`` path line (added after the install, so pip never sees the editable copy).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from bot.data.database import discover_migrations

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "bot", "cogs", "migrations")


def call(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    dist = tmp_path / "dist"
    call(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source, cwd=tmp_path)
    [wheel] = dist.glob("consultation_bot-*.whl")
    return wheel


def test_a_wheel_installs_and_migrates_every_table(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    call(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--quiet",
        wheel,
        cwd=tmp_path,
    )
    site = Path(
        call(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).stdout.strip()
    )
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")

    work = tmp_path / "work"  # no .env, no source tree on the path
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "DATABASE_", "CONTENT_", "PYTHON"))
    }
    env["DATABASE_PATH"] = str(work / "db.sqlite3")
    where = call(
        python, "-c", "import bot.data.database as d; print(d.__file__); print(d.MIGRATIONS_DIR)", cwd=work
    )
    module_file, migrations_dir = where.stdout.split()
    assert Path(module_file).is_relative_to(site), module_file  # the wheel's copy, not the source tree
    assert Path(migrations_dir) == site / "bot" / "migrations"
    # The message catalogue (banana JSON) travels in the wheel too.
    said = call(
        python,
        "-c",
        "from bot.i18n import t; print(t('officehours.cancel.done', 'fr', title='x', count=2))",
        cwd=work,
    )
    assert "2 membres inscrits" in said.stdout, said.stdout

    first = call(python, "-m", "bot", "migrate", cwd=work, env=env)
    assert first.stdout.startswith("Applied migrations"), first.stdout
    assert call(python, "-m", "bot", "migrate", cwd=work, env=env).stdout.strip() == "Database is up to date."

    import sqlite3

    with sqlite3.connect(work / "db.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        recorded = dict(connection.execute("SELECT version, checksum FROM schema_migrations"))
    connection.close()
    expected = source_tables()
    assert expected and expected <= tables, expected - tables
    assert recorded == {m.version: m.checksum for m in discover_migrations(ROOT / "migrations")}


def source_tables() -> set[str]:
    """Every table the source tree's migrations create, read from a database built from them."""
    import sqlite3

    from bot.data.database import split_statements

    connection = sqlite3.connect(":memory:")
    for migration in discover_migrations(ROOT / "migrations"):
        for statement in split_statements(migration.path.read_text(encoding="utf-8")):
            connection.execute(statement)
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    connection.close()
    return names
