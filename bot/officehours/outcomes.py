"""What the office-hours service answers: the outcome of a sign-up, a cancellation, a reminder claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.data.officehours import Session

# The sentence that answers each refusal, written out so the catalogue test sees every key.
SIGNUP_REFUSED = {
    "not_found": "officehours.signup.refused_not_found",
    "consultation_closed": "officehours.signup.refused_consultation_closed",
    "cancelled": "officehours.signup.refused_cancelled",
    "started": "officehours.signup.refused_started",
}
CANCEL_REFUSED = {
    "not_found": "officehours.cancel_signup.refused_not_found",
    "cancelled": "officehours.cancel_signup.refused_cancelled",
    "started": "officehours.cancel_signup.refused_started",
}


@dataclass(frozen=True, slots=True)
class SignupOutcome:
    """What a click on Sign up did. ``refused`` names why nothing changed (or is None)."""

    status: str | None
    already: bool = False
    position: int | None = None
    refused: str | None = None
    title: str = ""
    starts_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    previous: str | None  # the member's status before, None if not signed up
    promoted_user_id: int | None = None
    refused: str | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder claimed for sending: post it to ``attendee_ids`` (confirmed only)."""

    reminder_id: int
    minutes_before: int
    session: Session
    attendee_ids: tuple[int, ...]
    guild_id: int | None = None  # a linked server's reminder (its own attendees); None: the session's
