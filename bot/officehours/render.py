"""What everyone sees of a session in the server: the sign-up card and the notices that ping attendees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.data.officehours import Session, SessionSummary
from bot.i18n import t
from bot.officehours.card import CalendarButton, CancelButton, DmButton, QuestionButton, SignUpButton

COLOUR = discord.Colour(0x3366CC)
CLOSED_COLOUR = discord.Colour(0x72777D)
MAX_MESSAGE = 2000
MENTIONS_PER_MESSAGE = 50  # well under Discord's 100 users per allowed_mentions and 2,000 characters


def discord_timestamp(moment: datetime, style: str = "F") -> str:
    """``<t:...:F>``: Discord shows it in each member's own time zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def where(session: Session, locale: object = None, guild_id: int | None = None) -> str:
    """The place, as seen on ``guild_id`` (a linked server links to the home server's channel)."""
    if session.location_channel_id is not None:
        if guild_id is not None and guild_id != session.guild_id:
            return t("officehours.where.place", locale, place=channel_link(session))
        return t("officehours.where.channel", locale, channel=session.location_channel_id)
    return t("officehours.where.place", locale, place=session.location_text or "")


def channel_link(session: Session) -> str:
    """The home server's voice or stage channel, as a link that works from any server."""
    return f"https://discord.com/channels/{session.guild_id}/{session.location_channel_id}"


def when(session: Session) -> str:
    return discord_timestamp(session.starts_at, "F")


def relative(moment: datetime) -> str:
    return discord_timestamp(moment, "R")


def card_embed(
    summary: SessionSummary,
    now: datetime,
    locale: object = None,
    guild_id: int | None = None,
    *,
    withdrawn: bool = False,
) -> discord.Embed:
    """The public card: time in every member's own zone, seats left, and whether it is still open.
    ``guild_id``: the linked server it is shown on (None: the session's own); ``withdrawn``: that
    server left the consultation."""
    session = summary.session
    shared = guild_id is not None and guild_id != session.guild_id
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
    embed.add_field(
        name=t("officehours.card.where", locale), value=where(session, locale, guild_id), inline=True
    )
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
    elif withdrawn:
        embed.description = t("officehours.card.withdrawn", locale)
        embed.colour = CLOSED_COLOUR
    footer = t("officehours.card.footer_shared", locale) if shared else t("officehours.card.footer", locale)
    embed.set_footer(text=footer)
    return embed


def card_view(
    session_id: int, *, open_: bool, locale: object = None, withdrawn: bool = False
) -> discord.ui.View:
    """Persistent buttons (their custom ids carry the session id), disabled once sign-ups closed;
    ``withdrawn`` (a server that left): only Cancel and the calendar stay."""
    view = discord.ui.View(timeout=None)
    for item in (
        SignUpButton(session_id, locale),
        CancelButton(session_id, locale),
        QuestionButton(session_id, locale),
        DmButton(session_id, locale),
        CalendarButton(session_id, locale),
    ):
        kept = CalendarButton if not open_ else CalendarButton | CancelButton
        if (not open_ or withdrawn) and not isinstance(item, kept):
            item.item.disabled = True
        view.add_item(item)
    # Not kept in this process's view store (it would take over the cog's answering subclasses):
    # clicks are routed by custom id to the classes the cog registered.
    view.stop()
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
