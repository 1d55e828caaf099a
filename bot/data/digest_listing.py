"""feedback.csv built by the database: each row of the listing comes back as its finished CSV line.

Profiled at 100k items, writing the listing row by row in Python (a named tuple per item, a cell
tuple, ``neutralise`` per text cell, ``csv.writer``) cost more than the query itself, all of it on the
event loop. Here SQLite writes each line on the reader's thread (the GIL is released while it steps);
Python only joins the lines of a page. The text is byte for byte what ``bot.digest.people.feedback_row``
and ``CsvFile`` write: quoted text cells with ``"`` doubled, bare numbers, and text that a spreadsheet
would run as a formula prefixed with an apostrophe (``bot.digest.csvfile.neutralise``), except a tab
followed by digits (an id written as text). Only portable functions: ``||``, ``substr``, ``replace``,
``ltrim``, ``coalesce``; the tab, the carriage return and the line end are bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

# Feedback figures: two index-only aggregates (``feedback_digest_figures``, migration 0005).
FEEDBACK_COUNTS_SQL = """
    SELECT f.recommendation_id, f.scoping_area_id, f.language,
           SUM(CASE WHEN f.created_at > :since THEN 1 ELSE 0 END), COUNT(*)
    FROM feedback f
    WHERE f.guild_id = :guild AND f.status = 'active' AND f.hidden = 0
    GROUP BY f.recommendation_id, f.scoping_area_id, f.language
"""
FEEDBACK_ANSWERED_SQL = """
    SELECT f.recommendation_id, f.scoping_area_id, f.language,
           SUM(CASE WHEN f.created_at > :since THEN 1 ELSE 0 END), COUNT(*)
    FROM (SELECT DISTINCT feedback_id FROM feedback_responses) r
    JOIN feedback f ON f.id = r.feedback_id
    WHERE f.guild_id = :guild AND f.status = 'active' AND f.hidden = 0
    GROUP BY f.recommendation_id, f.scoping_area_id, f.language
