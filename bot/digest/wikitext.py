"""digest.wiki: digest.md's content in MediaWiki wikitext, ready to paste on Meta-Wiki.

The same input and sentences as digest.md (``bot.digest.markdown``): headings, sortable ``wikitable``s,
lists, and members' words quoted inside ``<nowiki>`` so nothing they wrote becomes markup (a template,
a link, a table cell). No raw HTML. Figures are the ones digest.md and tallies.csv carry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.digest.markdown import (
    MarkdownInput,
    _area_name,
    _changes,
    area_header,
    area_rows,
    one_line,
    render_markdown,
    summary_header,
    summary_rows,
)
from bot.digest.people import member_text
from bot.i18n import t

MARKUP = re.compile(r"[\[\]{}|]|~~~|''|__|!!|^[*#:;=\-]")


def text(value: object) -> str:
    """Words anyone may have written, as literal text: on one line, ``<``, ``>`` and ``&`` as entities,
    inside ``<nowiki>`` as soon as a character could start wiki markup (a link, a template, a table
    cell, bold, a signature, a list at the start of a line...)."""
    raw = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = " ".join(raw.split())
    return f"<nowiki>{flat}</nowiki>" if MARKUP.search(flat) else flat


def heading(level: int, title: str) -> str:
    marks = "=" * level
    return f"{marks} {text(title)} {marks}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A sortable wikitable; numbers stay bare so they sort as numbers."""
    lines = ['{| class="wikitable sortable"', "! " + " !! ".join(text(h) for h in header)]
    for row in rows:
        lines.append("|-")
        lines.append("| " + " || ".join(str(v) if isinstance(v, int) else text(v) for v in row))
    lines.append("|}")
    return lines


def render_wikitext(data: MarkdownInput, locale: object) -> str:
    areas = {area.number: area for area in data.areas}
    previous = data.previous.strftime("%Y-%m-%d %H:%M UTC") if data.previous else t("digest.md.none", locale)
    lines = [
        heading(2, t("digest.md.heading", locale, title=data.title)),
        "",
        f"''{text(data.period)}'' · {text(t('digest.md.generated', locale, at=data.generated))}",
        "",
        text(
            t(
                "digest.md.overview",
                locale,
                feedback=data.feedback_in_period,
                signups=data.signups,
                previous=previous,
            )
        ),
        "",
        heading(3, t("digest.md.summary_heading", locale)),
    ]
    lines += table(summary_header(locale), summary_rows(data, locale))
    for section in data.sections:
        s = section.summary
        label = t("digest.md.rec_label", locale, number=s.number)
        lines += [
            "",
            heading(3, f"{label}. {one_line(s.title, 300)}"),
            "",
            heading(4, t("digest.md.versions_heading", locale)),
        ]
        for v in section.versions:
            by = member_text(v.author_id, data.names, locale) if v.author_id else ""
            author = t("digest.md.by", locale, author=by) if by else ""
            version = t("digest.md.version", locale, version=v.version)
            entry = f"{version} · {v.created_at:%Y-%m-%d %H:%M} UTC · {one_line(v.title, 300)}{author}"
            lines.append(f"* {text(entry)}")
        stances = t(
            "digest.md.stances",
            locale,
            members=s.members,
            support=s.support,
            oppose=s.oppose,
            needs_work=s.needs_work,
        )
        lines += ["", heading(4, t("digest.md.stances_heading", locale)), text(stances), ""]
        lines.append(heading(4, t("digest.md.areas_heading", locale)))
        if tagged := area_rows(section, areas, locale):
            lines += table(area_header(locale), tagged)
        else:
            lines.append(text(t("digest.md.no_areas_tagged", locale)))
        lines.append("")
        if section.gaps:
            names = ", ".join(_area_name(areas, n, locale) for n in section.gaps)
            lines.append(text(t("digest.md.gaps", locale, areas=names)))
        else:
            lines.append(text(t("digest.md.no_gaps", locale)))
        total = section.answered + section.unanswered
        counts = t(
            "digest.md.feedback_counts",
            locale,
            total=total,
            answered=section.answered,
            unanswered=section.unanswered,
        )
        lines += ["", heading(4, t("digest.md.feedback_heading", locale)), text(counts)]
        if section.languages:
            spoken = ", ".join(f"{language} ({count})" for language, count in section.languages)
            lines.append("")
            lines.append(text(t("digest.md.languages", locale, languages=spoken)))
        for group in section.feedback:
            lines += ["", heading(5, f"{_area_name(areas, group.area_number, locale)} ({group.count})")]
            for item in group.latest:
                author = (
                    t("digest.md.anonymous", locale)
                    if item.anonymous or item.author_id is None
                    else member_text(item.author_id, data.names, locale)
                )
                state = (
                    t("digest.md.answered", locale) if item.responses else t("digest.md.unanswered", locale)
                )
                when = item.created_at[:16].replace("T", " ")
                language = item.language or "?"
                where = f"{data.servers[item.id]} · " if item.id in data.servers else ""
                lines.append(f"* {text(f'{when} · {language} · {state} · {where}{author}:')}")
                lines.append(f"*: “{text(one_line(item.body))}”")
            if group.count > len(group.latest):
                more = t("digest.md.more_in_csv", locale, shown=len(group.latest), count=group.count)
                lines.append(f"* {text(more.lstrip('- '))}")
        lines += [
            "",
            heading(4, t("digest.md.changes_heading", locale)),
            text(_changes(s.changes, areas, data.has_history, locale)),
        ]
    lines.append("")
    return "\n".join(lines)


def render_both(data: MarkdownInput, locale: object) -> tuple[str, str]:
    """digest.md and digest.wiki of the same input."""
    return render_markdown(data, locale), render_wikitext(data, locale)
