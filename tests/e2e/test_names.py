"""Names, not numbers: members' display names beside their ids in digest.md, feedback.csv and signups.csv,
ids as text a spreadsheet keeps whole, anonymous feedback with neither, names erased by /privacy forget;
and the feedback form saying, in the member's language, how feedback is used."""

from __future__ import annotations

import csv
import io

from bot.i18n import t
from tests.e2e.test_digest import pull_digest
from tests.e2e.test_privacy import alice_takes_part, forget


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def stored_names(world) -> dict[int, str]:
    rows = await world.db.fetchall(
        "SELECT user_id, display_name FROM member_names WHERE guild_id = ?", (world.guild_id,)
    )
    return {row[0]: row[1] for row in rows}


async def test_files_name_members_and_keep_ids_whole(world):
    alice, bob = world.members["alice"], world.members["bob"]
    world.emu.state.member(world.guild_id, bob).nick = "=Bobby"  # a nickname is member-written text
    await alice_takes_part(world)
    names = await stored_names(world)
    assert names[alice] == "Alice" and names[world.members["wg"]] == "Working Group Member"
    assert bob not in names  # he only reacted and signed up: his sign-up row keeps the name it saw
    _, followup = await pull_digest(world, since="all")
    files = dict(followup.files)
    raw = files["feedback.csv"].decode("utf-8-sig")
    feedback = {r["body"]: r for r in csv_rows(files["feedback.csv"])}
    named = feedback["Please budget for translation of every report."]
    # The exact cell text: a tab, then every digit (a spreadsheet keeps it as text); the name beside it.
    assert (named["author_id"], named["author_name"]) == (f"\t{alice}", "Alice")
    assert f'"\t{alice}","Alice",' in raw  # quoted: one cell also where Tab separates
    assert int(named["author_id"]) == alice  # still machine-readable as it is
    anonymous = feedback["Quietly: the small chapters need this most."]
    assert (anonymous["anonymous"], anonymous["author_id"], anonymous["author_name"]) == ("yes", "", "")
    signups = {r["user_name"]: r for r in csv_rows(files["signups.csv"])}
    assert set(signups) == {"Alice", "'=Bobby"}  # the formula-like nickname is neutralised
    assert signups["Alice"]["user_id"] == f"\t{alice}" and signups["'=Bobby"]["user_id"] == f"\t{bob}"
    md = files["digest.md"].decode()
    assert t("digest.md.named", name="Alice", id=alice) in md
    assert "Quietly: the small chapters" in md and t("digest.md.anonymous") + ": Quietly" in md
    # Anonymous stays anonymous in every file: Alice's name appears only with her named item and sign-up.
    assert md.count("Alice") == 1 and raw.count("Alice") == 1


async def test_names_follow_renames_and_forget_erases_them(world):
    alice = world.members["alice"]
    await alice_takes_part(world)
    world.emu.state.member(world.guild_id, alice).nick = "Alice (Berlin chapter)"
    await world.command("alice", "feedback mine")
    await world.settle()  # the name is written after the command completed
    assert (await stored_names(world))[alice] == "Alice (Berlin chapter)"
    await forget(world, "alice")
    assert alice not in await stored_names(world)
    await world.settle()
    _, followup = await pull_digest(world, since="all")
    assert b"Alice" not in b"".join(dict(followup.files).values())


async def test_the_form_says_how_feedback_is_used_in_the_members_language(world):
    await world.publish()
    for name in ("alice", "bob", "dana"):
        opened = await world.command(name, "feedback give", recommendation=1)
        first = opened.modal["components"][0]
        assert first["type"] == 10
        assert first["content"].endswith("\n-# " + t("feedback.usage", world.locales[name])), name
