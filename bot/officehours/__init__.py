"""Office hours: scheduling sessions, seats and waitlist, reminders, calendar and CSV exports."""

from bot.officehours.service import OfficeHoursService, SessionDraft
from bot.officehours.timeparse import parse_duration, parse_reminders, parse_start

__all__ = ["OfficeHoursService", "SessionDraft", "parse_duration", "parse_reminders", "parse_start"]
