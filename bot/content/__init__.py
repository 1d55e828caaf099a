"""Consultation content (drafts, scoping areas, stance reactions) read from a TOML file and validated."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONTENT_PATH = Path(__file__).with_name("default.toml")

STANCE_KEYS = ("support", "oppose", "needs_work")
MAX_SCOPING_AREAS = 20  # Discord: at most 20 forum tags per channel
MAX_REACTIONS_PER_MESSAGE = 20  # Discord: at most 20 distinct reactions on one message
MAX_TAG_NAME = 20
MAX_TITLE = 256  # an embed title
MAX_BODY = 3500  # an embed description holds 4096; room is left for how to take part
MAX_AREA_NAME = 100
MAX_RECOMMENDATIONS = 50

CUSTOM_EMOJI = re.compile(r"^<a?:[A-Za-z0-9_]{2,32}:\d{17,20}>$")
_EMOJI_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


class ContentError(Exception):
    """The content file is not usable; ``problems`` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ScopingAreaSpec:
    number: int
    name: str
    short_name: str
    emoji: str


@dataclass(frozen=True, slots=True)
class StanceSpec:
    key: str
    label: str
    emoji: str


@dataclass(frozen=True, slots=True)
class RecommendationSpec:
    number: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Content:
    title: str
    working_group: str
    scoping_areas: tuple[ScopingAreaSpec, ...]
    stances: tuple[StanceSpec, ...]
    recommendations: tuple[RecommendationSpec, ...]


def is_emoji(text: str) -> bool:
    """A Unicode emoji (with keycaps, ZWJ sequences, skin tones, flags) or a custom ``<:name:id>``."""
    if CUSTOM_EMOJI.match(text):
        return True
    if not text or len(text) > 16 or text != text.strip():
        return False
    if len(text) >= 2 and text[0] in "0123456789#*" and text.endswith("\u20e3"):
        return set(text[1:]) <= _EMOJI_JOINERS
    has_symbol = False
    for char in text:
        if char in _EMOJI_JOINERS or 0x1F3FB <= ord(char) <= 0x1F3FF or 0xE0020 <= ord(char) <= 0xE007F:
            continue
        if unicodedata.category(char) != "So":
            return False
        has_symbol = True
    return has_symbol


