"""The cross-tab kept as it changes: members per post and pair of emoji (``reaction_pairs``, migration 0015).

For each post, ``members`` of the row (post, a, b) is how many members reacted with both ``a`` and ``b``
(both orders are stored, so no text ordering is involved); (post, a, a) is how many reacted with ``a``;
(post, '', '') how many reacted at all. Every cell of the tally is one of these numbers: a scoping
area's members are (area, area), its supporters (area, support), a draft's members ('', ''). Reading
the cross-tab is then a few hundred rows instead of a pass over every reaction (1M: half a second).

Every writer of ``reactions`` calls ``track`` (or ``forget``) inside its own transaction, before its
writes, so the counts change in the same commit as the rows. Anything that fills ``reactions`` another
way (a benchmark's bulk load) runs ``REBUILD`` afterwards. The reference tally
(``ReactionRepository.tallies``) still counts from the rows; tests hold the two equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

ANY = ""  # (post, ANY, ANY): the members who reacted with anything
CHUNK = 400  # (post, member) keys per statement: 800 bound parameters
UPSERT = (
    "INSERT INTO reaction_pairs (message_id, emoji_a, emoji_b, members) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (message_id, emoji_a, emoji_b)"
    " DO UPDATE SET members = reaction_pairs.members + excluded.members"
)
# The counts from the rows (the migration runs the same statements on an existing database).
REBUILD = (
    "DELETE FROM reaction_pairs",
    "INSERT INTO reaction_pairs (message_id, emoji_a, emoji_b, members)"
    " SELECT a.message_id, a.emoji, b.emoji, COUNT(*) FROM reactions a"
    " JOIN reactions b ON b.message_id = a.message_id AND b.user_id = a.user_id"
    " GROUP BY a.message_id, a.emoji, b.emoji",
    "INSERT INTO reaction_pairs (message_id, emoji_a, emoji_b, members)"
    " SELECT message_id, '', '', COUNT(DISTINCT user_id) FROM reactions GROUP BY message_id",
)

# The counts of the live posts of a guild (or of one recommendation).
CROSS_TAB_SQL = (
    "SELECT p.recommendation_id, c.emoji_a, c.emoji_b, c.members FROM posts p"
    " JOIN reaction_pairs c ON c.message_id = p.message_id"
    " WHERE p.guild_id = ? AND p.status = 'live' AND (? IS NULL OR p.recommendation_id = ?)"
    " AND c.members <> 0"
)

Key = tuple[int, str, int]  # (message id, emoji, member)


class Statements(Protocol):
    """What ``track`` needs of an open transaction (``bot.data.database.Transaction``)."""

    async def fetchall(self, sql: str, params: Any = ()) -> Sequence[Any]: ...

    async def executemany(self, sql: str, rows: Iterable[Any]) -> None: ...


async def current(tx: Statements, members: Iterable[tuple[int, int]]) -> dict[tuple[int, int], set[str]]:
    """The emoji each (post, member) has now, read along ``reactions_by_member``."""
    keys = list(dict.fromkeys(members))
    found: dict[tuple[int, int], set[str]] = {key: set() for key in keys}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        values = ", ".join(["(CAST(? AS BIGINT), CAST(? AS BIGINT))"] * len(chunk))
        rows = await tx.fetchall(
            f"WITH k (m, u) AS (VALUES {values}) SELECT r.message_id, r.user_id, r.emoji"
            " FROM k JOIN reactions r ON r.message_id = k.m AND r.user_id = k.u",
            [part for key in chunk for part in key],
        )
        for message_id, user_id, emoji in rows:
            found[message_id, user_id].add(emoji)
    return found


async def track(tx: Statements, adds: Iterable[Key], removes: Iterable[Key]) -> None:
    """Change the counts by what adding ``adds`` and deleting ``removes`` will do to the rows.

    Call it in the writer's transaction, before the writes; adding a stored row or deleting a missing
    one changes nothing, as the writes themselves.
    """
    adds, removes = list(adds), list(removes)
    if not adds and not removes:
        return
    before = await current(tx, ((m, u) for m, _, u in [*adds, *removes]))
    after = {key: set(emojis) for key, emojis in before.items()}
    for message_id, emoji, user_id in removes:
        after[message_id, user_id].discard(emoji)
    for message_id, emoji, user_id in adds:
        after[message_id, user_id].add(emoji)
    # Plain dict arithmetic (profiled: building a Counter per member cost more than the SQL).
    delta: dict[tuple[int, str, str], int] = {}
    get = delta.get
    for (message_id, user_id), emojis in after.items():
        old = before[message_id, user_id]
        if emojis == old:
            continue
        for sign, side in ((1, emojis), (-1, old)):
            for a in side:
                for b in side:
                    key = (message_id, a, b)
                    delta[key] = get(key, 0) + sign
        if not emojis or not old:  # the member arrives on the post, or leaves it
            key = (message_id, ANY, ANY)
            delta[key] = get(key, 0) + (1 if emojis else -1)
    await tx.executemany(UPSERT, [(*key, n) for key, n in delta.items() if n])


# Set-based upkeep for a batch (the reaction writer's hot path), in SQL: nothing crosses into Python but
# the statements. A changed row whose member has no other row on the post, stored or in the batch (a
# member's first reaction, or last one removed: most rows of a large batch), moves only its own diagonal
# cell and the post's member count, summed per (post, emoji) in one pass. The other members' (post,
# member) keys go into a temporary table: their pairs are subtracted before the writes and added back
# after them. The summed delta is one upsert. Profiled on 100k new rows: the pairs of every changed
# member before and after cost 0.5 s, more than the rows' own insert. CROSS JOIN keeps SQLite's join
# order (the keys outside, the index inside): unanalysed, it scanned all of ``reactions``.
MEMBERS = "reaction_pair_members"
DELTA = "reaction_pair_delta"
_PAIRS = (
    "INSERT INTO {delta} (message_id, emoji_a, emoji_b, members)"
    " SELECT a.message_id, a.emoji, b.emoji, {sign} * COUNT(*)"
    " FROM {members} k CROSS JOIN reactions a CROSS JOIN reactions b"
    " WHERE a.message_id = k.message_id AND a.user_id = k.user_id"
    " AND b.message_id = k.message_id AND b.user_id = k.user_id"
    " GROUP BY a.message_id, a.emoji, b.emoji"
)
_ANY = (
    "INSERT INTO {delta} (message_id, emoji_a, emoji_b, members)"
    " SELECT k.message_id, '', '', {sign} * COUNT(*) FROM {members} k WHERE EXISTS ("
    " SELECT 1 FROM reactions r WHERE r.message_id = k.message_id AND r.user_id = k.user_id)"
    " GROUP BY k.message_id"
)
# The members with more than one changed row, and those with another row stored.
_SHARED = (
    f"INSERT INTO {MEMBERS} (message_id, user_id)"
    " SELECT message_id, user_id FROM ({changes}) c GROUP BY message_id, user_id HAVING COUNT(*) > 1"
    " UNION ALL SELECT message_id, user_id FROM ({changes}) c WHERE EXISTS (SELECT 1 FROM reactions r"
    " WHERE r.message_id = c.message_id AND r.user_id = c.user_id AND r.emoji <> c.emoji)"
    " ON CONFLICT (message_id, user_id) DO NOTHING"
)
_ALONE = (
    f"INSERT INTO {DELTA} (message_id, emoji_a, emoji_b, members)"
    " SELECT message_id, emoji, emoji, SUM(sign) FROM ({changes}) c WHERE NOT EXISTS (SELECT 1 FROM"
    f" {MEMBERS} k WHERE k.message_id = c.message_id AND k.user_id = c.user_id) GROUP BY message_id, emoji"
)
_ALONE_ANY = (
    f"INSERT INTO {DELTA} (message_id, emoji_a, emoji_b, members)"
    f" SELECT message_id, '', '', SUM(members) FROM {DELTA} GROUP BY message_id"
)
_FOLD = (
    f"INSERT INTO reaction_pairs (message_id, emoji_a, emoji_b, members)"
    f" SELECT message_id, emoji_a, emoji_b, CAST(SUM(members) AS INTEGER) FROM {DELTA} WHERE 1 = 1"
    f" GROUP BY message_id, emoji_a, emoji_b HAVING SUM(members) <> 0"
    f" ON CONFLICT (message_id, emoji_a, emoji_b)"
    f" DO UPDATE SET members = reaction_pairs.members + excluded.members"
)


class Batch(Protocol):
    """What the set-based upkeep needs of an open transaction."""

    async def execute(self, sql: str, params: Any = ()) -> int: ...


async def _count(tx: Batch, sign: int) -> None:
    for template in (_PAIRS, _ANY):
        await tx.execute(template.format(delta=DELTA, members=MEMBERS, sign=sign))


async def before_batch(tx: Batch, changes_sql: str) -> None:
    """First half of the set-based ``track``: call in the writer's transaction before its writes.

    ``changes_sql`` selects (message_id, user_id, emoji, sign) of each row the writes will add (sign 1,
    not stored now) or delete (sign -1, stored now), each row once; it is read three times, before the
    writes. ``after_batch`` must follow the writes.
    """
    # BIGINT: snowflakes are 64-bit on PostgreSQL (temporary tables are per connection there too).
    await tx.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {MEMBERS}"
        " (message_id BIGINT, user_id BIGINT, PRIMARY KEY (message_id, user_id))"
    )
    await tx.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {DELTA}"
        " (message_id BIGINT, emoji_a TEXT, emoji_b TEXT, members BIGINT)"
    )
    await tx.execute(f"DELETE FROM {MEMBERS}")
    await tx.execute(f"DELETE FROM {DELTA}")
    await tx.execute(_SHARED.format(changes=changes_sql))
    await tx.execute(_ALONE.format(changes=changes_sql))
    await tx.execute(_ALONE_ANY)
    await _count(tx, -1)


async def after_batch(tx: Batch) -> None:
    """Second half: add the changed members' pairs as the writes left them, fold the delta in."""
    await _count(tx, 1)
    await tx.execute(_FOLD)


