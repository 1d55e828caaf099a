"""What feedback the bot accepts: the text, how often, and when."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta

from bot.errors import UserError

MAX_LENGTH = 4000  # Discord's limit for a modal's text input; also enforced when the modal is bypassed
MAX_RESPONSE = 1500  # a working-group answer, quoted in a thread message (2,000 characters) with a header
COOLDOWN_ITEMS = 3  # a member may send this many form items ...
COOLDOWN_WINDOW = timedelta(seconds=60)  # ... within this window
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})  # controls, format chars, spaces


def is_blank(text: str) -> bool:
    """Nothing a reader could see: empty, whitespace, zero-width and control characters only."""
    return all(ch.isspace() or unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in text)


def check_text(text: str | None, limit: int = MAX_LENGTH) -> str:
    """The text exactly as written, or a ``UserError`` saying what is wrong with it."""
    if text is None or is_blank(text):
        raise UserError("feedback.empty")
    if len(text) > limit:
        raise UserError("feedback.too_long", limit=limit, length=len(text))
    return text


def cooldown_retry_after(
    recent: list[datetime],
    now: datetime,
    *,
    items: int = COOLDOWN_ITEMS,
    window: timedelta = COOLDOWN_WINDOW,
) -> int:
    """Seconds until one more item is allowed, given the times of the member's recent items (0: now)."""
    in_window = sorted(moment for moment in recent if moment > now - window)
    if len(in_window) < items:
        return 0
    free_at = in_window[-items] + window
    return max(1, math.ceil((free_at - now).total_seconds()))


def refuse_if_too_fast(recent: list[datetime], now: datetime, items: int) -> None:
    """Refuse one more form item while ``items`` of them fall within the cooldown window."""
    wait = cooldown_retry_after(recent, now, items=items)
    if wait:
        raise UserError(
            "feedback.too_fast", items=items, window=round(COOLDOWN_WINDOW.total_seconds()), seconds=wait
        )
