"""Seats and the waitlist, decided for a group of clicks on one session inside one transaction.

The office-hours service queues the clicks of a session (``bot.batching.GroupCommit``); each group
is read once (the session, its counts, the clickers' rows: one statement), decided here in click
order with the counts kept in memory, and written in a few statements. The result is exactly what
the same clicks would have got one transaction each, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.data.officehours import (
    CANCELLED,
    CONFIRMED,
    WAITLISTED,
    Booking,
    BookingState,
    NewSignup,
    Signup,
)
from bot.officehours.outcomes import CancelOutcome, SignupOutcome


@dataclass(frozen=True, slots=True)
class Click:
    """One member's click on Sign up (or Cancel), queued for the session's next group."""

    guild_id: int
    user_id: int
    locale: str | None = None
    display_name: str | None = None


def signup_refusal(
    state: BookingState | None, guild_id: int, now: datetime, offered: frozenset[int] = frozenset()
) -> str | None:
    """Why a sign-up for this session is refused now, or None. ``offered``: the linked servers where
    the session is offered now (a click there takes a seat from the same pool)."""
    if state is None or (state.guild_id != guild_id and guild_id not in offered):
        return "not_found"
    if state.phase == "closed":
        return "consultation_closed"
    if state.status != "scheduled":
        return "cancelled"
    if state.starts_at <= now:
        return "started"
    return None


async def book(booking: Booking, clicks: list[Click], now: datetime) -> list[SignupOutcome]:
    """Seats while ``confirmed < capacity``, then the end of the waitlist, in click order."""
    state, existing = await booking.open(c.user_id for c in clicks)
    offered = await _offered(booking, state, clicks)
    refusals = [signup_refusal(state, c.guild_id, now, offered) for c in clicks]
    if state is None or all(refusals):
        return [SignupOutcome(None, refused=r) for r in refusals]
    about = {"title": state.title, "starts_at": state.starts_at}
    outcomes: list[SignupOutcome] = []
    taken: dict[int, SignupOutcome] = {}  # members given a place by this group
    confirmed, waitlisted = state.confirmed, state.waitlisted
    stale: list[int] = []
    fresh: list[NewSignup] = []
    for click, refused in zip(clicks, refusals, strict=True):
        if refused is not None:
            outcomes.append(SignupOutcome(None, refused=refused))
            continue
        if click.user_id in taken:
            given = taken[click.user_id]
            outcomes.append(SignupOutcome(given.status, already=True, position=given.position, **about))
            continue
        mine = existing.get(click.user_id)
        if mine is not None and mine.status in (CONFIRMED, WAITLISTED):
            position = await booking.waitlist_position(mine.id) if mine.status == WAITLISTED else None
            outcomes.append(SignupOutcome(mine.status, already=True, position=position, **about))
            continue
        if mine is not None:
            # Signing up again after cancelling: a fresh row, so the click order is the new click.
            stale.append(mine.id)
        if confirmed < state.capacity:
            confirmed += 1
            outcome = SignupOutcome(CONFIRMED, **about)
        else:
            waitlisted += 1  # new rows get the highest ids of the session: last in the queue
            outcome = SignupOutcome(WAITLISTED, position=waitlisted, **about)
        taken[click.user_id] = outcome
        fresh.append(
            NewSignup(
                click.user_id, outcome.status or CONFIRMED, click.locale, click.display_name, click.guild_id
            )
        )
        outcomes.append(outcome)
    if stale:
        await booking.delete_signups(stale)
    if fresh:
        await booking.insert_signups(fresh)
    return outcomes


async def release(booking: Booking, clicks: list[Click], now: datetime) -> list[CancelOutcome]:
    """Give up seats and waitlist places in click order; each freed seat goes to the first waiting."""
    state, existing = await booking.open(c.user_id for c in clicks)
    if state is None:
        return [CancelOutcome(None, refused="not_found") for _ in clicks]
    offered = await _offered(booking, state, clicks)
    status = {user_id: row.status for user_id, row in existing.items()}
    confirmed = state.confirmed
    head: list[Signup] | None = None  # the head of the waitlist, read once if a seat is freed
    changes: list[tuple[int, str]] = []
    promoted: list[Signup] = []
    outcomes: list[CancelOutcome] = []
    for click in clicks:
        mine = existing.get(click.user_id)
        # Given up on the session's server, where it is offered, or where it was taken (a server that
        # left keeps its sign-ups, and their holders may still give them up).
        here = state.guild_id == click.guild_id or click.guild_id in offered
        if not here and (mine is None or mine.guild_id != click.guild_id):
            outcomes.append(CancelOutcome(None, refused="not_found"))
            continue
        if state.status != "scheduled":
            outcomes.append(CancelOutcome(None, refused="cancelled", title=state.title))
            continue
        previous = status.get(click.user_id)
        if mine is None or previous not in (CONFIRMED, WAITLISTED):
            outcomes.append(CancelOutcome(None, title=state.title))
            continue
        if state.starts_at <= now:
            outcomes.append(CancelOutcome(previous, refused="started", title=state.title))
            continue
        status[click.user_id] = CANCELLED
        changes.append((mine.id, CANCELLED))
        confirmed -= previous == CONFIRMED
        first = None
        if confirmed < state.capacity:
            if head is None:
                # Enough for every seat this group can free, and for those of it who leave the queue.
                head = await booking.first_waitlisted(state.capacity - confirmed + 2 * len(clicks))
            head = [s for s in head if status.get(s.user_id, WAITLISTED) == WAITLISTED]
            if head:
                first = head.pop(0)
                status[first.user_id] = CONFIRMED
                existing.setdefault(first.user_id, first)
                changes.append((first.id, CONFIRMED))
                promoted.append(first)
                confirmed += 1
        outcomes.append(
            CancelOutcome(previous, promoted_user_id=first.user_id if first else None, title=state.title)
        )
    if changes:
        await booking.set_statuses(changes)
    if promoted:
        await booking.tell_promoted(promoted)
    return outcomes


async def _offered(booking: Booking, state: BookingState | None, clicks: list[Click]) -> frozenset[int]:
    """The linked servers offering the session, read only when a click came from another server."""
    if state is None or all(c.guild_id == state.guild_id for c in clicks):
        return frozenset()
    return await booking.offered_guilds()
