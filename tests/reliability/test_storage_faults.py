"""Storage faults: the database file locked by another process, and the disk full. The bot tells the
member plainly ("busy or full, nothing was saved"), keeps running, loses nothing it had acknowledged
(reactions stay buffered in the writer and are written once the database is back) and stores nothing
half-way."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.data.feedback import FeedbackRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from bot.i18n import t
from rehearsal.world import World, database_tally, discord_tally

from .conftest import OPTIONS, add_members, live_posts


def busy(world, name: str) -> str:
    """The "database busy or full" sentence in the member's language."""
    return t("errors.database_busy", world.locales[name])


async def schedule_session(world):
    return await world.schedule_office_hours(
        "Storage-fault office hours", capacity=5, place="https://meet.example/storage", timeout=10
    )


async def click_signup(world, user_id, session):
    result = await world.emu.click_button(
        user_id, session.card_channel_id, session.card_message_id, f"officehours:signup:{session.id}"
    )
    return await result.wait(10)


async def give_feedback(world, post, name, text):
    user = world.members[name]
    opened = await world.emu.click_button(
        user, post.thread_id, post.message_id, f"feedback:give:{post.recommendation_id}"
    )
    await opened.wait(10)
    assert opened.modal is not None, opened.content
    submitted = await world.emu.submit_modal(user, opened, {"text": text})
    return await submitted.wait(10)


async def edit_title(world, title):
    opened = await world.command("wg", "consultation edit", recommendation=2)
    title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
    submitted = await world.emu.submit_modal(
        world.members["wg"], opened, {title_id: title, text_id: "Body written during a storage fault."}
    )
    await submitted.wait(10)
    if submitted.deferred:
        await submitted.wait_for_followup(15)
        return submitted.followups[-1].content
    return submitted.content


async def storage_fault(world, figures, *, start_fault, end_fault, kind: str) -> None:
    await world.publish()
    posts = await live_posts(world)
    people = add_members(world, 80)
    session = await schedule_session(world)
    before = await click_signup(world, world.members["alice"], session)
    assert "You have a seat" in before.content
    rng = random.Random(17)
    emu = world.emu
    tally = world.bot.services.tally
    recommendations = RecommendationRepository(world.db)
    version_before = (await recommendations.by_number(world.guild_id, 2)).version

    def burst(count):
        events = []
        for _ in range(count):
            post = rng.choice(posts)
            events.append((rng.choice(people), post.thread_id, post.message_id, rng.choice(OPTIONS), True))
        return events

    figures["events"] = await emu.react_many(burst(300))
    await world.settle()
    await start_fault()
    try:
        figures.add("events", await emu.react_many(burst(700)))
        await emu.wait_until(lambda: tally.writer.pending > 0, timeout=10)
        # A member and the working group act while the database refuses writes.
        refused = await click_signup(world, world.members["bob"], session)
        assert refused.ephemeral and refused.content == busy(world, "bob"), refused.content
        edited = await edit_title(world, f"A title that must not be stored ({kind})")
        assert edited == busy(world, "wg"), edited
        feedback = await give_feedback(world, posts[0], "chen", "Written while the database was down.")
        assert feedback.ephemeral and feedback.content == busy(world, "chen"), feedback.content
        status = await world.command("wg", "consultation status")  # reading still works
        digest = await world.command("wg", "digest", since="all", timeout=20)
        await digest.wait_for_followup(20)
        said = digest.followups[-1].content or ""
        refused_plainly = said == busy(world, "wg")
        assert refused_plainly or digest.followups[-1].embeds, said  # refused plainly, or read-only and shown
        figures["digest_during_fault"] = "busy" if refused_plainly else "shown"
        assert status.embeds
        figures["buffered_during_fault"] = tally.writer.pending
        assert tally.writer.pending > 0  # acknowledged reactions are kept, not dropped
    finally:
        await end_fault()
    figures["members"] = len(people) + 2
    # Back to normal: the writer retries on its own, nothing half-written, nothing lost.
    await emu.wait_until(lambda: tally.writer.pending == 0, timeout=20)
    await world.settle()
    assert await database_tally(world) == await discord_tally(world)
    assert (await recommendations.by_number(world.guild_id, 2)).version == version_before
    stored = {s.user_id: s.status for s in await OfficeHoursRepository(world.db).signups(session.id)}
    assert stored == {world.members["alice"]: "confirmed"}
    again = await click_signup(world, world.members["bob"], session)
    assert again.ephemeral and again.content != busy(world, "bob")
    stored = {s.user_id: s.status for s in await OfficeHoursRepository(world.db).signups(session.id)}
    assert stored[world.members["bob"]] == "confirmed"
    feedback = FeedbackRepository(world.db)
    assert await feedback.for_author(world.guild_id, world.members["chen"], active_only=False) == []
    thanked = await give_feedback(world, posts[0], "chen", "Written once the database was back.")
    assert thanked.content != busy(world, "chen")
    [item] = await feedback.for_author(world.guild_id, world.members["chen"], active_only=False)
    assert item.body == "Written once the database was back."
    assert await world.db.integrity_check() == "ok"


@pytest.mark.sqlite_only  # a file lock; PostgreSQL's lock errors: tests/unit/test_postgres.py
async def test_database_locked_by_another_process(world, figures):
    other = sqlite3.connect(world.database_path, timeout=0.1, isolation_level=None)

    async def lock():
        await world.db.execute("PRAGMA busy_timeout = 200")  # fail fast instead of within 5 s
        other.execute("BEGIN EXCLUSIVE")

    async def unlock():
        other.execute("ROLLBACK")
        other.close()
        await world.db.execute("PRAGMA busy_timeout = 5000")

    await storage_fault(world, figures, start_fault=lock, end_fault=unlock, kind="locked")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of its own (a 16 MiB tmpfs), so filling it hurts nothing else."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


async def test_disk_full(small_disk, figures):
    """ENOSPC, as a full disk gives it: the database lives on a small file system that is then filled."""
    world = await World.create(small_disk / "full.sqlite3")
    filler = small_disk / "filler"
    try:
        await world.start_bot()
        assert (await world.setup_consultation("forum")).ephemeral

        async def fill():
            # Every write now needs a new block: the WAL starts from zero bytes and the disk has none free.
            await world.db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
            with filler.open("wb") as handle:
                chunk = b"\0" * (1 << 16)
                with contextlib.suppress(OSError):
                    for _ in range(1 << 12):  # bounded: 256 MiB at most
                        handle.write(chunk)
                        handle.flush()
            figures["filler_bytes"] = filler.stat().st_size

        async def free():
            filler.unlink()

        await storage_fault(world, figures, start_fault=fill, end_fault=free, kind="full")
    finally:
        await world.close()
