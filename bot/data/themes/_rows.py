"""Rows of the themes data layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_db


@dataclass(frozen=True, slots=True)
class EmbeddingWork:
    feedback_id: int
    guild_id: int
    recommendation_id: int
    body: str
    updated_at: str
    text_hash: str | None  # of the text last embedded, None: never embedded (or another model)


@dataclass(frozen=True, slots=True)
class StoredVector:
    feedback_id: int
    guild_id: int
    text_hash: str
    seen_updated: str
    language: str | None
    scale: float
    vector: bytes


@dataclass(frozen=True, slots=True)
class ThemeItem:
    """A visible, embedded feedback item with its place in the themes (author never included)."""

    feedback_id: int
    recommendation_id: int
    recommendation_number: int
    area_number: int | None
    area_name: str | None
    language: str | None
    anonymous: bool
    body: str
    created_at: datetime
    answered: bool
    scale: float
    vector: bytes
    theme_id: int | None
    item_status: str | None  # 'accepted', 'suggested', 'not_fitting' or None (open)
    similarity: float | None


@dataclass(frozen=True, slots=True)
class Theme:
    id: int
    guild_id: int
    recommendation_id: int | None
    name: str | None
    status: str
    merged_into: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Addressed:
    theme_id: int
    recommendation_number: int
    version: int
    note: str


@dataclass(frozen=True, slots=True)
class AuthorItem:
    author_id: int
    anonymous: bool
    language: str | None
    theme_id: int


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    guild_id: int
    recommendation_id: int
    recommendation_number: int
    version: int
    author_id: int
    private: bool
    locale: str | None
    theme_ids: tuple[int, ...]


def _theme(row: aiosqlite.Row) -> Theme:
    return Theme(
        row["id"],
        row["guild_id"],
        row["recommendation_id"],
        row["name"],
        row["status"],
        row["merged_into"],
        from_db(row["created_at"]),
    )


def _notice(row: aiosqlite.Row) -> Notice:
    return Notice(
        row["id"],
        row["guild_id"],
        row["recommendation_id"],
        row["number"],
        row["version"],
        row["author_id"],
        bool(row["private"]),
        row["locale"],
        tuple(int(part) for part in row["theme_ids"].split(",") if part),
    )
