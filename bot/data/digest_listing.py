"""feedback.csv built by the database: each draft's listing comes back as its finished CSV lines.

Profiled at 100k items, writing the listing row by row in Python (a named tuple per item, a cell
tuple, ``neutralise`` per text cell, ``csv.writer``) cost more than the query itself, all of it on the
event loop. Here SQLite writes each line on the reader's thread and joins a draft's lines into one
text (the GIL is released while it steps); Python only puts the drafts' texts together. The text is
byte for byte what ``bot.digest.people.feedback_row`` and ``CsvFile`` write: quoted text cells with
``"`` doubled, bare numbers, and text that a spreadsheet would run as a formula prefixed with an
apostrophe (``bot.digest.csvfile.neutralise``), except a tab followed by digits (an id written as
text). Only portable functions: ``||``, ``substr``, ``replace``, ``ltrim``, ``coalesce``, ``format``
and the dialect's text aggregate; the tab and the line ends are bound parameters.
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
LINE_END = "\r\n"  # a line's end (``:end{k}``; in a home digest after the server cell)


def _escaped(expr: str) -> str:
    """A text cell's content with ``"`` doubled (the quotes around it come from the line's format)."""
    return f"""replace({expr}, '"', '""')"""


def _is_id_text(expr: str) -> str:
    """``expr`` is a tab, an optional minus and at least one digit (``csvfile.ID_TEXT``)."""
    return (
        f"(substr({expr}, 1, 1) = :tab AND ("
        f"(substr({expr}, 2) <> '' AND ltrim(substr({expr}, 2), {DIGITS}) = '')"
        f" OR (substr({expr}, 2, 1) = '-' AND substr({expr}, 3) <> ''"
        f" AND ltrim(substr({expr}, 3), {DIGITS}) = '')))"
    )


def _neutralised(expr: str, count: int) -> str:
    """A text cell's content, neutralised as ``csvfile.neutralise`` does (``count`` formula starts) and
    escaped, without its quotes."""
    starts = ", ".join(f":start{i}" for i in range(count))
    return _escaped(
        f"CASE WHEN substr({expr}, 1, 1) IN ({starts}) AND NOT {_is_id_text(expr)}"
        f" THEN '''' || {expr} ELSE {expr} END"
    )


def formula_params(starts: Sequence[str]) -> dict[str, str]:
    """The bound parameters every listing statement takes besides its own: the characters that make
    a spreadsheet run a cell (``csvfile.FORMULA_STARTS``) and the tab."""
    params = {f"start{i}": start for i, start in enumerate(starts)}
    params["tab"] = "\t"
    return params


# ``time_text``: a time column as the text ``bot.clock.to_db()`` writes, ``Database.time_text("{}")``
# (SQLite stores that text; PostgreSQL a timestamptz, written out with ``to_char``).
# ``joined``: the lines joined into one text in listing order, ``Database.joined_text``, then made UTF-8
# bytes, ``Database.as_bytes`` (SQLite's ``CAST AS BLOB``, PostgreSQL's ``convert_to``). One row per
# draft: with a row per item, each of the ~100k rows cost a GIL hand-off and a Python object between
# SQLite's thread and the loop, so two readers could not write at once (profiled: the listing phase 0.8-1 s
# of a 1 s digest over everything; one text per draft: see docs/benchmarks.md).
_AUTHORLESS = "i.anonymous <> 0 OR i.author_id IS NULL"
# The responses cell ("yes"/"no" and how many) from one correlated count.
_RESPONSES = (
    "(SELECT CASE WHEN COUNT(*) > 0 THEN '\"yes\",' ELSE '\"no\",' END || COUNT(*)"
    " FROM feedback_responses fr WHERE fr.feedback_id = i.id)"
)


@cache
def listing_sql(starts: int, sources: int, joined: str, time_text: str = "{}") -> str:
    """One draft's listing as one text (feedback.csv's lines, oldest first) and how many items it has,
    from ``sources`` (guild, draft) pairs: a server's draft, or in a home digest each server's copy of it
    (their items merged in time order, each line ending with its source's ``:end{k}``, which carries the
    server cell). Each pair is read along ``feedback_digest`` / ``feedback_by_recommendation``.

    feedback.csv's columns (``builder.FEEDBACK_HEADER``): id, created_at, recommendation,
    recommendation_title, version, scoping_area, scoping_area_name, language, source, anonymous,
    author_id, author_name, answered, responses, body. The recommendation's two cells come ready made
    (``:rec_cells``, written by the csv module). Parameters: ``:guild{k}``, ``:rec{k}``, ``:end{k}`` per
    source, ``:since``, ``:rec_cells`` and ``formula_params``.
    """

    def neutral(expr: str) -> str:
        return _neutralised(expr, starts)

    if sources == 1:
        where = "i.guild_id = :guild0 AND i.recommendation_id = :rec0"
        line_end = "CAST(:end0 AS TEXT)"
    else:
        where = "(" + " OR ".join(
            f"(i.guild_id = :guild{k} AND i.recommendation_id = :rec{k})" for k in range(sources)
        ) + ")"  # fmt: skip
        arms = " ".join(f"WHEN :guild{k} THEN CAST(:end{k} AS TEXT)" for k in range(sources))
        line_end = f"CASE i.guild_id {arms} END"
    # One format() call writes the line (portable: SQLite's and PostgreSQL's format() both take %s),
    # with the quotes of the text cells in its format string: each || copies the text it grows.
    # Parameters given to format() or to || are CAST AS TEXT: PostgreSQL cannot infer their type there.
    cells = [  # (format, argument) per cell
        ("%s", "i.id"),
        ('"%s"', time_text.format("i.created_at")),  # a time's text has no quote to double
        ("%s", "CAST(:rec_cells AS TEXT)"),
        ("%s", "i.version"),
        ('%s"', f"CASE WHEN a.id IS NULL THEN '\"\",\"' ELSE a.number || ',\"' || {neutral('a.name')} END"),
        ('"%s"', neutral("coalesce(i.language, '')")),
        ('"%s"', _escaped("i.source")),
        ("%s", "CASE WHEN i.anonymous <> 0 THEN '\"yes\"' ELSE '\"no\"' END"),
        (
            '%s"',
            f'CASE WHEN {_AUTHORLESS} THEN \'"","\''
            " ELSE '\"' || CAST(:tab AS TEXT) || i.author_id || '\",\"' || "
            + neutral("coalesce(n.display_name, '')")
            + " END",
        ),
        ("%s", _RESPONSES),
        ('"%s"', neutral("i.body")),
    ]
    line = (
        "format('" + ",".join(spec for spec, _ in cells) + "%s', "
        + ", ".join(argument for _, argument in cells) + f", {line_end})"
    )  # fmt: skip
    # The inner ORDER BY is the order SQLite joins in (an ordered subquery of an aggregate is not
    # flattened: its rows reach group_concat in that order); PostgreSQL's string_agg orders itself.
    return f"""
    SELECT {joined}, COUNT(*)
    FROM (
        SELECT {line} AS line, i.created_at, i.id
        FROM feedback i
        LEFT JOIN scoping_areas a ON a.id = i.scoping_area_id AND a.guild_id = i.guild_id
        LEFT JOIN member_names n ON n.guild_id = i.guild_id AND n.user_id = i.author_id
        WHERE {where} AND i.created_at > :since AND i.status = 'active' AND i.hidden = 0
        ORDER BY i.created_at, i.id
    ) listed
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
