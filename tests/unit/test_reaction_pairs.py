"""The kept cross-tab counts (reaction_pairs, migration 0015) against the reaction rows themselves.

The oracle is computed here in Python from ``reactions`` (each member's set of emoji per post), not with
the SQL the code uses; every writer of ``reactions`` is exercised in random order.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

from bot.content import load_content
from bot.data.database import MIGRATIONS_DIR, Database
from bot.data.digest import DigestRepository
from bot.data.guilds import GuildRepository
from bot.data.reaction_pairs import REBUILD
from bot.data.reactions import ReactionChange, ReactionRepository

AREAS = [f"{n}\ufe0f\u20e3" for n in range(1, 10)]
EMOJIS = [*AREAS, "👍", "👎", "🛠️", "🎉"]


async def expected(db: Database) -> Counter:
    members: dict[tuple[int, int], set[str]] = {}
    for message_id, emoji, user_id in await db.fetchall("SELECT message_id, emoji, user_id FROM reactions"):
        members.setdefault((message_id, user_id), set()).add(emoji)
    found: Counter = Counter()
    for (message_id, _), emojis in members.items():
        found[message_id, "", ""] += 1
        for a in emojis:
            for b in emojis:
                found[message_id, a, b] += 1
    return found


async def kept(db: Database) -> Counter:
    rows = await db.fetchall("SELECT message_id, emoji_a, emoji_b, members FROM reaction_pairs")
    return Counter({(m, a, b): n for m, a, b, n in rows if n})


async def test_every_writer_keeps_the_counts_exact(db, guild, posts, clock):
    rng = random.Random(15)
    repo = ReactionRepository(db)
    messages = [1000 + n for n in range(1, 10)]
    for step in range(60):
        kind = rng.choice(["apply", "apply", "checked", "checked", "reconcile", "forget"])
        if kind in ("apply", "checked"):
            # Adds and removes mixed, repeats and contradictions included (the last event wins).
            batch = [
                ReactionChange(
                    rng.random() < 0.7, rng.choice(messages), rng.choice(EMOJIS), rng.randint(1, 40)
                )
                for _ in range(rng.randint(1, 120))
            ]
            if kind == "apply":
                await repo.apply(batch, clock.now())
            else:
                await repo.apply_checked(batch, clock.now())
        elif kind == "reconcile":
            members = set(rng.sample(range(1, 40), rng.randint(0, 20)))
            await repo.reconcile(rng.choice(messages), rng.choice(EMOJIS), members, clock.now())
        else:
            await repo.delete_member(guild, rng.randint(1, 40))
        assert await kept(db) == await expected(db), f"step {step}: {kind}"
    assert sum((await expected(db)).values()) > 0


async def test_members_alone_on_a_post_and_the_others_in_one_batch(db, guild, posts, clock):
    """Large batches over many members: most rows are a member's only one on the post (the batch's own
    shortcut), mixed with members who add a second emoji, in the batch or beside a stored one, and
    members whose last emoji goes."""
    rng = random.Random(14)
    repo = ReactionRepository(db)
    messages = [1000 + n for n in range(1, 10)]
    for step in range(6):
        batch = [
            ReactionChange(rng.random() < 0.8, rng.choice(messages), rng.choice(EMOJIS), rng.randint(1, 3000))
            for _ in range(rng.randint(500, 3000))
        ]
        await (repo.apply if step % 2 else repo.apply_checked)(batch, clock.now())
        assert await kept(db) == await expected(db), f"step {step}"
    assert sum((await expected(db)).values()) > 0


async def test_the_digest_cross_tab_is_the_reference_after_every_writer(db, guild, posts, clock):
    rng = random.Random(3)
    repo = ReactionRepository(db)
    triples = {(1000 + rng.randint(1, 9), rng.choice(EMOJIS), rng.randint(1, 60)) for _ in range(1500)}
    await repo.apply([ReactionChange(True, *t) for t in triples], clock.now())
    await repo.reconcile(1003, AREAS[2], {1, 2, 3}, clock.now())
    await repo.delete_member(guild, 7)
    areas, stances = await DigestRepository(db).tallies(guild)
    assert areas == await repo.area_tally(guild)
    assert stances == await repo.stance_tally(guild)


async def test_the_migration_counts_the_reactions_already_stored(tmp_path: Path, clock):
    """A database from before 0015 with reactions: migrating fills the counts from them."""
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name[:4]) < 15:
            shutil.copy(path, before / path.name)
    db = await Database.open(tmp_path / "old.sqlite3", migrations_dir=before)
    try:
        await GuildRepository(db).ensure(1, load_content(), clock.now())
        rec_id = await db.fetchval("SELECT id FROM recommendations WHERE guild_id = 1 AND number = 1")
        await db.execute(
            "INSERT INTO posts (message_id, guild_id, recommendation_id, channel_id, kind, created_at)"
            " VALUES (5, 1, ?, 1, 'forum', '2026-01-01T00:00:00Z')",
            (rec_id,),
        )
        rng = random.Random(8)
        rows = {(5, rng.choice(EMOJIS), rng.randint(1, 30)) for _ in range(200)}
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO reactions (message_id, emoji, user_id, reacted_at) VALUES (?, ?, ?, 'x')", rows
            )
        assert 15 in await db.migrate()  # 0015 and whatever came after it
        assert await kept(db) == await expected(db) != Counter()
        async with db.transaction() as tx:  # the bulk-load recipe gives the same
            for statement in REBUILD:
                await tx.execute(statement)
        assert await kept(db) == await expected(db)
    finally:
        await db.close()
