"""Text rewrites from the repositories' one SQL dialect (SQLite's, portable subset) to PostgreSQL's.

Two jobs, both pure functions so they are cached and unit-tested without a server:

- ``to_numbered``: ``?`` and ``:name`` placeholders become ``$1, $2, ...`` (string literals, quoted
  identifiers, comments and ``::`` casts left alone); a placeholder tested with ``IS [NOT] NULL`` has no
  type PostgreSQL can infer, so it gets a cast chosen from the Python value bound to it.
- ``translate_ddl``: a migration statement written for SQLite becomes PostgreSQL DDL (``INTEGER`` ->
  ``BIGINT``: snowflakes are 64-bit; an ``id INTEGER PRIMARY KEY`` -> an identity column; ``BLOB`` ->
  ``BYTEA``; ``REAL`` -> ``DOUBLE PRECISION``, SQLite's REAL being 8 bytes where PostgreSQL's is 4; a
  time column -> ``TIMESTAMPTZ``: a ``TEXT`` column whose name ends in ``_at`` or is in ``TIME_COLUMNS``).
  The file itself is unchanged, so its checksum is the same on both backends. The times still travel
  as ``bot.clock.to_db()`` text: the PostgreSQL backend's codec converts (``postgres.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_IS_NULL = re.compile(r"\s+IS\s+(?:NOT\s+)?NULL\b", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Numbered:
    """A statement with ``$n`` placeholders; ``order`` maps each ``$n`` to a key of the caller's params."""

    sql: str
    order: tuple[int | str, ...]
    untyped: tuple[int, ...]  # indexes into ``order`` whose placeholder needs a cast (``$n IS NULL``)


@lru_cache(maxsize=4096)
def _scan(sql: str) -> tuple[tuple[str, ...], tuple[int | str, ...], tuple[bool, ...]]:
    """Split ``sql`` around its placeholders: text pieces, the parameter keys, and which are untyped."""
    pieces: list[str] = []
    keys: list[int | str] = []
    untyped: list[bool] = []
    start = i = 0
    positional = 0
    length = len(sql)
    while i < length:
        c = sql[i]
        if c in "'\"":
            end = i + 1
            while end < length:
                if sql[end] == c:
                    if end + 1 < length and sql[end + 1] == c:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            i = end + 1
        elif c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = length if end < 0 else end
        elif c == "?":
            pieces.append(sql[start:i])
            keys.append(positional)
            positional += 1
            i += 1
            start = i
            untyped.append(bool(_IS_NULL.match(sql, i)))
        elif c == ":" and sql.startswith("::", i):
            i += 2
        elif c == ":" and (match := _NAME.match(sql, i + 1)):
            pieces.append(sql[start:i])
            keys.append(match.group())
            i = match.end()
            start = i
            untyped.append(bool(_IS_NULL.match(sql, i)))
        else:
            i += 1
    pieces.append(sql[start:])
    return tuple(pieces), tuple(keys), tuple(untyped)


def _pg_type(value: Any) -> str:
    if isinstance(value, bool | int):
        return "bigint"
    if isinstance(value, float):
        return "double precision"
    if isinstance(value, bytes):
        return "bytea"
    return "text"


def to_numbered(sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> tuple[str, list[Any]]:
    """PostgreSQL's text of ``sql`` and the argument list for it (named parameters become positional;
    a name used twice is bound once, except where it is tested with ``IS NULL``)."""
    pieces, keys, untyped = _scan(sql)
    if not keys:
        return sql, []
    named = isinstance(params, Mapping)
    numbers: dict[int | str, int] = {}
    args: list[Any] = []
    out = [pieces[0]]
    for index, key in enumerate(keys):
        value = params[key]  # type: ignore[index]
        # An untyped use gets a number of its own: its cast must not type the name's other uses.
        number = numbers.get(key) if named and not untyped[index] else None
        if number is None:
            args.append(value)
            number = len(args)
            if not untyped[index]:
                numbers[key] = number
        out.append(f"${number}::{_pg_type(value)}" if untyped[index] else f"${number}")
        out.append(pieces[index + 1])
    return "".join(out), args


# -- DDL --------------------------------------------------------------------------------------------

_ID_PRIMARY_KEY = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.IGNORECASE)
_INTEGER = re.compile(r"\bINTEGER\b", re.IGNORECASE)
# A type follows a column's name (``scale REAL``): a column named ``real`` keeps its name.
_BLOB = re.compile(r"(?<=[\w\"]\s)(\s*)BLOB\b", re.IGNORECASE)
_REAL = re.compile(r"(?<=[\w\"]\s)(\s*)REAL\b", re.IGNORECASE)
_AUTOINCREMENT = re.compile(r"\s+AUTOINCREMENT\b", re.IGNORECASE)
# Time columns whose names do not end in ``_at`` (every migration checked): the period start of a
# digest, a lease's end, the feedback.updated_at an embedding was computed from, the closing a
# retention pass processed.
TIME_COLUMNS = frozenset({"since", "lease_until", "seen_updated", "applied_for"})
_TEXT_COLUMN = re.compile(r"\b(\w+)(\s+)TEXT\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)


def translate_ddl(statement: str) -> str:
    """One SQLite migration statement as PostgreSQL DDL (comments kept; they are harmless)."""
    text = _ID_PRIMARY_KEY.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)
    text = _AUTOINCREMENT.sub("", text)
    text = _BLOB.sub(r"\1BYTEA", text)
    text = _REAL.sub(r"\1DOUBLE PRECISION", text)
    text = _TEXT_COLUMN.sub(_time_column, text)
    return _INTEGER.sub("BIGINT", text)


def is_time_column(name: str) -> bool:
    name = name.lower()
    return name.endswith("_at") or name in TIME_COLUMNS


def _time_column(match: re.Match[str]) -> str:
    return f"{match[1]}{match[2]}TIMESTAMPTZ" if is_time_column(match[1]) else match[0]


def identity_table(statement: str) -> str | None:
    """The table a ``CREATE TABLE`` statement makes when its key is an ``id INTEGER PRIMARY KEY``."""
    match = _CREATE_TABLE.match(strip_comments(statement))
    if match and _ID_PRIMARY_KEY.search(statement):
        return match.group(1).lower()
    return None


def strip_comments(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()
