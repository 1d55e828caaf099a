"""feedback.csv as SQLite writes it equals, byte for byte, the Python row writer it replaced.

``bot.digest.people.feedback_row`` with ``CsvFile`` is the reference (the spreadsheet rules are in
``bot.digest.csvfile``); the texts are the hostile ones: every formula start, a tab and digits (an id,
left alone), quotes, line breaks, emoji, an empty name, a pseudonym, anonymous items, no area.
"""

from __future__ import annotations

from datetime import timedelta

from bot.data.digest import DigestRepository, FeedbackItem
from bot.digest.builder import FEEDBACK_HEADER, DigestBuilder
from bot.digest.csvfile import CsvFile, neutralise
from bot.digest.people import feedback_row
from tests.unit.test_digest import add_feedback, area_ids, rec_ids

TEXTS = [
    "plain", "=SUM(A1)", "+1 agree", "-1 disagree", "@here", "\tindented", "\t12345", "\t-42", "\t-", "\t1a",
    "\rreturn", 'say "hi", ok', "two\nlines\r\nthree", "emoji 🔁📊 and 中文 and العربية", "", "'quoted",
    "=", "-", "\t",
]  # fmt: skip


async def test_sql_lines_equal_the_python_row_writer(db, guild, posts, clock):
    ids, areas = await rec_ids(db, guild), await area_ids(db, guild)
    now = clock.now()
    for i, text in enumerate(TEXTS):
        author = 1000 + i if i % 5 else -(1000 + i)  # pseudonyms too
        if i % 3:  # a name for most authors, itself a hostile text
            await db.execute(
                "INSERT INTO member_names (guild_id, user_id, display_name, seen_at) VALUES (?, ?, ?, ?)",
                (guild, author, TEXTS[-1 - i], "2026-01-01T00:00:00Z"),
            )
        await add_feedback(
            db, guild, ids[1 + i % 3], text, at=now + timedelta(seconds=i), author=author,
            area=areas[1 + i % 9] if i % 4 else None, anonymous=int(i % 6 == 0),
            language=TEXTS[i % 7] or None,
            responses=i % 2,
        )  # fmt: skip
    digest = await DigestBuilder(db).build(guild, since=None, now=now + timedelta(days=1))

    repo = DigestRepository(db)
    recs = await repo.recommendations(guild)
    area_list = await repo.areas(guild)
    known = await repo.member_names(guild)
    rows = await db.fetchall(
        "SELECT f.id, f.recommendation_id, f.version, f.scoping_area_id,"
        " CASE WHEN f.anonymous = 1 THEN NULL ELSE f.author_id END, f.anonymous, f.source, f.language,"
        " f.body, f.created_at, (SELECT COUNT(*) FROM feedback_responses r WHERE r.feedback_id = f.id)"
        " FROM feedback f JOIN recommendations r ON r.id = f.recommendation_id"
        " ORDER BY r.number, f.created_at, f.id"
    )
    reference = CsvFile(FEEDBACK_HEADER)
    rec_columns = {rec.id: (rec.number, neutralise(rec.title)) for rec in recs}
    area_columns = {area.id: (area.number, neutralise(area.name)) for area in area_list}
    reference.write_checked(
        feedback_row(FeedbackItem._make(row), rec_columns, area_columns, known) for row in rows
    )
    assert digest.feedback_in_period == len(TEXTS)
    assert digest.files["feedback.csv"] == reference.getvalue()


async def test_a_part_adds_a_section_and_a_file_read_in_the_digest_snapshot(db, guild, posts, clock):
    from bot.digest.parts import PartInput, PartOutput

    class Counting:
        async def build(self, reads, data: PartInput) -> PartOutput:
            count = await reads.fetchval("SELECT COUNT(*) FROM feedback WHERE guild_id = ?", (data.guild_id,))
            return PartOutput(f"## Themes\n\n{count} items", {"themes.csv": b"theme\r\n"})

    ids = await rec_ids(db, guild)
    await add_feedback(db, guild, ids[1], "one", at=clock.now())
    plain = await DigestBuilder(db).build(guild, since=None, now=clock.now() + timedelta(days=1))
    digest = await DigestBuilder(db, parts=[Counting()]).build(
        guild, since=None, now=clock.now() + timedelta(days=1)
    )
    assert list(digest.files)[-1] == "themes.csv" and list(plain.files) == list(digest.files)[:-1]
    md = digest.files["digest.md"].decode()
    assert md.startswith(plain.files["digest.md"].decode().rstrip("\n")) and md.endswith(
        "## Themes\n\n1 items\n"
    )
