"""How a draft recommendation looks in Discord: thread name, embed, tally tables."""

from __future__ import annotations

import discord

from bot.data.guilds import ScopingArea, Stance
from bot.data.reactions import AreaTally, StanceTally
from bot.data.recommendations import Recommendation
from bot.i18n import t

THREAD_NAME_LIMIT = 100  # Discord: thread and forum-post names are 1-100 characters
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def thread_name(recommendation: Recommendation) -> str:
    return shorten(f"R{recommendation.number}. {recommendation.title}", THREAD_NAME_LIMIT)


def post_embed(
    recommendation: Recommendation,
    areas: list[ScopingArea],
    stances: list[Stance],
    *,
    closed: bool = False,
    locale: object = None,
) -> discord.Embed:
    body = recommendation.body or t("recommendations.no_text_yet", locale)
    embed = discord.Embed(
        title=shorten(f"R{recommendation.number}. {recommendation.title}", EMBED_TITLE_LIMIT),
        description=shorten(body, EMBED_DESCRIPTION_LIMIT) if len(body) > EMBED_DESCRIPTION_LIMIT else body,
        colour=discord.Colour.dark_grey() if closed else discord.Colour.blurple(),
    )
    area_lines = "\n".join(f"{area.emoji} {area.name}" for area in areas)
    stance_line = "  ".join(f"{stance.emoji} {stance.label}" for stance in stances)
    embed.add_field(
        name=t("recommendations.field_areas", locale), value=shorten(area_lines, EMBED_FIELD_LIMIT)
    )
    embed.add_field(
        name=t("recommendations.field_stances", locale), value=shorten(stance_line, EMBED_FIELD_LIMIT)
    )
    embed.add_field(
        name=t("recommendations.field_how", locale),
        value=t("recommendations.closed_notice" if closed else "recommendations.how_to_take_part", locale),
        inline=False,
    )
    embed.set_footer(
        text=t("recommendations.footer", locale, number=recommendation.number, version=recommendation.version)
    )
    return embed


def stance_counts(row: StanceTally | AreaTally, emoji: dict[str, str]) -> dict[str, object]:
    """A tally row's members and its stances, each after its reaction."""
    return {
        "members": row.members,
        "support": f"{emoji.get('support', '+')} {row.support}",
        "oppose": f"{emoji.get('oppose', '-')} {row.oppose}",
        "needs_work": f"{emoji.get('needs_work', '~')} {row.needs_work}",
    }


def tally_overview_embed(
    title: str,
    stance_rows: list[StanceTally],
    recommendations: dict[int, Recommendation],
    stances: list[Stance],
) -> discord.Embed:
    emoji = {s.key: s.emoji for s in stances}
    lines = [
        t(
            "recommendations.tally_line",
            number=row.recommendation_number,
            title=shorten(recommendations[row.recommendation_id].title, 48),
            **stance_counts(row, emoji),
        )
        for row in stance_rows
    ]
    return discord.Embed(
        title=shorten(t("recommendations.tally_title", title=title), EMBED_TITLE_LIMIT),
        description=shorten("\n".join(lines) or t("recommendations.tally_empty"), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.blurple(),
    )


def tally_detail_embed(
    recommendation: Recommendation,
    stance_row: StanceTally,
    area_rows: list[AreaTally],
    areas: list[ScopingArea],
    stances: list[Stance],
) -> discord.Embed:
    emoji = {s.key: s.emoji for s in stances}
    by_number = {area.number: area for area in areas}
    lines = [
        t(
            "recommendations.tally_area_line",
            emoji=by_number[row.area_number].emoji,
            area=shorten(by_number[row.area_number].name, 40),
            **stance_counts(row, emoji),
        )
        for row in area_rows
    ]
    embed = discord.Embed(
        title=shorten(f"R{recommendation.number}. {recommendation.title}", EMBED_TITLE_LIMIT),
        description=shorten("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.blurple(),
    )
    embed.add_field(
        name=t("recommendations.tally_overall"),
        value=t(
            "recommendations.tally_overall_value",
            members=stance_row.members,
            support=f"{emoji.get('support', '+')} {stance_row.support}",
            oppose=f"{emoji.get('oppose', '-')} {stance_row.oppose}",
            needs_work=f"{emoji.get('needs_work', '~')} {stance_row.needs_work}",
        ),
        inline=False,
    )
    return embed
