"""People counted once across servers (issue 16), from the ids ``ServerDigestRepository.member_ids`` reads.

Each member becomes one bit mask per home draft, per server and over everything: the OR of the bits of
the emoji they used there (an area's bit, a stance's, and ``ANY`` for any emoji at all). A member who
reacted on two servers' posts of a draft has one mask for the draft, so they count once in every cell.
The masks are counted, and ``Servers`` reads every figure off those counts: a cell's members are the
people whose mask has the area's bit, its supporters those whose mask also has the support bit.

The work is numpy's on arrays of ids (8 bytes a reaction): the ids become indexes into the sorted
distinct members once (``np.unique``), then each (post, emoji) ORs its bit into the masks of its draft,
its server and the whole consultation. Exact: nothing is sampled or estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ANY = 1 << 43  # reacted with any emoji (the areas' bits are below 1 << 40, the stances' 1 << 40..42)
Masks = list[tuple[int, int, int]]  # (key, mask, people): how many people have each mask
MemberIds = tuple[int, int, str, str | None]  # (server, home draft, emoji, member ids joined by commas)


@dataclass(frozen=True, slots=True)
class Counts:
    """The masks of the digest's people: per home draft (key: its id), per server (key: the server's id)
    and over every server and draft (key 0). ``ANY`` is cleared: a member who reacted with other emoji
    only has mask 0, counted among the people who reacted."""

    per_draft: Masks
    per_server: Masks
    overall: Masks


def _ids(text: str | None) -> np.ndarray:
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")  # exact for any 64-bit id, negative included


def _counted(key: int, masks: np.ndarray) -> Masks:
    values, people = np.unique(masks[masks != 0], return_counts=True)
    pairs = zip(values.tolist(), people.tolist(), strict=True)
    return [(key, int(value) & ~ANY, int(n)) for value, n in pairs]


def count(rows: Sequence[MemberIds], bits: Sequence[tuple[int, str, int]]) -> Counts:
    """The masks of ``rows`` (``member_ids``); ``bits``: (server, emoji, bit), an emoji not in it sets
    ``ANY`` only."""
    bit_of = {(guild_id, emoji): bit for guild_id, emoji, bit in bits}
    parsed = [(guild_id, home_id, bit_of.get((guild_id, emoji), 0) | ANY, _ids(text))
              for guild_id, home_id, emoji, text in rows]  # fmt: skip
    if not parsed:
        return Counts([], [], [])
    members, index = np.unique(np.concatenate([ids for *_, ids in parsed]), return_inverse=True)
    size = len(members)
    servers: dict[int, np.ndarray] = {}
    overall = np.zeros(size, dtype=np.uint64)
    per_draft: Masks = []
    draft = np.zeros(size, dtype=np.uint64)
    starts = np.cumsum([0, *(len(ids) for *_, ids in parsed)])
    order = sorted(range(len(parsed)), key=lambda i: parsed[i][1])  # draft by draft: one array reused
    for position, i in enumerate(order):
        guild_id, home_id, bit, _ = parsed[i]
        who = index[starts[i] : starts[i + 1]]  # distinct within one (post, emoji): a plain OR is right
        value = np.uint64(bit)
        draft[who] |= value
        if guild_id not in servers:
            servers[guild_id] = np.zeros(size, dtype=np.uint64)
        servers[guild_id][who] |= value
        overall[who] |= value
        if position + 1 == len(order) or parsed[order[position + 1]][1] != home_id:
            per_draft.extend(_counted(home_id, draft))
            draft.fill(0)
    per_server = [row for guild_id, masks in servers.items() for row in _counted(guild_id, masks)]
    return Counts(per_draft, per_server, _counted(0, overall))
