"""The wheel carries the migrations: ``migrations/*.sql`` (the source) are copied to ``bot/migrations``.

Everything else is declared in pyproject.toml. An editable install needs no copy: the runner reads the
source tree's ``migrations/`` when ``bot/migrations`` is absent.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "migrations"


class BuildWithMigrations(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "bot" / "migrations"
        self.mkpath(str(target))
        files = sorted(SOURCE.glob("*.sql"))
        if not files:
            raise SystemExit(f"no migrations in {SOURCE}: refusing to build a package without its schema")
        for path in files:
            self.copy_file(str(path), str(target / path.name))


setup(cmdclass={"build_py": BuildWithMigrations})
