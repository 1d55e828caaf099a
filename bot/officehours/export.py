"""The attendee list of a session as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from bot.data.officehours import CONFIRMED, Signup

HEADER = ("status", "position", "user_id", "name", "signed_up_at", "dm_reminders", "question", "server")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def attendees_csv(
    signups: Sequence[Signup],
    name_of: Callable[[Signup], str],
    server_of: Callable[[Signup], str] = lambda _: "",
) -> bytes:
    """Confirmed first (position = seat order), then the waitlist in click order; ``server``, last:
    the server the member signed up on (a session offered on linked servers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    counters = {"confirmed": 0, "waitlisted": 0}
    for signup in signups:
        counters[signup.status] = counters.get(signup.status, 0) + 1
        writer.writerow(
            (
                signup.status,
                counters[signup.status],
                str(signup.user_id),
                cell(name_of(signup)),
                signup.signed_up_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "yes" if signup.dm_reminders else "no",
                cell(signup.question or ""),
                cell(server_of(signup)),
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


__all__ = ["CONFIRMED", "HEADER", "attendees_csv", "cell"]
