"""Office hours: sessions, sign-ups (seats and waitlist), reminders and the outbox of member notices.

SQL only. The rules (who gets a seat, refusals, promotion, which reminder is sent) live in
``bot.officehours.service``, which executes its decisions through the units of work here
(``booking``, ``reminder_claim``): each is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

from bot.data.database import Database
from bot.data.officehours._offers import OfferQueries
from bot.data.officehours._outbox import NoticeQueries
from bot.data.officehours._reminders import PendingReminder, ReminderClaim, ReminderQueries
from bot.data.officehours._rows import (
    CANCELLED,
    CONFIRMED,
    MAX_SESSION_MINUTES,
    WAITLISTED,
    Notice,
    Offer,
    Session,
    SessionSummary,
    Signup,
)
from bot.data.officehours._sessions import SessionQueries
from bot.data.officehours._signups import Booking, BookingState, NewSignup, SignupQueries

__all__ = [
    "CANCELLED",
    "CONFIRMED",
    "MAX_SESSION_MINUTES",
    "WAITLISTED",
    "Booking",
    "BookingState",
    "NewSignup",
    "Notice",
    "Offer",
    "OfficeHoursRepository",
    "PendingReminder",
    "ReminderClaim",
    "Session",
    "SessionSummary",
    "Signup",
]


class OfficeHoursRepository(SessionQueries, SignupQueries, ReminderQueries, NoticeQueries, OfferQueries):
    """The SQL of office hours."""

    def __init__(self, db: Database) -> None:
        self.db = db
