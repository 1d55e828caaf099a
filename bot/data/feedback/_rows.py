"""The feedback capability's rows and the SELECT projections that build them.

``_WG_ITEM`` is the working group's projection: it blanks the author of anonymous items in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_db

SOURCES = ("form", "thread")
STATUSES = ("active", "deleted", "withdrawn")


@dataclass(frozen=True, slots=True)
class Feedback:
    """One item as stored, author included: for its author, moderation and privacy requests."""

    id: int
    guild_id: int
    recommendation_id: int
    recommendation_number: int
    version: int
    scoping_area_id: int | None
    area_number: int | None
    author_id: int
    anonymous: bool
    source: str
    channel_id: int | None
    message_id: int | None
    body: str
    language: str | None
    status: str
    hidden: bool
    hidden_reason: str | None
    hidden_by: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WorkingGroupItem:
    """One item as the working group may see it: ``author_id`` is ``None`` when it is anonymous."""

    id: int
    guild_id: int
    recommendation_id: int
    recommendation_number: int
    version: int
    area_number: int | None
    author_id: int | None
    anonymous: bool
    source: str
    body: str
    language: str | None
    created_at: datetime
    responses: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    body: str
    replaced_at: datetime


@dataclass(frozen=True, slots=True)
class Response:
    id: int
    feedback_id: int
    responder_id: int
    body: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingResponse:
    """A response its author has not been told about yet."""

    id: int
    feedback_id: int
    recommendation_number: int
    body: str
    created_at: datetime


_ITEM = (
    "SELECT f.*, r.number AS recommendation_number, a.number AS area_number"
    " FROM feedback f JOIN recommendations r ON r.id = f.recommendation_id"
    " LEFT JOIN scoping_areas a ON a.id = f.scoping_area_id"
)

# The working group's projection: the author is blanked in SQL for anonymous items.
_WG_ITEM = (
    "SELECT f.id, f.guild_id, f.recommendation_id, r.number AS recommendation_number, f.version,"
    " a.number AS area_number,"
    " CASE WHEN f.anonymous = 1 THEN NULL ELSE f.author_id END AS author_id,"
    " f.anonymous, f.source, f.body, f.language, f.created_at,"
    " (SELECT COUNT(*) FROM feedback_responses fr WHERE fr.feedback_id = f.id) AS responses"
    " FROM feedback f JOIN recommendations r ON r.id = f.recommendation_id"
    " LEFT JOIN scoping_areas a ON a.id = f.scoping_area_id"
)
_WG_VISIBLE = "f.status = 'active' AND f.hidden = 0"


def _feedback(row: aiosqlite.Row) -> Feedback:
    return Feedback(
        id=row["id"],
        guild_id=row["guild_id"],
        recommendation_id=row["recommendation_id"],
        recommendation_number=row["recommendation_number"],
        version=row["version"],
        scoping_area_id=row["scoping_area_id"],
        area_number=row["area_number"],
        author_id=row["author_id"],
        anonymous=bool(row["anonymous"]),
        source=row["source"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        body=row["body"],
        language=row["language"],
        status=row["status"],
        hidden=bool(row["hidden"]),
        hidden_reason=row["hidden_reason"],
        hidden_by=row["hidden_by"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


def _wg_item(row: aiosqlite.Row) -> WorkingGroupItem:
    return WorkingGroupItem(
        id=row["id"],
        guild_id=row["guild_id"],
        recommendation_id=row["recommendation_id"],
        recommendation_number=row["recommendation_number"],
        version=row["version"],
        area_number=row["area_number"],
        author_id=row["author_id"],
        anonymous=bool(row["anonymous"]),
        source=row["source"],
        body=row["body"],
        language=row["language"],
        created_at=from_db(row["created_at"]),
        responses=row["responses"],
    )


def _response(row: aiosqlite.Row) -> Response:
    return Response(
        id=row["id"],
        feedback_id=row["feedback_id"],
        responder_id=row["responder_id"],
        body=row["body"],
        created_at=from_db(row["created_at"]),
        delivered_at=from_db(row["delivered_at"]) if row["delivered_at"] else None,
    )
