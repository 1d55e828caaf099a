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


SENTENCE_CALLS = {"t", "UserError", "AccessDenied"}  # each takes a sentence key first


def _key_shaped(value: str, known: set[str]) -> bool:
    return "." in value and " " not in value and "{" not in value and value.split(".")[0] in known


def produced_keys():
    """Every key a sentence call can receive: (file, line, key), key None for one built at run time.

    A literal key is taken as it is. A key chosen earlier (``key = "a.b" if ... else "a.c"``, a dict of
    outcomes) is found among the key-shaped literals of the enclosing function, or of the module for a
    module-level table; an f-string there would build one at run time, which this test refuses.
    """
    known = {key.split(".")[0] for key in catalogue(FALLBACK)}
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        # A literal handed to another call (an audit action, a state key) is not a sentence key.
        elsewhere = {
            id(arg)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and (call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None))
            not in SENTENCE_CALLS
            for arg in [*call.args, *(k.value for k in call.keywords)]
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in SENTENCE_CALLS:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                continue  # checked with its placeholders by the test above
            if isinstance(first, ast.JoinedStr):
                yield path.relative_to(ROOT), node.lineno, None
                continue
            enclosing = [s for s in scopes if s.lineno <= node.lineno <= (s.end_lineno or s.lineno)]
            scope = min(enclosing, key=lambda s: (s.end_lineno or 0) - s.lineno) if enclosing else tree
            referenced = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
            places = [
                scope,
                *(
                    stmt
                    for stmt in tree.body
                    if isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and any(
                        isinstance(t, ast.Name) and t.id in referenced
                        for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                    )
                ),
            ]
            for place in places:
                for inner in ast.walk(place):
                    if isinstance(inner, ast.JoinedStr):
                        head = inner.values[0] if inner.values else None
                        if isinstance(head, ast.Constant) and _key_shaped(str(head.value) + "x", known):
                            yield path.relative_to(ROOT), inner.lineno, None
                    elif (
                        isinstance(inner, ast.Constant)
                        and isinstance(inner.value, str)
                        and _key_shaped(inner.value, known)
                        and id(inner) not in elsewhere
                    ):
                        yield path.relative_to(ROOT), inner.lineno, inner.value


def test_every_key_the_code_can_produce_exists():
    """No sentence key is assembled at run time (the test above could not see it), and every key chosen
    before the call (a dict of outcomes, a conditional) is in the English catalogue."""
    sentences = catalogue(FALLBACK)
    problems = set()
    for path, line, key in produced_keys():
        if key is None:
            problems.add(f"{path}:{line}: a sentence key built with an f-string; write the keys out")
        elif key not in sentences:
            problems.add(f"{path}:{line}: no sentence {key!r}")
    assert not problems, "\n".join(sorted(problems))