"""

DIGITS = "'0123456789'"


def _quoted(expr: str) -> str:
    return f"""('"' || replace({expr}, '"', '""') || '"')"""


def _is_id_text(expr: str) -> str:
    """``expr`` is a tab, an optional minus and at least one digit (``csvfile.ID_TEXT``)."""
    return (
        f"(substr({expr}, 1, 1) = :tab AND ("
        f"(substr({expr}, 2) <> '' AND ltrim(substr({expr}, 2), {DIGITS}) = '')"
        f" OR (substr({expr}, 2, 1) = '-' AND substr({expr}, 3) <> ''"
        f" AND ltrim(substr({expr}, 3), {DIGITS}) = '')))"
    )


def _neutralised(expr: str, count: int) -> str:
    """A quoted text cell, neutralised as ``csvfile.neutralise`` does (``count`` formula starts)."""
    starts = ", ".join(f":start{i}" for i in range(count))
    return _quoted(
        f"CASE WHEN substr({expr}, 1, 1) IN ({starts}) AND NOT {_is_id_text(expr)}"
        f" THEN '''' || {expr} ELSE {expr} END"
    )


def formula_params(starts: Sequence[str]) -> dict[str, str]:
    """The bound parameters every listing statement takes besides its own: the characters that make
    a spreadsheet run a cell (``csvfile.FORMULA_STARTS``), the tab and the line end."""
    params = {f"start{i}": start for i, start in enumerate(starts)}
    params["tab"] = "\t"
    params["line_end"] = "\r\n"
    return params


# ``time_text``: a time column as the text ``bot.clock.to_db()`` writes, ``Database.time_text("{}")``
# (SQLite stores that text; PostgreSQL a timestamptz, written out with ``to_char``).
# The line as UTF-8 bytes: Python then joins bytes (a copy) instead of decoding 100k lines to str,
# widening them to one string kind and encoding the result again (0.17 s of 0.87 s at 100k items).
# The one dialect bit here, so the caller passes it: ``Database.as_bytes("{}")``, SQLite's
# ``CAST({} AS BLOB)`` or PostgreSQL's ``convert_to({}, 'UTF8')``.
_AUTHORLESS = "i.anonymous <> 0 OR i.author_id IS NULL"


@cache
def listing_sql(starts: int, first: bool, as_bytes: str, time_text: str = "{}") -> str:
    """One page of a recommendation's listing, oldest first, keyset-paged on (created_at, id) along the
    ``feedback_digest`` index; the responses are counted once per item, in the inner query.

    feedback.csv's columns (``builder.FEEDBACK_HEADER``): id, created_at, recommendation,
    recommendation_title, version, scoping_area, scoping_area_name, language, source, anonymous,
    author_id, author_name, answered, responses, body. The recommendation's two cells come ready made
    (``:rec_cells``, written by the csv module).
    """

    def neutral(expr: str) -> str:
        return _neutralised(expr, starts)

    # One format() call writes the line (portable: SQLite's and PostgreSQL's format() both take %s);
    # chained || would copy the growing line once per cell.
    # Parameters given to format() or to || are CAST AS TEXT: PostgreSQL cannot infer their type there.
    cells = [
        "i.id",
        _quoted(time_text.format("i.created_at")),
        "CAST(:rec_cells AS TEXT)",
        "i.version",
        f"CASE WHEN a.id IS NULL THEN '\"\",\"\"' ELSE a.number || ',' || {neutral('a.name')} END",
        neutral("coalesce(i.language, '')"),
        _quoted("i.source"),
        "CASE WHEN i.anonymous <> 0 THEN '\"yes\"' ELSE '\"no\"' END",
        f'CASE WHEN {_AUTHORLESS} THEN \'"",""\''
        " ELSE '\"' || CAST(:tab AS TEXT) || i.author_id || '\",' || "
        + neutral("coalesce(n.display_name, '')")
        + " END",
        "CASE WHEN i.responses > 0 THEN '\"yes\",' ELSE '\"no\",' END || i.responses",
        neutral("i.body"),
    ]
    line = (
        "format('" + ",".join(["%s"] * len(cells)) + "%s', " + ", ".join(cells) + ", CAST(:line_end AS TEXT))"
    )
    after = "f.created_at > :since" if first else "(f.created_at, f.id) > (:since, :after_id)"
    return f"""
    SELECT {as_bytes.format(line)} AS line, i.created_at, i.id
    FROM (
        SELECT f.id, f.guild_id, f.version, f.scoping_area_id, f.author_id, f.anonymous, f.source,
               f.language, f.body, f.created_at,
               (SELECT COUNT(*) FROM feedback_responses fr WHERE fr.feedback_id = f.id) AS responses
        FROM feedback f
        WHERE f.guild_id = :guild AND f.recommendation_id = :rec AND {after}
          AND f.status = 'active' AND f.hidden = 0
        ORDER BY f.created_at, f.id
        LIMIT :limit
    ) i
    LEFT JOIN scoping_areas a ON a.id = i.scoping_area_id AND a.guild_id = i.guild_id
    LEFT JOIN member_names n ON n.guild_id = i.guild_id AND n.user_id = i.author_id
    ORDER BY i.created_at, i.id
"""


# digest.md's latest few items per scoping area of one recommendation in the period (oldest first
# within an area), ranked by the database instead of passing every item through Python.
LATEST_SQL = """
    SELECT f.id, f.recommendation_id, f.version, f.scoping_area_id,
           CASE WHEN f.anonymous = 1 THEN NULL ELSE f.author_id END AS author_id,
           f.anonymous, f.source, f.language, f.body, f.created_at,
           (SELECT COUNT(*) FROM feedback_responses fr WHERE fr.feedback_id = f.id) AS responses
    FROM (
        SELECT f.id, ROW_NUMBER() OVER (
                   PARTITION BY f.scoping_area_id ORDER BY f.created_at DESC, f.id DESC
               ) AS latest
        FROM feedback f
        WHERE f.guild_id = :guild AND f.recommendation_id = :rec AND f.created_at > :since
          AND f.status = 'active' AND f.hidden = 0
    ) ranked
    JOIN feedback f ON f.id = ranked.id
    WHERE ranked.latest <= :keep
    ORDER BY f.created_at, f.id
"""
