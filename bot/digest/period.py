"""What "since" means, and when a guild's weekly digest is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.errors import UserError

SINCE_LAST = "last"
SINCE_ALL = "all"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Since:
    """Either "since the last digest" (resolved later, from the digest log), everything, or a moment."""

    last: bool = False
    moment: datetime | None = None


def parse_since(text: str | None, now: datetime) -> Since:
    """``None``/"last": since the last digest; "all": everything; ``YYYY-MM-DD``: that day, 00:00 UTC."""
    value = (text or SINCE_LAST).strip().casefold()
    if value in (SINCE_LAST, "since the last digest", "last digest"):
        return Since(last=True)
    if value == SINCE_ALL:
        return Since()
    if not DATE.match(value):
        raise UserError("digest.bad_since", value=text)
    try:
        moment = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as error:
        raise UserError("digest.bad_since", value=text) from error
    if moment > now:
        raise UserError("digest.future_since", value=text)
    return Since(moment=moment)


def latest_slot(now: datetime, weekday: int, hour: int) -> datetime:
    """The most recent weekly moment (``weekday`` 0 = Monday, ``hour`` UTC) at or before ``now``."""
    now = now.astimezone(UTC)
    slot = now.replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(
        days=(now.weekday() - weekday) % 7
    )
    if slot > now:
        slot -= timedelta(days=7)
    return slot


def week_key(slot: datetime) -> str:
    """The period a weekly digest covers, by ISO week: one digest per week even if the day is changed."""
    year, week, _ = slot.isocalendar()
    return f"{year}-W{week:02d}"
