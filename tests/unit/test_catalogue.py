"""The message catalogue: every sentence the code asks for exists, with the placeholders it fills."""

import ast
import string
from pathlib import Path

import pytest

from bot.i18n import FALLBACK, catalogue, language_of, t

ROOT = Path(__file__).resolve().parents[2]


def used_keys():
    """Every ``t("literal.key", ..., name=...)`` call in bot/ and cogs/: (file, key, keyword names)."""
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                has_splat = any(k.arg is None for k in node.keywords)
                yield path.relative_to(ROOT), node.args[0].value, {k.arg for k in node.keywords}, has_splat


def test_every_key_used_exists_with_its_placeholders():
    sentences = catalogue(FALLBACK)
    problems = []
    for path, key, given, has_splat in used_keys():
        if key not in sentences:
            problems.append(f"{path}: no sentence {key!r}")
            continue
        needed = {name for _, name, _, _ in string.Formatter().parse(sentences[key]) if name}
        if not has_splat and not needed <= given:
            problems.append(f"{path}: {key!r} needs {sorted(needed - given)}")
    assert not problems, "\n".join(problems)


def test_locales_fall_back_to_english():
    assert language_of("pt-BR") == "en"  # no Portuguese catalogue yet
    assert language_of(None) == "en"
    assert t("access.moderator", "ja") == t("access.moderator")


def test_unknown_key_is_an_error():
    with pytest.raises(KeyError):
        t("no.such.sentence")
