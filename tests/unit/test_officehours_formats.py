"""Office hours: reading times, the .ics calendar file (RFC 5545) and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.data.officehours import Signup
from bot.errors import UserError
from bot.i18n import t
from bot.officehours import ics
from bot.officehours.export import attendees_csv
from bot.officehours.timeparse import parse_moment, parse_reminders, parse_start

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01 18:00 Europe/Madrid", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-07-01 18:00 Europe/Madrid", datetime(2026, 7, 1, 16, 0, tzinfo=UTC)),
        ("2026-12-01T18:00+01:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01 18:00 +01:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01 18:00 UTC", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01T18:00 America/Bogota", datetime(2026, 12, 1, 23, 0, tzinfo=UTC)),
        ("1796144400", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("<t:1796144400:F>", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
    ],
)
def test_parse_moment(text: str, expected: datetime) -> None:
    assert parse_moment(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "officehours.time.unparseable"),
        ("tomorrow at six", "officehours.time.unparseable"),
        ("2026-12-01 18:00", "officehours.time.no_zone"),
        ("2026-12-01 18:00 Mars/Olympus", "officehours.time.unknown_zone"),
        ("2026-03-29 02:30 Europe/Madrid", "officehours.time.nonexistent"),
    ],
)
def test_parse_moment_refusals(text: str, key: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_moment(text)
    assert caught.value.key == key


def test_parse_start_refuses_past_and_far_future() -> None:
    with pytest.raises(UserError) as caught:
        parse_start("2026-01-05T08:59Z", NOW)
    assert caught.value.key == "officehours.time.in_past"
    with pytest.raises(UserError) as caught:
        parse_start("2040-01-01T00:00Z", NOW)
    assert caught.value.key == "officehours.time.too_far"
    assert parse_start("2026-01-05T09:01Z", NOW) == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)


def test_parse_reminders() -> None:
    assert parse_reminders(None, (15, 1440)) == (1440, 15)
    assert parse_reminders("24h, 15m", (1,)) == (1440, 15)
    assert parse_reminders("2d,60", ()) == (2880, 60)
    assert parse_reminders("none", (15,)) == ()
    for bad in ("soon", "0m", "30d", "1,2,3,4,5,6"):
        with pytest.raises(UserError):
            parse_reminders(bad, ())


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends with CRLF
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_calendar_file_is_rfc5545() -> None:
    title = "Office hours; areas, weights\\and “what next” " + "é" * 60
    event = ics.vevent(
        uid="officehours-1-2@consultation-bot",
        stamp=NOW,
        start=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        end=datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        summary=title,
        description="Line one\nLine two",
        location="https://meet.example/room",
    )
    data = ics.calendar([event])
    for raw in data.decode("utf-8").split("\r\n"):
        assert len(raw.encode("utf-8")) <= 75
    lines = unfold(data)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and "UID:officehours-1-2@consultation-bot" in lines
    assert "DTSTAMP:20260105T090000Z" in lines
    assert "DTSTART:20261201T170000Z" in lines and "DTEND:20261201T180000Z" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert summary == "SUMMARY:Office hours\\; areas\\, weights\\\\and “what next” " + "é" * 60
    assert "DESCRIPTION:Line one\\nLine two" in lines


@given(st.text(min_size=0, max_size=300))
def test_fold_round_trips_and_respects_octets(text: str) -> None:
    line = "SUMMARY:" + ics.escape_text(text)
    folded = ics.fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode("utf-8")) <= 75
    assert folded.replace("\r\n ", "") == line


def test_cancelled_calendar() -> None:
    event = ics.vevent(uid="u", stamp=NOW, start=NOW, end=NOW, summary="x", cancelled=True, sequence=3)
    lines = unfold(ics.calendar([event], cancelled=True))
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines and "SEQUENCE:3" in lines


def test_attendees_csv_orders_and_neutralises_formulas() -> None:
    rows = [
        Signup(1, 9, 10, "confirmed", '=HYPERLINK("x")', True, "en", NOW),
        Signup(2, 9, 11, "confirmed", None, False, None, NOW),
        Signup(3, 9, 12, "waitlisted", "Weights, please", False, None, NOW),
    ]
    data = attendees_csv(
        rows,
        lambda s: {10: "Alice", 11: "@bob"}.get(s.user_id, str(s.user_id)),
        lambda s: "=Comunidad (5)" if s.user_id == 12 else "Home (9)",
    )
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][-1] == "server"  # last: the server each member signed up on (issue 16)
    assert [r[-1] for r in table[1:]] == ["Home (9)", "Home (9)", "'=Comunidad (5)"]
    assert table[0][:3] == ["status", "position", "user_id"]
    assert [r[:4] for r in table[1:]] == [
        ["confirmed", "1", "10", "Alice"],
        ["confirmed", "2", "11", "'@bob"],
        ["waitlisted", "1", "12", "12"],
    ]
    assert table[1][6] == '\'=HYPERLINK("x")' and table[3][6] == "Weights, please"


def test_every_sentence_used_exists_in_the_catalogue() -> None:
    import re as regex
    from pathlib import Path

    from bot.i18n import catalogue

    root = Path(__file__).resolve().parents[2]
    sources = [
        *root.joinpath("cogs", "officehours").glob("*.py"),
        *root.joinpath("bot", "officehours").glob("*.py"),
    ]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    sentences = catalogue("en")
    used = set(regex.findall(r"\"(officehours\.[a-z_]+\.[a-z_]+)\"", text))
    assert used, "no sentence found in the sources"
    assert sorted(key for key in used if key not in sentences) == []
    for prefix, codes in (
        ("officehours.signup.refused_", ("not_found", "cancelled", "started", "consultation_closed")),
        ("officehours.cancel_signup.refused_", ("not_found", "cancelled", "started")),
        ("officehours.notice.", ("promoted", "reminder", "cancelled", "moved", "promoted_thread")),
        ("officehours.notice.", ("reminder_thread", "cancelled_thread", "moved_thread")),
    ):
        for code in codes:
            assert prefix + code in sentences


def test_card_embed_shows_seats_then_waitlist_then_closed() -> None:
    from datetime import timedelta

    from bot.data.officehours import Session, SessionSummary
    from bot.officehours.render import card_embed, mention_chunks

    start = NOW + timedelta(days=2)
    session = Session(
        1,
        2,
        "Ask us",
        start,
        60,
        3,
        None,
        "Jitsi",
        7,
        None,
        None,
        None,
        None,
        "scheduled",
        7,
        (15,),
        NOW,
        NOW,
    )
    open_card = card_embed(SessionSummary(session, 1, 0), NOW).to_dict()
    fields = {f["name"]: f["value"] for f in open_card["fields"]}
    assert fields["Seats"] == "2 of 3 left" and fields["Host"] == "<@7>" and fields["Where"] == "Jitsi"
    assert f"<t:{int(start.timestamp())}:R>" in fields["When"] and "description" not in open_card
    full = card_embed(SessionSummary(session, 3, 4), NOW).to_dict()
    assert {f["name"]: f["value"] for f in full["fields"]}["Seats"] == "Full: 4 on the waitlist"
    closed = card_embed(SessionSummary(session, 3, 4), start).to_dict()
    assert "Sign-ups are closed" in closed["description"]
    chunks = mention_chunks([*range(120), 5])
    assert [len(c) for c in chunks] == [50, 50, 20]
    assert [user for chunk in chunks for user in chunk] == list(range(120))


def test_a_refused_time_quotes_at_most_a_short_piece_of_what_was_typed():
    """Discord lets a string option carry 6,000 characters: quoting it whole made the refusal longer
    than a message may be, and the member got no answer at all (the hostile-input run found it)."""
    with pytest.raises(UserError) as refused:
        parse_moment("x" * 6000)
    sentence = t(refused.value.key, "en-US", **refused.value.params)
    assert len(sentence) < 500 and "x" * 150 in sentence
