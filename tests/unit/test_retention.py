"""Retention's parts without Discord: the pseudonym, the setting's bounds, the once-per-closing rule, and
the id cells of the CSV files as spreadsheets read them."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bot.data.guilds import GuildRepository
from bot.data.retention import RetentionRepository
from bot.digest.csvfile import CsvFile, neutralise
from bot.digest.people import id_text
from bot.errors import UserError
from bot.moderation.privacy import member_mac, pseudonym
from bot.moderation.retention import MAX_DAYS, parse_days
from rehearsal.emulator.limits import ApiError, check_modal

SALT = bytes(range(32))
IDS = [1577465902515880968, 1577465902515880969, 80351110224678912, 999_999_999_999_999_999]


def test_pseudonyms_are_negative_64_bit_stable_and_distinct():
    aliases = [pseudonym(SALT, 1, user) for user in IDS]
    assert all(-(2**63) <= a < 0 for a in aliases)  # fits BIGINT, never a (positive) snowflake
    assert len(set(aliases)) == len(IDS)  # neighbours one apart stay two people
    assert aliases == [pseudonym(SALT, 1, user) for user in IDS]  # the same member, the same pseudonym
    assert pseudonym(SALT, 2, IDS[0]) != aliases[0]  # per guild
    assert pseudonym(bytes(32), 1, IDS[0]) != aliases[0]  # per database (salt)
    # Derived from the salted hash /privacy forget keeps: one secret, one approach.
    assert aliases[0] == -1 - (int.from_bytes(member_mac(SALT, 1, IDS[0])[:8], "big") >> 1)


@pytest.mark.parametrize("days", [-1, 3651, 10**9])
def test_days_out_of_range_are_refused_with_the_bounds(days):
    with pytest.raises(UserError) as refused:
        parse_days(days)
    assert refused.value.key == "moderation.retention.out_of_range"
    assert refused.value.params == {"days": days, "low": 1, "high": MAX_DAYS}


def test_zero_turns_retention_off():
    assert parse_days(0) is None and parse_days(1) == 1 and parse_days(MAX_DAYS) == MAX_DAYS


async def test_a_closing_is_processed_once_and_a_new_closing_again(db, guild, clock):
    guilds, repo = GuildRepository(db), RetentionRepository(db)
    await repo.set_days(guild, 10)
    assert await repo.candidates() == []  # open: nothing to do
    closed = await guilds.update(guild, clock.now(), phase="closed", phase_changed_at=clock.now())
    [due] = await repo.candidates()
    assert (due.days, due.closed_at) == (10, closed.phase_changed_at)
    await repo.pseudonymise(guild, {}, due.closed_at, clock.now() + timedelta(days=10), lambda c: "done")
    assert await repo.candidates() == []
    clock.advance(days=20)
    await guilds.update(guild, clock.now(), phase="open", phase_changed_at=clock.now())
    await guilds.update(guild, clock.now(), phase="closed", phase_changed_at=clock.now())
    assert [c.closed_at for c in await repo.candidates()] == [clock.now()]


# -- ids in CSV ------------------------------------------------------------------------------------------


def test_an_id_cell_is_a_tab_and_every_digit_and_is_not_neutralised():
    file = CsvFile(("member_id", "name"))
    file.write((id_text(IDS[0]), "=Bobby"))
    raw = file.getvalue().decode("utf-8-sig")
    assert raw.splitlines()[1] == f'"\t{IDS[0]}","\'=Bobby"'
    [row] = list(csv.reader(io.StringIO(raw)))[1:]
    assert row[0] == f"\t{IDS[0]}" and int(row[0]) == IDS[0]
    assert neutralise("\t=1+1") == "'\t=1+1"  # a tab before anything but digits is still neutralised
    assert id_text(None) == ""


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_keeps_every_digit(tmp_path: Path):
    """Opened with LibreOffice's default import (comma and tab separators), every id is text, whole."""
    file = CsvFile(("member_id", "name"))
    file.write_many([(id_text(user), "x") for user in IDS] + [(IDS[0], "bare number")])
    path = tmp_path / "ids.csv"
    path.write_bytes(file.getvalue())
    subprocess.run(
        ["soffice", "--headless", "--infilter=CSV:44/9,34,76,1", "--convert-to", "fods", "--outdir",
         str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    xml = (tmp_path / "ids.fods").read_text(encoding="utf-8")
    rows = re.findall(r"<table:table-row[^>]*>(.*?)</table:table-row>", xml, re.S)[1:]
    first_cells = [re.search(r"<table:table-cell([^>]*)>(.*?)</table:table-cell>", r, re.S) for r in rows]
    kinds = [re.search(r'office:value-type="(\w+)"', c[1]).group(1) for c in first_cells]
    texts = [re.sub(r"<[^>]+>", "", c[2]).strip() for c in first_cells]
    assert kinds[: len(IDS)] == ["string"] * len(IDS)
    assert texts[: len(IDS)] == [str(user) for user in IDS]
    assert kinds[-1] == "float" and texts[-1] != str(IDS[0])  # what a bare id would have become


# -- the emulator enforces Discord's modal limits -----------------------------------------------------------


def modal(**label: object) -> dict[str, object]:
    text_input = {"type": 4, "custom_id": "text", "style": 2, **label.pop("input", {})}  # type: ignore[dict-item]
    return {
        "title": "Feedback",
        "custom_id": "feedback:form",
        "components": [{"type": 18, "label": "Your feedback", **label, "component": text_input}],
    }


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (modal(label="x" * 46), "label"),
        (modal(description="x" * 101), "description"),
        (modal(input={"placeholder": "x" * 101}), "placeholder"),
    ],
)
def test_modal_limits(data, path):
    with pytest.raises(ApiError) as refused:
        check_modal(data)
    assert refused.value.code == 50035 and path in str(refused.value.errors)
    check_modal(modal(description="x" * 100, input={"placeholder": "x" * 100}))
    with pytest.raises(ApiError):
        check_modal({**modal(), "components": [{"type": 10, "content": "x" * 4001}]})
