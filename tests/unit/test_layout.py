"""The shape of the code: the runtime package never depends on the rehearsal world beside it."""

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
