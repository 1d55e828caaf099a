"""What a member is answered in office hours: the list of sessions and the attendee list."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import discord

from bot.data.officehours import SessionSummary, Signup
from bot.i18n import t
from bot.officehours.render import MAX_MESSAGE, relative, when, where


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
    for status, heading in (
        ("confirmed", "officehours.attendees.confirmed"),
        ("waitlisted", "officehours.attendees.waitlist"),
    ):
        lines.append(t(heading, locale))
        group = [s for s in signups if s.status == status]
        if not group:
            lines.append(t("officehours.attendees.none", locale))
        for position, signup in enumerate(group, start=1):
            question = one_line(signup.question or "")
            key = "officehours.attendees.line_question" if question else "officehours.attendees.line"
            lines.append(
                t(
                    key,
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


def server_of(bot: discord.Client, home_guild_id: int) -> Callable[[Signup], str]:
    """The server a member signed up on, as "name (id)" (the bot's cached name, else the id alone)."""

    def server(signup: Signup) -> str:
        guild_id = signup.from_server(home_guild_id)
        guild = bot.get_guild(guild_id)
        return f"{guild.name} ({guild_id})" if guild is not None else str(guild_id)

    return server
