"""The shape of the code: the runtime never depends on the rehearsal world beside it, cogs never reach
into each other, and runtime files stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_runtime_imports_nothing_from_the_rehearsal():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "rehearsal"
        )
        for folder in ("bot", "cogs")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def runtime_files() -> list[Path]:
    return [path for folder in ("bot", "cogs") for path in sorted((ROOT / folder).rglob("*.py"))]


def test_no_cog_is_looked_up_by_name():
    """Capabilities reach each other through ``bot.services`` or typed events, never ``get_cog``."""
    callers = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in runtime_files()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "get_cog"
    ]
    assert callers == []


def test_no_cog_imports_another_cogs_module():
    offenders = []
    for path in sorted((ROOT / "cogs").rglob("*.py")):
        own = path.relative_to(ROOT / "cogs").parts[0].removesuffix(".py")
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "cogs" and len(parts) > 1 and parts[1] != own:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_runtime_files_stay_under_400_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in runtime_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
