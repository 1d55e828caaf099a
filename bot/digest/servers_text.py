"""What a home digest says about its servers: the section of digest.md and digest.wiki (participation per
server, members per scoping area and server, the communities left out), tallies_by_server.csv, and the
words of heatmap_servers.png (servers x scoping areas). Every sentence comes from the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.data.digest import AreaInfo
from bot.digest import markdown, wikitext
from bot.digest.csvfile import CsvFile
from bot.digest.heatmap import HeatmapPainter, HeatmapText
from bot.digest.servers import HOME, Participation, Server, ServerFigures, Servers, ServerTally
from bot.digest.tallies import SERVER_TALLY_HEADER, tallies_file
from bot.i18n import t


def status_text(server: Server, locale: object) -> str:
    """The server's place in the consultation, and what the bot last found wrong there (if anything)."""
    statuses = {
        HOME: t("digest.server_status_home", locale),
        "active": t("digest.server_status_active", locale),
        "left": t("digest.server_status_left", locale),
        "removed": t("digest.server_status_removed", locale),
    }
    health = {
        "bot_removed": t("digest.server_health_bot_removed", locale),
        "channel_missing": t("digest.server_health_channel_missing", locale),
        "permission_missing": t("digest.server_health_permission_missing", locale),
    }
    text = statuses.get(server.status, server.status)
    if server.health in health:
        text += " · " + health[server.health]
        if server.health_detail:
            text += f" ({server.health_detail})"
    return text


def tallies_by_server(tallies: list[ServerTally], locale: object) -> bytes:
    """Each server's own tally rows (its own digest's tallies.csv rows), with the server last."""
    out = CsvFile(SERVER_TALLY_HEADER)
    for one in tallies:
        tallies_file(one.recommendations, one.areas, one.area_rows, one.stance_by_rec, locale, into=out,
                     extra=(one.server.label,))  # fmt: skip
    return out.getvalue()


def _area_title(area: AreaInfo) -> str:
    return f"{area.number}. {area.short_name}"


def _participation_rows(
    data: Participation, areas: list[AreaInfo], locale: object
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for figures in data.servers:
        tagged = sum(1 for area in areas if figures.area_members.get(area.number))
        rows.append(
            (figures.server.label, status_text(figures.server, locale), figures.reactors,
             figures.feedback_in_period, figures.feedback_total,
             t("digest.md.areas_tagged", locale, tagged=tagged, areas=len(areas)))
        )  # fmt: skip
    tagged = sum(1 for area in areas if data.area_people.get(area.number))
    rows.append(
        (t("digest.md.all_servers", locale), "", data.people,
         sum(f.feedback_in_period for f in data.servers), sum(f.feedback_total for f in data.servers),
         t("digest.md.areas_tagged", locale, tagged=tagged, areas=len(areas)))
    )  # fmt: skip
    return rows


def _participation_header(locale: object) -> list[str]:
    return [
        t("digest.md.col_server", locale),
        t("digest.md.col_status", locale),
        t("digest.md.col_reactors", locale),
        t("digest.md.col_feedback", locale),
        t("digest.md.col_feedback_all", locale),
        t("digest.md.col_areas_tagged", locale),
    ]


def _area_rows(data: Participation, areas: list[AreaInfo], locale: object) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = [
        (f.server.label, *(f.area_members.get(area.number, 0) for area in areas)) for f in data.servers
    ]
    rows.append((t("digest.md.all_servers", locale), *(data.area_people.get(a.number, 0) for a in areas)))
    return rows


def _left_out(data: Participation, areas: list[AreaInfo], locale: object) -> list[str]:
    """Which communities have been left out: servers with no one taking part, and the areas a server's
    members never tagged."""
    found = []
    for f in data.servers:
        if not f.reactors and not f.feedback_total:
            found.append(t("digest.md.server_silent", locale, server=f.server.label))
            continue
        missing = [_area_title(area) for area in areas if not f.area_members.get(area.number)]
        if missing:
            found.append(t("digest.md.server_gaps", locale, server=f.server.label, areas=", ".join(missing)))
    return found or [t("digest.md.none_left_out", locale)]


def _intro(data: Participation, locale: object) -> str:
    return t("digest.md.servers_intro", locale, servers=len(data.servers), people=data.people)


def servers_markdown(data: Participation, areas: list[AreaInfo], locale: object) -> str:
    lines = [f"## {t('digest.md.servers_heading', locale)}", "", _intro(data, locale), ""]
    lines += markdown._table(_participation_header(locale), _participation_rows(data, areas, locale))
    lines += ["", f"### {t('digest.md.server_areas_heading', locale)}", ""]
    header = [t("digest.md.col_server", locale), *(_area_title(area) for area in areas)]
    lines += markdown._table(header, _area_rows(data, areas, locale))
    lines += ["", f"### {t('digest.md.left_out_heading', locale)}", ""]
    lines += [f"- {line}" for line in _left_out(data, areas, locale)]
    return "\n".join(lines) + "\n"


def servers_wikitext(data: Participation, areas: list[AreaInfo], locale: object) -> str:
    lines = [wikitext.heading(3, t("digest.md.servers_heading", locale)), wikitext.text(_intro(data, locale))]
    lines += wikitext.table(_participation_header(locale), _participation_rows(data, areas, locale))
    lines += ["", wikitext.heading(4, t("digest.md.server_areas_heading", locale))]
    header = [t("digest.md.col_server", locale), *(_area_title(area) for area in areas)]
    lines += wikitext.table(header, _area_rows(data, areas, locale))
    lines += ["", wikitext.heading(4, t("digest.md.left_out_heading", locale))]
    lines += [f"* {wikitext.text(line)}" for line in _left_out(data, areas, locale)]
    return "\n".join(lines) + "\n"


def heatmap_input(
    data: Participation, areas: list[AreaInfo], title: str, period: str, locale: object
) -> tuple[list[list[int]], list[str], list[str], list[str], HeatmapText]:
    """heatmap_servers.png's grid (servers x scoping areas: members who tagged the area), labels, words."""
    servers: Sequence[ServerFigures] = data.servers
    return (
        [[f.area_members.get(area.number, 0) for area in areas] for f in servers],
        [t("digest.heatmap.server_row", locale, number=i) for i in range(1, len(servers) + 1)],
        [f"{f.server.label} · {status_text(f.server, locale)}" for f in servers],
        [_area_title(area) for area in areas],
        HeatmapText(
            title=title,
            subtitle=period,
            x_label=t("digest.heatmap.x_label", locale),
            y_label=t("digest.heatmap.servers_y_label", locale),
            colorbar=t("digest.heatmap.colorbar", locale),
            legend_title=t("digest.heatmap.servers_legend_title", locale),
        ),
    )


@dataclass(frozen=True, slots=True)
class ServersOutput:
    """What a home digest adds for its servers."""

    participation: Participation
    markdown: str
    wikitext: str
    tallies_csv: bytes  # tallies_by_server.csv
    heatmap: bytes  # heatmap_servers.png


async def servers_output(
    servers: Servers, painter: HeatmapPainter, title: str, period: str, locale: object
) -> ServersOutput:
    """Participation, each server's own tally and the servers x areas picture (call after the feedback
    figures were read: a server's feedback counts come from them)."""
    participation = await servers.participation()
    tallies_csv = tallies_by_server(await servers.server_tallies(), locale)
    png = await painter.paint(*heatmap_input(participation, servers.areas, title, period, locale))
    return ServersOutput(
        participation,
        servers_markdown(participation, servers.areas, locale),
        servers_wikitext(participation, servers.areas, locale),
        tallies_csv,
        png,
    )
