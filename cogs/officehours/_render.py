"""What members see of office hours: the sign-up card, its buttons, the list and the attendee list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import discord

from bot.data.officehours import Session, SessionSummary, Signup
from bot.i18n import t
from bot.officehours.service import discord_timestamp

COLOUR = discord.Colour(0x3366CC)
CLOSED_COLOUR = discord.Colour(0x72777D)
MAX_MESSAGE = 2000
MENTIONS_PER_MESSAGE = 50  # well under Discord's 100 users per allowed_mentions and 2,000 characters


def where(session: Session, locale: object = None) -> str:
    if session.location_channel_id is not None:
        return t("officehours.where.channel", locale, channel=session.location_channel_id)
    return t("officehours.where.place", locale, place=session.location_text or "")


def when(session: Session) -> str:
    return discord_timestamp(session.starts_at, "F")


def relative(moment: datetime) -> str:
    return discord_timestamp(moment, "R")


def card_embed(summary: SessionSummary, now: datetime, locale: object = None) -> discord.Embed:
    """The public card: time in every member's own zone, seats left, and whether it is still open."""
    session = summary.session
    closed = session.cancelled or session.starts_at <= now
    embed = discord.Embed(
        title=t("officehours.card.title", locale, title=session.title)[:256],
        colour=CLOSED_COLOUR if closed else COLOUR,
    )
    embed.add_field(
        name=t("officehours.card.when", locale),
        value=t(
            "officehours.card.when_value",
            locale,
            start=when(session),
            relative=relative(session.starts_at),
            minutes=session.duration_minutes,
        ),
        inline=False,
    )
    embed.add_field(name=t("officehours.card.where", locale), value=where(session, locale), inline=True)
    if session.host_id is not None:
        embed.add_field(name=t("officehours.card.host", locale), value=f"<@{session.host_id}>", inline=True)
    seats = (
        t("officehours.card.seats_value", locale, left=summary.seats_left, capacity=session.capacity)
        if summary.seats_left
        else t("officehours.card.seats_full", locale, waitlisted=summary.waitlisted)
    )
    embed.add_field(name=t("officehours.card.seats", locale), value=seats, inline=True)
    if session.cancelled:
        embed.description = t("officehours.card.cancelled", locale)
    elif closed:
        embed.description = t("officehours.card.closed", locale)
    embed.set_footer(text=t("officehours.card.footer", locale))
    return embed


def card_view(session_id: int, *, open_: bool, locale: object = None) -> discord.ui.View:
    """Persistent buttons (their custom ids carry the session id), disabled once sign-ups closed."""
    from cogs.officehours._buttons import CalendarButton, CancelButton, DmButton, QuestionButton, SignUpButton

    view = discord.ui.View(timeout=None)
    for item in (
        SignUpButton(session_id, locale),
        CancelButton(session_id, locale),
        QuestionButton(session_id, locale),
        DmButton(session_id, locale),
        CalendarButton(session_id, locale),
    ):
        if not open_ and not isinstance(item, CalendarButton):
            item.item.disabled = True
        view.add_item(item)
    return view


def mention_chunks(user_ids: Sequence[int]) -> list[list[int]]:
    ids = list(dict.fromkeys(user_ids))
    return [ids[i : i + MENTIONS_PER_MESSAGE] for i in range(0, len(ids), MENTIONS_PER_MESSAGE)]


async def ping(channel: discord.abc.Messageable, text: str, user_ids: Sequence[int]) -> int:
    """Post ``text`` (with a ``{mentions}`` slot) pinging exactly ``user_ids``, in as many messages
    as it takes. Returns the number of messages posted."""
    chunks = mention_chunks(user_ids) or [[]]
    for chunk in chunks:
        mentions = " ".join(f"<@{user_id}>" for user_id in chunk)
        await channel.send(
            text.replace("{mentions}", mentions)[:MAX_MESSAGE],
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(u) for u in chunk]
            ),
        )
    return len(chunks)


def list_text(summaries: Sequence[SessionSummary], locale: object, total: int) -> str:
    lines = [t("officehours.list.header", locale)]
    for summary in summaries:
        session = summary.session
        seats = (
            t("officehours.list.seats", locale, left=summary.seats_left, capacity=session.capacity)
            if summary.seats_left
            else t("officehours.list.full", locale, waitlisted=summary.waitlisted)
        )
        lines.append(
            t(
                "officehours.list.line",
                locale,
                id=session.id,
                title=session.title,
                when=when(session),
                relative=relative(session.starts_at),
                minutes=session.duration_minutes,
                where=where(session, locale),
                seats=seats,
            )
        )
    if total > len(summaries):
        lines.append(t("officehours.list.more", locale, count=total - len(summaries)))
    return shorten_lines(lines, MAX_MESSAGE)


def attendees_text(summary: SessionSummary, signups: Sequence[Signup], locale: object) -> str:
    session = summary.session
    lines = [
        t(
            "officehours.attendees.header",
            locale,
            id=session.id,
            title=session.title,
            when=when(session),
            confirmed=summary.confirmed,
            capacity=session.capacity,
            waitlisted=summary.waitlisted,
        )
    ]
    for status, heading in (("confirmed", "confirmed"), ("waitlisted", "waitlist")):
        lines.append(t(f"officehours.attendees.{heading}", locale))
        group = [s for s in signups if s.status == status]
        if not group:
            lines.append(t("officehours.attendees.none", locale))
        for position, signup in enumerate(group, start=1):
            question = one_line(signup.question or "")
            key = "line_question" if question else "line"
            lines.append(
                t(
                    f"officehours.attendees.{key}",
                    locale,
                    position=position,
                    mention=f"<@{signup.user_id}>",
                    question=question,
                )
            )
    return shorten_lines(lines, MAX_MESSAGE, t("officehours.attendees.truncated", locale))


def one_line(text: str, limit: int = 200) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def shorten_lines(lines: list[str], limit: int, tail: str = "") -> str:
    """Whole lines up to ``limit`` characters; ``tail`` says when some were left out."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    budget = limit - len(tail) - 2
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > budget:
            break
        kept.append(line)
    return "\n".join([*kept, tail]) if tail else "\n".join(kept)


def name_of(guild: discord.Guild | None) -> Any:
    """The best name we have for a member: the one cached by Discord, else the one given at sign-up."""

    def name(signup: Signup) -> str:
        member = guild.get_member(signup.user_id) if guild is not None else None
        if member is not None:
            return member.display_name
        return signup.display_name or ""

    return name
