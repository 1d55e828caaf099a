"""The digest's Themes section and themes.csv, from the stored vectors and themes (no model needed).

When no theme has been accepted yet, suggestions are computed for the digest (not stored).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from bot.data.digest import Reads
from bot.data.themes import ThemeItem, ThemesRepository
from bot.digest.csvfile import CsvFile
from bot.digest.parts import PartInput, PartOutput
from bot.digest.wikitext import heading, text
from bot.i18n import t
from bot.themes import cluster
from bot.themes.summary import ThemeSummary, stored_of, summarise

THEMES_HEADER = ("feedback_id", "theme", "theme_id", "status", "similarity")
QUOTE_LIMIT = 240


@dataclass(frozen=True)
class ThemesSection:
    markdown: str
    csv: bytes

    @property
    def wikitext(self) -> str:
        """The same section for digest.wiki: headings, lists and quotes in wikitext, members' words
        kept literal (``bot.digest.wikitext.text``)."""
        lines = []
        for line in self.markdown.splitlines():
            level = len(line) - len(line.lstrip("#"))
            if level and line[level:].startswith(" "):
                lines.append(heading(level, line[level + 1 :]))
            elif line.startswith("- "):
                lines.append("* " + text(line[2:]))
            elif line.startswith("> "):
                lines.append(":" + text(line[2:]))
            else:
                lines.append(text(line) if line else "")
        return "\n".join(lines)


def _counts(counter: dict[str, int], empty: str) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1])) or empty


def _render(summary: ThemeSummary, locale: object) -> list[str]:
    none = t("themes.digest.none", locale)
    if summary.name:
        heading = t("themes.digest.theme", locale, name=summary.name)
        heading = f"T{summary.theme_id} {heading}"
    else:
        heading = t("themes.digest.suggestion", locale, id=summary.theme_id)
    lines = [
        f"### {heading}",
        "",
        "- " + t(
            "themes.digest.line", locale, size=summary.size, new=summary.new,
            answered=summary.answered, unanswered=summary.unanswered,
        ),
        "- " + t("themes.digest.languages", locale, languages=_counts(summary.languages, none)),
        "- " + t("themes.digest.areas", locale, areas=_counts(summary.areas, none)),
        "- " + t("themes.digest.stances", locale, stances=_counts(summary.stances, none)),
    ]  # fmt: skip
    if summary.name:
        if summary.addressed:
            last = summary.addressed[-1]
            lines.append(
                "- "
                + t(
                    "themes.digest.status_addressed",
                    locale,
                    number=last.recommendation_number,
                    version=last.version,
                    note=last.note,
                )
            )
        else:
            lines.append("- " + t("themes.digest.status_open", locale))
    for quote in summary.quotes:
        body = " ".join(quote.body.split())
        body = body if len(body) <= QUOTE_LIMIT else body[: QUOTE_LIMIT - 1] + "…"
        lines.append(f"> #{quote.feedback_id} ({quote.language or '?'}) {body}")
        lines.append("")
    return [*lines, ""]


class ThemesPart:
    """The digest's Themes section and themes.csv (a ``bot.digest.parts`` part), read in the digest's
    snapshot."""

    async def build(self, reads: Reads, data: PartInput) -> PartOutput:
        one = data.recommendations[0].id if len(data.recommendations) == 1 else None
        section = await themes_section(reads, data.guild_id, data.since, one, data.locale)
        return PartOutput(
            markdown=section.markdown, wikitext=section.wikitext, files={"themes.csv": section.csv}
        )


async def themes_section(
    db: Reads, guild_id: int, since: datetime | None, recommendation_id: int | None, locale: object
) -> ThemesSection:
    repo = ThemesRepository(db)
    items = await repo.items(guild_id, recommendation_id)
    table = CsvFile(THEMES_HEADER)
    lines = [f"## {t('themes.digest.heading', locale)}", ""]
    if not items:
        lines += [t("themes.digest.empty", locale), ""]
        return ThemesSection("\n".join(lines), table.getvalue())
    themes = await repo.themes(guild_id, "accepted")
    stances = await repo.stances_of_authors(guild_id)
    addressed = await repo.addressed(guild_id)
    summaries: list[ThemeSummary] = []
    if themes:
        names = {theme.id: theme.name for theme in themes}
        for theme in themes:
            members = [i for i in items if i.theme_id == theme.id]
            summary = summarise(theme.id, theme.name, members, stances, since)
            summary.addressed = [a for a in addressed if a.theme_id == theme.id]
            summaries.append(summary)
        unthemed = 0
        for item in items:
            if item.theme_id in names and item.item_status in ("accepted", "suggested"):
                similarity = f"{item.similarity:.3f}" if item.similarity is not None else ""
                table.write(
                    (item.feedback_id, names[item.theme_id], item.theme_id, item.item_status, similarity)
                )
            else:
                unthemed += 1
                table.write((item.feedback_id, "", "", "", ""))
    else:
        lines += [t("themes.digest.suggested_note", locale), ""]
        found = await asyncio.to_thread(cluster.suggest, stored_of(items), [i.language for i in items])
        for label in range(found.count):
            members: list[ThemeItem] = [items[i] for i in found.members(label)]
            summaries.append(summarise(label + 1, None, members, stances, since))
        for index, item in enumerate(items):
            label = int(found.labels[index])
            if label >= 0:
                table.write(
                    (item.feedback_id, "", f"S{label + 1}", "suggested", f"{found.similarity[index]:.3f}")
                )
            else:
                table.write((item.feedback_id, "", "", "", ""))
        unthemed = int((found.labels < 0).sum())
    for summary in summaries:
        lines += _render(summary, locale)
    lines += [t("themes.digest.unthemed", locale, count=unthemed), ""]
    return ThemesSection("\n".join(lines), table.getvalue())
