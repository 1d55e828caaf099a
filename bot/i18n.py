"""The message catalogue: every sentence a member reads comes from here, in their language.

Sentences live in ``bot/locales/<language>/<capability>.toml`` as ``[section] key = "text"`` and are
looked up as ``"section.key"``. A language without the sentence falls back to English.
"""

from __future__ import annotations

import logging
import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).with_name("locales")
FALLBACK = "en"


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, into)
        else:
            into[name] = str(value)


@cache
def catalogue(language: str) -> dict[str, str]:
    sentences: dict[str, str] = {}
    folder = LOCALES_DIR / language
    for path in sorted(folder.glob("*.toml")):
        if path.name == "commands.toml":
            continue  # slash-command descriptions, read by bot.command_translations
        with path.open("rb") as handle:
            _flatten("", tomllib.load(handle), sentences)
    return sentences


def language_of(locale: object) -> str:
    """``"pt-BR"`` -> ``"pt"``; anything unknown -> English."""
    text = str(getattr(locale, "value", locale) or FALLBACK)
    return _known_language(text.split("-")[0].lower())


@cache
def _known_language(language: str) -> str:
    # Asked on every sentence: the folder is looked up once per language, not once per call.
    return language if (LOCALES_DIR / language).is_dir() else FALLBACK


def t(key: str, locale: object = None, /, **params: object) -> str:
    """The sentence ``key`` in the member's language, with ``{params}`` filled in."""
    language = language_of(locale)
    template = catalogue(language).get(key)
    if template is None:
        template = catalogue(FALLBACK).get(key)
    if template is None:
        raise KeyError(f"no sentence {key!r} in the message catalogue")
    return template.format(**params) if params else template


def placeholders(key: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(catalogue(FALLBACK)[key]) if name}
