"""tallies.csv, and tallies_by_server.csv (the same rows, each server's own, with a last ``server`` cell)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.data.digest import AreaInfo, DigestRecommendation
from bot.data.reactions import AreaTally, StanceTally
from bot.digest.csvfile import CsvFile
from bot.i18n import t

TALLY_HEADER = (
    "recommendation",
    "recommendation_title",
    "scoping_area",
    "scoping_area_name",
    "members",
    "support",
    "oppose",
    "needs_work",
)
SERVER_TALLY_HEADER = (*TALLY_HEADER, "server")


def tallies_file(
    recommendations: list[DigestRecommendation],
    areas: list[AreaInfo],
    area_rows: list[AreaTally],
    stance_by_rec: dict[int, StanceTally],
    locale: object,
    *,
    into: CsvFile | None = None,
    extra: Sequence[object] = (),
) -> CsvFile:
    """tallies.csv: a row per draft and scoping area, then the draft's row over all areas.

    ``into``: append to that file instead of a new one; ``extra``: cells added at the end of every row.
    """
    area_by_number = {area.number: area for area in areas}
    tallies_csv = into if into is not None else CsvFile(TALLY_HEADER)
    for rec in recommendations:
        for row in area_rows:
            if row.recommendation_id == rec.id:
                area = area_by_number[row.area_number]
                tallies_csv.write(
                    (rec.number, rec.title, area.number, area.name, row.members, row.support,
                     row.oppose, row.needs_work, *extra)
                )  # fmt: skip
        overall = stance_by_rec[rec.id]
        tallies_csv.write(
            (rec.number, rec.title, "all", t("digest.md.all_areas", locale), overall.members,
             overall.support, overall.oppose, overall.needs_work, *extra)
        )  # fmt: skip
    return tallies_csv
