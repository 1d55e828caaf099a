"""Retention end to end: /mod retention, the close, the keeper's loop on the injected clock, pseudonyms in
place of member ids with every tally equal, the audit entry, once only (also across a restart), and what
forget and the digest do with pseudonymised rows afterwards."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from bot.data.audit import AuditRepository
from bot.i18n import t
from rehearsal.world import database_tally
from tests.e2e.test_digest import pull_digest
from tests.e2e.test_moderation_phases import answer, run
from tests.e2e.test_privacy import alice_takes_part, all_values, forget, traces

MEMBER_COLUMNS = {
    "feedback": "SELECT author_id FROM feedback WHERE guild_id = ?",
    "reactions": "SELECT x.user_id FROM reactions x JOIN posts p ON p.message_id = x.message_id"
    " WHERE p.guild_id = ?",
    "signups": "SELECT s.user_id FROM signups s JOIN office_hours o ON o.id = s.session_id"
    " WHERE o.guild_id = ?",
}


async def member_ids(world):
    return {
        table: [row[0] for row in await world.db.fetchall(sql, (world.guild_id,))]
        for table, sql in MEMBER_COLUMNS.items()
    }


async def keeper_tick(world):
    """One pass of the moderation keeper's minute loop (what ``tasks.loop`` runs every minute)."""
    keeper = world.bot.get_cog("PhaseKeeper")
    await keeper.phase_loop()


async def retention_tables(world):
    """What retention writes (the office-hours reminder loop stamps overdue reminders after a restart)."""
    tables = (
        "feedback",
        "reactions",
        "signups",
        "officehours_notices",
        "member_names",
        "retention",
        "audit_log",
    )
    return {table: [tuple(r) for r in await world.db.fetchall(f"SELECT * FROM {table}")] for table in tables}


async def retention_entries(world):
    return [
        e
        for e in await AuditRepository(world.db).latest(world.guild_id, limit=100)
        if e.action == "privacy.retention"
    ]


async def test_retention_replaces_ids_once_and_keeps_every_tally(world):
    _one, _two, session = await alice_takes_part(world)
    alice, bob = world.members["alice"], world.members["bob"]
    set_to = await run(world, "admin", "mod retention", days=30)
    assert answer(set_to) == t("moderation.retention.after_close", world.locales["admin"], days=30)
    assert (
        await world.db.fetchval(
            "SELECT display_name FROM member_names WHERE guild_id = ? AND user_id = ?",
            (world.guild_id, alice),
        )
        == "Alice"
    )
    await run(world, "mod", "mod phase", state="closed")
    await world.settle()
    tally = await database_tally(world)
    before = await member_ids(world)
    scheduled = await run(world, "admin", "mod retention")
    closed_at = world.clock.now()
    stamp = int((closed_at + timedelta(days=30)).timestamp())
    assert answer(scheduled) == t(
        "moderation.retention.scheduled", world.locales["admin"], days=30, when=f"<t:{stamp}:F>"
    )

    world.clock.advance(days=30, seconds=-1)  # not yet
    await keeper_tick(world)
    assert await member_ids(world) == before and await retention_entries(world) == []

    world.clock.advance(seconds=2)  # session (Jan 10) is over, the retention date has come
    assert session.starts_at < world.clock.now()
    await keeper_tick(world)
    after = await member_ids(world)
    for table, ids in after.items():
        assert ids and all(i < 0 for i in ids), table  # no real id left
        assert len(ids) == len(before[table]) and len(set(ids)) == len(set(before[table])), table
    assert await database_tally(world) == tally  # exactly equal: same members, same pseudonym per member
    registry = world.bot.services.forgotten
    alias = registry.pseudonym(world.guild_id, alice)
    assert all(alias in ids for ids in after.values())  # one pseudonym for Alice in every table
    assert registry.pseudonym(world.guild_id, bob) != alias
    assert traces(await all_values(world), alice) == []
    assert await world.db.fetchval("SELECT COUNT(*) FROM member_names") == 0
    assert await world.db.fetchval("SELECT COUNT(*) FROM signups WHERE display_name IS NOT NULL") == 0
    texts = [r[0] for r in await world.db.fetchall("SELECT body FROM feedback ORDER BY id")]
    assert texts == [
        "Please budget for translation of every report.",
        "Quietly: the small chapters need this most.",
    ]
    [entry] = await retention_entries(world)
    assert entry.actor_id is None and entry.reason == t(
        "moderation.retention.audit_reason", days=30, members=2, feedback=2, signups=2, reactions=5
    )

    # Once: a second tick, and a restart, change nothing and record nothing.
    snapshot = await retention_tables(world)
    world.clock.advance(minutes=1)
    await keeper_tick(world)
    await world.restart_bot()
    await keeper_tick(world)
    assert await retention_tables(world) == snapshot
    assert len(await retention_entries(world)) == 1
    done = await run(world, "admin", "mod retention")
    assert answer(done) == t("moderation.retention.done", world.locales["admin"], days=30)

    # The digest shows pseudonyms, no names; anonymous feedback still shows nobody.
    _, followup = await pull_digest(world, since="all")
    files = dict(followup.files)
    rows = {r["body"]: r for r in csv.DictReader(io.StringIO(files["feedback.csv"].decode("utf-8-sig")))}
    named = rows["Please budget for translation of every report."]
    assert (named["author_id"], named["author_name"]) == (f"\t{alias}", "")
    anonymous = rows["Quietly: the small chapters need this most."]
    assert (anonymous["author_id"], anonymous["author_name"]) == ("", "")
    assert t("digest.md.pseudonym", id=alias) in files["digest.md"].decode()

    # Her data request still finds her pseudonymised rows, and so does forget (the same salt gives the
    # same pseudonym).
    mine = json.loads((await world.command("alice", "privacy mydata")).files[0][1])
    assert len(mine["feedback"]) == 2 and len(mine["reactions"]) == 4
    assert [s["status"] for s in mine["office_hours_signups"]] == ["confirmed"]
    # Forget still finds Alice's pseudonymised rows (the same salt gives the same pseudonym).
    await forget(world, "alice")
    assert all(alias not in ids for ids in (await member_ids(world)).values())
    assert await database_tally(world) != tally


async def test_retention_sentences_for_bad_input_and_access(world):
    locale = world.locales["admin"]
    assert answer(await run(world, "admin", "mod retention")) == t("moderation.retention.off", locale)
    for days in (-1, 3651, 100000):
        refused = await run(world, "admin", "mod retention", days=days)
        assert refused.ephemeral
        assert answer(refused) == t("moderation.retention.out_of_range", locale, days=days, low=1, high=3650)
    assert await world.db.fetchval("SELECT COUNT(*) FROM retention") == 0
    await run(world, "admin", "mod retention", days=7)
    assert answer(await run(world, "admin", "mod retention", days=0)) == t("moderation.retention.off", locale)
    assert await world.db.fetchval("SELECT COUNT(*) FROM retention") == 0
    mod = await run(world, "mod", "mod retention", days=7)  # a policy for the whole server: administrators
    assert mod.ephemeral and answer(mod) == t("access.administrator", world.locales["mod"])
    await run(world, "mod", "mod phase", state="closed")
    world.clock.advance(days=3)
    await run(world, "admin", "mod retention", days=2)  # closed three days ago: due at once
    assert answer(await run(world, "admin", "mod retention")) == t(
        "moderation.retention.soon", locale, days=2
    )
    await keeper_tick(world)
    assert len(await retention_entries(world)) == 1
