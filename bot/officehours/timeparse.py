"""Reading the times members type: a date and time with a zone or offset, or a Unix timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

MIN_DURATION = 5
MAX_DURATION = 8 * 60
MAX_AHEAD = timedelta(days=5 * 365)  # Discord refuses scheduled events further ahead
MAX_REMINDER_MINUTES = 14 * 24 * 60
MAX_REMINDERS = 5

UNIX = re.compile(r"^(?:<t:)?(\d{9,11})(?::[tTdDfFR])?>?$")
ZONE_SUFFIX = re.compile(r"^(?P<moment>.+?)\s+(?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)$")
REMINDER = re.compile(r"^(\d+)\s*([dhm]?)$")


def _from_zone(moment: str, zone_name: str, original: str) -> datetime:
    try:
        naive = datetime.fromisoformat(moment.replace(" ", "T", 1) if "T" not in moment else moment)
    except ValueError:
        raise UserError("officehours.time.unparseable", value=original) from None
    if naive.tzinfo is not None:
        raise UserError("officehours.time.unparseable", value=original)
    try:
        zone = UTC if zone_name.upper() in ("UTC", "Z", "GMT") else ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError("officehours.time.unknown_zone", zone=zone_name) from None
    aware = naive.replace(tzinfo=zone)
    # A wall time skipped by a daylight-saving jump does not survive the round trip through UTC.
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise UserError("officehours.time.nonexistent", value=original, zone=zone_name)
    return aware


def parse_moment(text: str) -> datetime:
    """``2026-12-01 18:00 Europe/Madrid``, ``2026-12-01T18:00+01:00``, ``...Z`` or ``1796230800``."""
    value = re.sub(r"\s+([+-]\d{2}:?\d{2})$", r"\1", " ".join(text.strip().split()))
    if not value:
        raise UserError("officehours.time.unparseable", value=text)
    unix = UNIX.match(value)
    if unix:
        return datetime.fromtimestamp(int(unix[1]), UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is None:
            raise UserError("officehours.time.no_zone", value=text)
        return parsed.astimezone(UTC)
    suffix = ZONE_SUFFIX.match(value)
    if suffix:
        return _from_zone(suffix["moment"], suffix["zone"], text).astimezone(UTC)
    raise UserError("officehours.time.unparseable", value=text)


def parse_start(text: str, now: datetime) -> datetime:
    """A start time in UTC, strictly in the future and not absurdly far ahead."""
    moment = parse_moment(text)
    if moment <= now:
        raise UserError("officehours.time.in_past", value=text)
    if moment - now > MAX_AHEAD:
        raise UserError("officehours.time.too_far", value=text)
    return moment


def parse_duration(minutes: int) -> int:
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise UserError("officehours.schedule.bad_duration", low=MIN_DURATION, high=MAX_DURATION)
    return minutes


def parse_reminders(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """``"24h, 15m"`` / ``"1440,15"`` / ``"none"`` -> minutes before the start, largest first."""
    if text is None or not text.strip():
        return tuple(sorted(set(default), reverse=True))
    if text.strip().lower() in ("none", "no", "off", "0"):
        return ()
    minutes = set()
    for part in text.replace(";", ",").split(","):
        match = REMINDER.match(part.strip().lower())
        if not match:
            raise UserError("officehours.schedule.bad_reminders", value=text)
        number = int(match[1]) * {"d": 1440, "h": 60, "m": 1, "": 1}[match[2]]
        if not 1 <= number <= MAX_REMINDER_MINUTES:
            raise UserError("officehours.schedule.bad_reminders", value=text)
        minutes.add(number)
    if len(minutes) > MAX_REMINDERS:
        raise UserError("officehours.schedule.bad_reminders", value=text)
    return tuple(sorted(minutes, reverse=True))
