"""What the feedback cog shows: the member's own items, the working group's pages, pending answers.

Anonymity: the working group's embeds are built from ``WorkingGroupItem`` rows only, whose
``author_id`` the data layer already blanked for anonymous items; nothing here can name their author.
"""

from __future__ import annotations

from datetime import datetime

import discord

from bot.data.feedback import Feedback, PendingResponse, WorkingGroupItem
from bot.i18n import t

EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024
LIST_BODY_LIMIT = 900  # five items a page stay under Discord's 6,000 characters per message
MINE_SHOWN = 15
MINE_BODY_LIMIT = 180
PENDING_SHOWN = 10
CHOICE_LIMIT = 100  # an autocomplete choice's name


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    return clip(" ".join(text.split()), limit)


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def source_label(source: str, locale: object) -> str:
    labels = {"form": t("feedback.source_form", locale), "thread": t("feedback.source_thread", locale)}
    return labels[source]


def item_reference(item: Feedback | WorkingGroupItem, locale: object) -> dict[str, object]:
    """How every listing names an item: its number, the draft, the version and the scoping area."""
    area = t("feedback.mine_area", locale, number=item.area_number) if item.area_number else ""
    return {"reference": item.id, "number": item.recommendation_number, "version": item.version, "area": area}


def mine_embed(items: list[Feedback], answered: dict[int, int], locale: object) -> discord.Embed:
    """The member's own items, anonymous ones included (they are the author)."""
    embed = discord.Embed(title=t("feedback.mine_title", locale), colour=discord.Colour.blurple())
    lines = []
    for item in items[:MINE_SHOWN]:
        header = t(
            "feedback.mine_item",
            locale,
            **item_reference(item, locale),
            anonymous=t("feedback.mine_anonymous", locale) if item.anonymous else "",
            source=source_label(item.source, locale),
            when=when(item.created_at),
        )
        if answered.get(item.id):
            header += " · " + t("feedback.mine_answered", locale, count=answered[item.id])
        if item.hidden:
            header += " · " + t("feedback.mine_hidden", locale)
        lines.append(f"**{header}**\n> {one_line(item.body, MINE_BODY_LIMIT)}")
    if len(items) > MINE_SHOWN:
        lines.append(t("feedback.mine_more", locale, count=len(items) - MINE_SHOWN))
    embed.description = clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT)
    embed.set_footer(text=t("feedback.mine_footer", locale))
    return embed


def working_group_embed(item: WorkingGroupItem, locale: object) -> discord.Embed:
    """One item for the working group. ``item.author_id`` is None for anonymous feedback."""
    author = (
        t("feedback.list_author_anonymous", locale)
        if item.author_id is None
        else t("feedback.list_author", locale, author=item.author_id)
    )
    status = (
        t("feedback.list_answered", locale, count=item.responses)
        if item.responses
        else t("feedback.list_unanswered", locale)
    )
    embed = discord.Embed(
        title=t("feedback.list_item_title", locale, **item_reference(item, locale)),
        description=f"{author}\n\n{clip(item.body, LIST_BODY_LIMIT)}",
        colour=discord.Colour.green() if item.responses else discord.Colour.orange(),
    )
    embed.set_footer(
        text=t(
            "feedback.list_footer",
            locale,
            source=source_label(item.source, locale),
            language=item.language or t("feedback.language_unknown", locale),
            when=when(item.created_at),
            status=status,
        )
    )
    return embed


def pending_embed(pending: list[PendingResponse], locale: object) -> discord.Embed:
    embed = discord.Embed(title=t("feedback.pending_title", locale), colour=discord.Colour.green())
    for response in pending[:PENDING_SHOWN]:
        embed.add_field(
            name=t(
                "feedback.pending_item",
                locale,
                reference=response.feedback_id,
                number=response.recommendation_number,
            ),
            value=clip(response.body, EMBED_FIELD_LIMIT),
            inline=False,
        )
    return embed


def item_choice(item: WorkingGroupItem | Feedback, locale: object) -> str:
    """An autocomplete label: reference, draft and the start of the text; never an author."""
    return clip(
        t(
            "feedback.choice_item",
            locale,
            reference=item.id,
            number=item.recommendation_number,
            text=one_line(item.body, CHOICE_LIMIT),
        ),
        CHOICE_LIMIT,
    )
