"""The message catalogue: every sentence a member reads comes from here, in their language.

Messages live in MediaWiki "banana" JSON, one file per language side by side (``bot/locales/en.json``,
``fr.json``, ``qqq.json`` for the documentation translators read), keyed ``"section.key"``. A message
names its parameters ``$1``, ``$2`` ...; the code keeps calling ``t(key, locale, name=value)`` and the
order of the names is recorded once per key, in ``en.json``'s ``@metadata.parameters``. Plurals are
``{{PLURAL:$1|one|other}}`` chosen by the CLDR plural rules of the language (Babel's data); explicit
``{{PLURAL:$1|0=none|one|other}}`` forms win. ``{{GENDER:}}`` is not used: the bot does not know a
member's gender, so it always renders the last (neutral) form. See docs/translating.md.

A language without a message falls back along its chain (``pt`` -> ``pt-br``, then English).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.plural import PluralRule

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).with_name("locales")
FALLBACK = "en"
DOCUMENTATION = "qqq"
METADATA = "@metadata"
RTL = frozenset({"ar", "fa", "he", "ur", "ckb", "ps", "yi"})

# Discord's client locales (and other tags members may use) -> the catalogue's MediaWiki codes.
ALIASES = {
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
    "zh": "zh-hans",
    "pt": "pt-br",
    "nb": "no",
}
# Where a language looks next for a message it lacks, before English (MediaWiki's fallback chains).
CHAINS = {"zh-hant": ("zh-hans",), "pt": ("pt-br",), "pt-br": ("pt",)}

CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's order, which banana forms follow
PARAMETER = re.compile(r"\$(\d+)")
MAGIC = re.compile(r"\{\{\s*(PLURAL|GENDER)\s*:\s*([^|}]*)\|([^{}]*)\}\}", re.IGNORECASE)
EXPLICIT = re.compile(r"^\s*(\d+)\s*=(.*)$", re.DOTALL)
FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"


@cache
def _files() -> dict[str, Path]:
    """``{"pt-br": .../pt-br.json}``: codes in lower case, whatever case a file was named in."""
    return {path.stem.lower(): path for path in LOCALES_DIR.glob("*.json")}


def _read(code: str) -> dict[str, object]:
    path = _files().get(code.lower())
    if path is None:
        return {}
    with path.open(encoding="utf-8") as handle:
        data: dict[str, object] = json.load(handle)
    return data


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every message of one language, ``{"section.key": "text with $1"}`` (no ``@metadata``)."""
    return {key: str(value) for key, value in _read(language).items() if key != METADATA}


@cache
def metadata(language: str) -> dict[str, object]:
    found = _read(language).get(METADATA, {})
    return dict(found) if isinstance(found, dict) else {}


@cache
def parameters() -> dict[str, tuple[str, ...]]:
    """``{"feedback.saved": ("number", "version", "reference")}``: ``$1`` is the first name."""
    record = metadata(FALLBACK).get("parameters", {})
    assert isinstance(record, dict)
    return {key: tuple(names) for key, names in record.items()}


@cache
def languages() -> tuple[str, ...]:
    """The catalogue's languages (MediaWiki codes), English first; ``qqq`` is documentation, not one."""
    found = sorted(code for code in _files() if code not in (FALLBACK, DOCUMENTATION))
    return (FALLBACK, *found)


def language_of(locale: object) -> str:
    """The catalogue language for a locale: ``"zh-TW"`` -> ``"zh-hant"``, ``"es-419"`` -> ``"es"``,
    ``"ar"`` -> ``"ar"`` (no Discord client offers it, a member can choose it), unknown -> English."""
    text = str(getattr(locale, "value", locale) or FALLBACK)
    return _known_language(text)


@cache
def _known_language(code: str) -> str:
    return resolve(code, frozenset(languages()))


def resolve(code: str, known: Collection[str]) -> str:
    """The first of ``code``, its alias, its base language and the base's alias that is ``known``."""
    code = code.strip().lower().replace("_", "-")
    base = code.split("-")[0]
    for candidate in (code, ALIASES.get(code), base, ALIASES.get(base)):
        if candidate and candidate in known:
            return candidate
    return FALLBACK


def is_rtl(language: str) -> bool:
    return language.split("-")[0] in RTL


@cache
def _plural_rule(language: str) -> PluralRule | None:
    try:
        return Locale.parse(language.replace("-", "_")).plural_form
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(language.split("-")[0]).plural_form
        except (UnknownLocaleError, ValueError):
            return None


def plural_categories(language: str) -> tuple[str, ...]:
    """The CLDR categories of a language in banana's form order, ``("one", "other")`` for English."""
    rule = _plural_rule(language)
    tags = set(rule.tags) | {"other"} if rule else {"one", "other"}
    return tuple(c for c in CATEGORIES if c in tags)


def plural_form(language: str, count: float, forms: list[str]) -> str:
    """The form for ``count`` among ``forms`` as written in a message (explicit ``N=`` forms first)."""
    plain = []
    for form in forms:
        explicit = EXPLICIT.match(form)
        if explicit:
            if float(explicit.group(1)) == count:
                return explicit.group(2)
        else:
            plain.append(form)
    if not plain:
        return ""
    rule = _plural_rule(language)
    category = rule(count) if rule else ("one" if count == 1 else "other")
    order = plural_categories(language)
    index = order.index(category) if category in order else len(order) - 1
    return plain[min(index, len(plain) - 1)]


def _number(value: str) -> float:
    try:
        return float(value.replace(",", "").strip())
    except ValueError:
        return 0.0


def render(template: str, language: str, values: list[str]) -> str:
    """Fill ``$n`` and resolve ``{{PLURAL:...}}``/``{{GENDER:...}}`` of one banana message."""

    def fill(text: str) -> str:
        return PARAMETER.sub(lambda m: _value(values, int(m.group(1)), m.group(0)), text)

    def magic(match: re.Match[str]) -> str:
        word, subject, forms = match.group(1).upper(), fill(match.group(2)), match.group(3).split("|")
        if word == "PLURAL":
            return fill(plural_form(language, _number(subject), forms))
        return fill(forms[-1])  # GENDER: unknown, the neutral form (see docs/translating.md)

    return fill(MAGIC.sub(magic, template))


def _value(values: list[str], position: int, literal: str) -> str:
    return values[position - 1] if 0 < position <= len(values) else literal


def _isolated(value: object) -> str:
    # In a right-to-left sentence a name or number written left to right must not reorder its neighbours.
    return f"{FSI}{value}{PDI}"


def _lookup(key: str, language: str) -> tuple[str, str]:
    for candidate in (language, *CHAINS.get(language, ()), FALLBACK):
        template = catalogue(candidate).get(key)
        if template is not None:
            return template, candidate
    raise KeyError(f"no sentence {key!r} in the message catalogue")


def t(key: str, locale: object = None, /, **params: object) -> str:
    """The sentence ``key`` in the member's language, its ``$n`` filled from the named ``params``."""
    template, language = _lookup(key, language_of(locale))
    names = parameters().get(key, ())
    missing = [name for name in names if name not in params]
    if missing:
        raise KeyError(f"sentence {key!r} needs {missing}")
    rtl = is_rtl(language)
    values = [_isolated(params[name]) if rtl else str(params[name]) for name in names]
    if rtl:
        # PLURAL reads the bare number: isolate only what is shown.
        bare = [str(params[name]) for name in names]
        template = MAGIC.sub(lambda m: render(m.group(0), language, bare), template)
    text = render(template, language, values)
    return f"{RLM}{text}" if rtl and text else text


def placeholders(key: str) -> set[str]:
    return set(parameters().get(key, ()))
