"""Digest helpers: "since", the weekly slot, CSV neutralisation, the heatmap, the command line."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from bot.__main__ import main
from bot.clock import FakeClock
from bot.data.database import Database
from bot.digest.csvfile import CsvFile, neutralise
from bot.digest.heatmap import HeatmapPainter, HeatmapText, render_heatmap, text_colour
from bot.digest.period import latest_slot, parse_since, week_key
from bot.errors import UserError

NOW = datetime(2026, 1, 7, 12, 30, tzinfo=UTC)  # a Wednesday


def test_parse_since():
    assert parse_since(None, NOW).last
    assert parse_since("last", NOW).last and parse_since(" LAST ", NOW).last
    everything = parse_since("all", NOW)
    assert not everything.last and everything.moment is None
    assert parse_since("2026-01-05", NOW).moment == datetime(2026, 1, 5, tzinfo=UTC)
    for bad in ("yesterday", "2026-13-01", "2026-02-30", "05/01/2026", "2026-1-5"):
        with pytest.raises(UserError) as refused:
            parse_since(bad, NOW)
        assert refused.value.key == "digest.bad_since"
    with pytest.raises(UserError) as future:
        parse_since("2026-01-08", NOW)
    assert future.value.key == "digest.future_since"


@pytest.mark.parametrize(
    ("weekday", "hour", "expected"),
    [
        (2, 12, datetime(2026, 1, 7, 12, tzinfo=UTC)),  # today, earlier
        (2, 13, datetime(2025, 12, 31, 13, tzinfo=UTC)),  # today, later: last week's
        (0, 9, datetime(2026, 1, 5, 9, tzinfo=UTC)),
        (6, 23, datetime(2026, 1, 4, 23, tzinfo=UTC)),
        (3, 0, datetime(2026, 1, 1, 0, tzinfo=UTC)),
    ],
)
def test_latest_slot(weekday, hour, expected):
    slot = latest_slot(NOW, weekday, hour)
    assert slot == expected and slot.weekday() == weekday and slot <= NOW


def test_week_key_is_the_iso_week():
    assert week_key(datetime(2026, 1, 5, 9, tzinfo=UTC)) == "2026-W02"
    assert week_key(datetime(2026, 1, 11, 23, tzinfo=UTC)) == "2026-W02"
    assert week_key(datetime(2027, 1, 1, 0, tzinfo=UTC)) == "2026-W53"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_csv_file_is_utf8_with_bom_and_round_trips_every_script():
    rows = [
        ("العربية", "中文", "देवनागरी", "emoji 🎉👍🏽"),
        ('=HYPERLINK("x")', 'multi\nline, with "quotes"', "-", "@"),
    ]
    file = CsvFile(("a", "b", "c", "d"))
    file.write_many(rows)
    data = file.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert back[0] == ["a", "b", "c", "d"]
    assert back[1] == list(rows[0])
    assert back[2] == ['\'=HYPERLINK("x")', 'multi\nline, with "quotes"', "'-", "'@"]


def test_text_colour_follows_the_cell():
    assert text_colour((0.0, 0.13, 0.3, 1.0)) == "white"  # cividis' dark end
    assert text_colour((1.0, 0.92, 0.27, 1.0)) == "black"  # cividis' light end


def heatmap_args(rows=9, columns=9):
    return (
        [[r * columns + c for c in range(columns)] for r in range(rows)],
        [f"R{r + 1}" for r in range(rows)],
        ["A long recommendation title that needs wrapping " * 3] * rows,
        [f"{c + 1}. Area {c + 1}" for c in range(columns)],
        HeatmapText(
            "Consultation", "From the beginning to now", "Scoping area", "Recommendation", "Members", "Key"
        ),
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_heatmap_grows_with_the_grid():
    small = png_size(render_heatmap(*heatmap_args(2, 3)))
    large = png_size(render_heatmap(*heatmap_args(20, 20)))
    assert large[0] > small[0] and large[1] > small[1]
    assert png_size(render_heatmap(*heatmap_args(0, 0)))[0] > 0  # nothing published yet: still a picture


async def test_heatmap_in_a_worker_process():
    painter = HeatmapPainter()
    try:
        data = await painter.paint(*heatmap_args(3, 4))
    finally:
        painter.close()
    assert png_size(data) == png_size(render_heatmap(*heatmap_args(3, 4)))


def test_command_line_writes_the_five_files(tmp_path, monkeypatch, capsys):
    import asyncio

    from bot.content import load_content
    from bot.data.guilds import GuildRepository

    path = tmp_path / "bot.sqlite3"

    async def prepare():
        db = await Database.open(path)
        await GuildRepository(db).ensure(4242, load_content(), FakeClock().now())
        await db.close()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_PATH", str(path))
    out = tmp_path / "digest"
    assert main(["digest", "--out", str(out), "--since", "all"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "digest.md",
            "digest.wiki",
            "tallies.csv",
            "feedback.csv",
            "signups.csv",
            "heatmap.png",
            "themes.csv",
        ]
    )
    printed = capsys.readouterr().out
    assert "Resource Allocation" in printed and str(out / "heatmap.png") in printed
    assert main(["digest", "--out", str(out), "--since", "someday"]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main(["digest", "--out", str(out), "--guild", "999"]) == 2
