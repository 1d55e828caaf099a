"""Digests end to end: /digest through the emulator, the refusal, and the weekly digest across a restart."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

import pytest

from bot.data.digest import DigestRepository
from bot.digest.builder import FILE_NAMES
from bot.i18n import t
from rehearsal.world import World, database_tally, discord_tally
from tests.e2e.test_feedback import wait_for

STANCES = ("👍", "👎", "🛠️")
AREAS = tuple(f"{n}\ufe0f\u20e3" for n in range(1, 10))


async def react_at_random(world: World, seed: int = 5) -> None:
    """The plain members react on the published drafts: stances and scoping areas."""
    rng = random.Random(seed)
    events = []
    for thread in world.emu.threads(world.forum_id):
        starter = world.emu.messages(thread.id)[0]
        for name in ("alice", "bob", "chen", "dana", "eve"):
            for emoji in rng.sample(STANCES + AREAS, rng.randint(0, 5)):
                events.append((world.members[name], thread.id, starter.id, emoji))
    assert await world.emu.react_many(events) > 20
    await world.settle()


def tally_cells(data: bytes) -> dict[tuple[int, int | str], tuple[int, int, int, int]]:
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return {
        (
            int(r["recommendation"]),
            r["scoping_area"] if r["scoping_area"] == "all" else int(r["scoping_area"]),
        ): (
            int(r["members"]),
            int(r["support"]),
            int(r["oppose"]),
            int(r["needs_work"]),
        )
        for r in rows
    }


async def pull_digest(world: World, name: str = "wg", **options):
    """``/digest``; a digest delivered is recorded after its last file reached the member, so this
    returns once it is in the digest log (the next digest starts where it ended)."""
    log = DigestRepository(world.db)
    before = len(await log.digests(world.guild_id))
    result = await world.command(name, "digest", timeout=30, **options)
    assert result.deferred and result.ephemeral, result.content
    assert result.answered_within_deadline
    followup = await result.wait_for_followup(timeout=60)
    if followup.files:

        async def recorded() -> bool:
            return len(await log.digests(world.guild_id)) > before

        await wait_for(recorded)
    return result, followup


async def test_working_group_pulls_a_digest(world: World):
    await world.publish()
    await react_at_random(world)
    _, followup = await pull_digest(world, since="all")
    [embed] = followup.embeds
    assert embed["title"] == t("digest.embed_title", title="Resource Allocation: draft recommendations")
    assert len(embed["fields"]) == 9
    files = dict(followup.files)
    assert tuple(files) == FILE_NAMES
    assert files["heatmap.png"].startswith(b"\x89PNG")
    cells = tally_cells(files["tallies.csv"])
    assert cells == await database_tally(world)
    assert cells == await discord_tally(world)  # what Discord itself shows on the posts
    assert sum(v[0] for k, v in cells.items() if k[1] == "all") > 0
    md = files["digest.md"].decode()
    assert "## R9." in md and "This is the first digest" in md
    # Recorded, so the next digest starts where this one ended and says what changed.
    [logged] = await DigestRepository(world.db).digests(world.guild_id)
    assert logged.kind == "manual" and logged.since is None
    audit = await world.db.fetchall("SELECT actor_id FROM audit_log WHERE action = 'digest'")
    assert [row[0] for row in audit] == [world.members["wg"]]
    world.clock.advance(hours=1)
    thread = world.emu.threads(world.forum_id)[0]
    await world.emu.react(world.members["admin"], thread.id, world.emu.messages(thread.id)[0].id, "👍")
    await world.settle()
    _, second = await pull_digest(world, recommendation=int(thread.name.split(".")[0].lstrip("R")))
    [embed] = second.embeds
    assert len(embed["fields"]) == 1 and "Since the last digest" in embed["fields"][0]["value"]
    assert "+1" in embed["fields"][0]["value"]


async def test_bad_since_is_explained(world: World):
    _, followup = await pull_digest(world, since="last tuesday")
    assert followup.content == t("digest.bad_since", value="last tuesday")
    assert await DigestRepository(world.db).digests(world.guild_id) == []


@pytest.fixture
def overridden(world):
    """A server administrator has shown the digest commands to everyone (Server Settings > Integrations)."""
    for command in ("digest", "digest-schedule"):
        world.emu.override_command_visibility(world.guild_id, command, world.guild_id)


async def test_members_without_the_role_are_refused(world: World, overridden):
    for name in ("alice", "mod"):
        result = await world.command(name, "digest")
        assert result.ephemeral and result.content == t("access.working_group")
        assert not result.files
    assert await DigestRepository(world.db).digests(world.guild_id) == []


async def test_weekly_digest_is_posted_once_per_week_across_a_restart(world: World):
    await world.publish()
    await react_at_random(world, seed=8)
    cog = world.bot.get_cog("DigestCog")
    assert await cog.run_due_digests() == 0  # set up on Monday 09:00: the first is next Monday's
    world.clock.advance(days=7, minutes=5)
    assert await cog.run_due_digests() == 1
    assert await cog.run_due_digests() == 0
    posts = [m for m in world.emu.messages(world.digest_id) if m.embeds]
    assert len(posts) == 1
    assert posts[0].embeds[0]["title"].startswith("Weekly digest")
    assert tuple(name for name, _ in posts[0].files) == FILE_NAMES
    assert tally_cells(dict(posts[0].files)["tallies.csv"]) == await database_tally(world)

    await world.restart_bot()
    cog = world.bot.get_cog("DigestCog")
    assert await cog.run_due_digests() == 0
    world.clock.advance(days=3)
    assert await cog.run_due_digests() == 0
    assert len([m for m in world.emu.messages(world.digest_id) if m.embeds]) == 1

    world.clock.advance(days=4)
    assert await cog.run_due_digests() == 1
    posts = [m for m in world.emu.messages(world.digest_id) if m.embeds]
    assert len(posts) == 2
    assert "Since the last digest" in posts[1].embeds[0]["fields"][0]["value"]
    weekly = await DigestRepository(world.db).digests(world.guild_id, "weekly")
    assert [d.period_key for d in weekly] == ["2026-W03", "2026-W04"]
    assert weekly[1].since == weekly[0].created_at
    assert weekly[0].created_at - weekly[0].since == timedelta(days=7, minutes=5)


async def test_recommendation_autocomplete(world: World):
    choices = await world.emu.autocomplete(
        world.members["wg"], world.guild_id, "digest", option="recommendation", value="4"
    )
    assert [c["value"] for c in choices] == [4]
    assert choices[0]["name"].startswith("R4. ")
    everything = await world.emu.autocomplete(
        world.members["wg"], world.guild_id, "digest", option="recommendation", value=""
    )
    assert [c["value"] for c in everything] == list(range(1, 10))


async def test_schedule_moves_the_weekly_digest_but_never_doubles_a_week(world: World):
    cog = world.bot.get_cog("DigestCog")
    # Monday 5 January 09:00 (set-up time): choose Wednesday 18:00 UTC.
    saved = await world.command("wg", "digest-schedule", weekday=2, hour=18)
    assert saved.ephemeral and "<t:1767808800:F>" in saved.content  # Wednesday 7 January 18:00 UTC
    settings = await world.bot.guild_repository.get(world.guild_id)
    assert (settings.digest_weekday, settings.digest_hour) == (2, 18)
    world.clock.advance(days=2, hours=8, minutes=59)  # Wednesday 17:59
    assert await cog.run_due_digests() == 0
    world.clock.advance(minutes=1)
    assert await cog.run_due_digests() == 1
    # Moved to Friday the same week: this week's digest was sent, so the next is Friday week.
    moved = await world.command("wg", "digest-schedule", weekday=4, hour=8)
    assert "<t:1768550400:F>" in moved.content  # Friday 16 January 08:00 UTC
    world.clock.advance(days=2)  # Friday 9 January 18:00
    assert await cog.run_due_digests() == 0
    world.clock.advance(days=7)
    assert await cog.run_due_digests() == 1
    assert len([m for m in world.emu.messages(world.digest_id) if m.embeds]) == 2
    logged = await world.db.fetchall("SELECT target FROM audit_log WHERE action = 'digest schedule'")
    assert [row[0] for row in logged] == ["Wednesday 18:00 UTC", "Friday 08:00 UTC"]


async def test_schedule_is_for_the_working_group(world: World, overridden):
    refused = await world.command("alice", "digest-schedule", weekday=3, hour=7)
    assert refused.content == t("access.working_group")
    settings = await world.bot.guild_repository.get(world.guild_id)
    assert (settings.digest_weekday, settings.digest_hour) == (0, 9)