def _text(entry: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        problems.append(f"{where}: {key} must be text.")
        return ""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        problems.append(f"{where}: {key} contains control characters.")
    return value.strip()


def _number(entry: dict[str, Any], where: str, problems: list[str]) -> int | None:
    value = entry.get("number")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 999:
        problems.append(f"{where}: number must be a whole number from 1 to 999.")
        return None
    return value


def _tables(raw: object, noun: str, problems: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The tables of an array ``[[...]]``, each with how a problem names it ("stance #2"); an entry
    that is not a table is a problem and left out."""
    found = []
    for index, entry in enumerate(raw if isinstance(raw, list) else [], start=1):
        where = f"{noun} #{index}"
        if isinstance(entry, dict):
            found.append((where, entry))
        else:
            problems.append(f"{where} must be a table.")
    return found


def parse_content(data: dict[str, Any]) -> Content:
    problems: list[str] = []
    header = data.get("consultation", {})
    if not isinstance(header, dict):
        raise ContentError(["[consultation] must be a table."])
    title = _text(header, "title", "[consultation]", problems) or "Consultation"
    working_group = _text(header, "working_group", "[consultation]", problems) or "Working group"

    areas: list[ScopingAreaSpec] = []
    raw_areas = data.get("scoping_areas", [])
    if not isinstance(raw_areas, list) or not raw_areas:
        problems.append("The file needs at least one [[scoping_areas]] entry.")
        raw_areas = []
    if len(raw_areas) > MAX_SCOPING_AREAS:
        problems.append(
            f"There are {len(raw_areas)} scoping areas; Discord allows at most "
            f"{MAX_SCOPING_AREAS} forum tags, so at most {MAX_SCOPING_AREAS} areas."
        )
    for where, entry in _tables(raw_areas, "scoping area", problems):
        number = _number(entry, where, problems)
        name = _text(entry, "name", where, problems)
        short = _text(entry, "short_name", where, problems) or name
        emoji = _text(entry, "emoji", where, problems)
        if not name:
            problems.append(f"{where} has no name.")
        elif len(name) > MAX_AREA_NAME:
            problems.append(f"{where}: name is longer than {MAX_AREA_NAME} characters.")
        if len(short) > MAX_TAG_NAME:
            problems.append(
                f"{where}: short_name {short!r} is longer than the {MAX_TAG_NAME} characters "
                "Discord allows in a forum tag."
            )
        if not is_emoji(emoji):
            problems.append(f"{where}: {emoji!r} is not an emoji Discord knows.")
        if number is not None:
            areas.append(ScopingAreaSpec(number, name, short, emoji))

    stances: list[StanceSpec] = []
    raw_stances = data.get("stances", [])
    if not isinstance(raw_stances, list):
        problems.append("[[stances]] must be a list of tables.")
        raw_stances = []
    for where, entry in _tables(raw_stances, "stance", problems):
        key = _text(entry, "key", where, problems)
        label = _text(entry, "label", where, problems)
        emoji = _text(entry, "emoji", where, problems)
        if key not in STANCE_KEYS:
            problems.append(f"{where}: key must be one of {', '.join(STANCE_KEYS)}, not {key!r}.")
        if not label:
            problems.append(f"{where} has no label.")
        if not is_emoji(emoji):
            problems.append(f"{where}: {emoji!r} is not an emoji Discord knows.")
        stances.append(StanceSpec(key, label, emoji))
    missing = set(STANCE_KEYS) - {s.key for s in stances}
    if missing:
        problems.append(f"The stances {', '.join(sorted(missing))} are missing.")

    recommendations: list[RecommendationSpec] = []
    raw_recs = data.get("recommendations", [])
    if not isinstance(raw_recs, list) or not raw_recs:
        problems.append("The file needs at least one [[recommendations]] entry.")
        raw_recs = []
    if len(raw_recs) > MAX_RECOMMENDATIONS:
        problems.append(f"There are more than {MAX_RECOMMENDATIONS} recommendations.")
    for where, entry in _tables(raw_recs, "recommendation", problems):
        number = _number(entry, where, problems)
        title_text = _text(entry, "title", where, problems)
        body = _text(entry, "text", where, problems)
        if not title_text:
            problems.append(f"{where} has no title.")
        elif len(title_text) > MAX_TITLE:
            problems.append(f"{where}: title is longer than {MAX_TITLE} characters.")
        if len(body) > MAX_BODY:
            problems.append(f"{where}: text is longer than {MAX_BODY} characters.")
        if number is not None:
            recommendations.append(RecommendationSpec(number, title_text, body))

    for label, numbers in (
        ("scoping area", [a.number for a in areas]),
        ("recommendation", [r.number for r in recommendations]),
    ):
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            problems.append(f"Two {label}s share the number {', '.join(map(str, duplicates))}.")
    emojis = [a.emoji for a in areas] + [s.emoji for s in stances]
    repeated = sorted({e for e in emojis if emojis.count(e) > 1})
    if repeated:
        problems.append(f"The emoji {' '.join(repeated)} is used for two reactions.")
    if len(emojis) > MAX_REACTIONS_PER_MESSAGE:
        problems.append(
            f"{len(areas)} scoping areas and {len(stances)} stances make {len(emojis)} reactions; "
            f"Discord allows {MAX_REACTIONS_PER_MESSAGE} different reactions on one message."
        )
    if problems:
        raise ContentError(problems)
    return Content(
        title=title,
        working_group=working_group,
        scoping_areas=tuple(sorted(areas, key=lambda a: a.number)),
        stances=tuple(sorted(stances, key=lambda s: STANCE_KEYS.index(s.key))),
        recommendations=tuple(sorted(recommendations, key=lambda r: r.number)),
    )


def load_content(path: Path = DEFAULT_CONTENT_PATH) -> Content:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ContentError([f"Cannot read {path}: {error.strerror}."]) from error
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ContentError([f"{path} is not UTF-8 text."]) from error
    except tomllib.TOMLDecodeError as error:
        raise ContentError([f"{path} is not valid TOML: {error}."]) from error
    return parse_content(data)