async def forget(tx: Statements, rows: Iterable[tuple[int, str, int]]) -> None:
    """``track`` for rows about to be deleted (a member's reactions, erased)."""
    await track(tx, [], rows)


Cell = list[int]  # members, support, oppose, needs work


async def cross_tab(
    reads: Statements,
    guild_id: int,
    recommendation_id: int | None,
    areas: Sequence[tuple[int, str]],
    stances: dict[str, str],
    recommendations: Sequence[int],
) -> tuple[dict[tuple[int, int], Cell], dict[int, Cell]]:
    """Per (recommendation id, area number) and per recommendation id: members and their stances.

    ``areas`` are (number, emoji) in number order, ``stances`` {key: emoji}; as in the reference's
    ``CASE``, an emoji names the first area that has it, and a stance only if no area has it.
    """
    owner: dict[str, object] = {}
    for number, emoji in areas:
        owner.setdefault(emoji, number)
    claimed = {key: owner.setdefault(emoji, key) == key for key, emoji in stances.items()}
    stance_emoji = [stances[key] if claimed.get(key) else None for key in ("support", "oppose", "needs_work")]
    rows = await reads.fetchall(CROSS_TAB_SQL, (guild_id, recommendation_id, recommendation_id))
    pairs: Counter[tuple[int, str, str]] = Counter()
    for rec_id, emoji_a, emoji_b, members in rows:
        pairs[rec_id, emoji_a, emoji_b] += members
    cells: dict[tuple[int, int], Cell] = {}
    overall: dict[int, Cell] = {}
    for rec_id in recommendations:
        overall[rec_id] = [pairs[rec_id, ANY, ANY]] + [
            pairs[rec_id, s, s] if s is not None else 0 for s in stance_emoji
        ]
        for number, emoji in areas:
            if owner[emoji] != number:
                cells[rec_id, number] = [0, 0, 0, 0]
                continue
            cells[rec_id, number] = [pairs[rec_id, emoji, emoji]] + [
                pairs[rec_id, emoji, s] if s is not None else 0 for s in stance_emoji
            ]
    return cells, overall
