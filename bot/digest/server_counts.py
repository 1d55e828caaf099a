"""People counted once across servers (issue 16), from the ids ``ServerDigestRepository.member_ids`` reads.

Each member becomes one bit mask per home draft, per server and over everything: the OR of the bits of
the emoji they used there (an area's bit, a stance's, and ``ANY`` for any emoji at all). A member who
reacted on two servers' posts of a draft has one mask for the draft, so they count once in every cell:
a cell's members are the masks with the area's bit, its supporters those that also have the support bit.

The work is numpy's on arrays of ids (8 bytes a reaction): the ids become indexes into the sorted
distinct members once (``np.unique``), then each (post, emoji) ORs its bit into the masks of its draft,
its server and the whole consultation. Exact: nothing is sampled or estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

ANY = 1 << 43  # reacted with any emoji (the areas' bits are below 1 << 40, the stances' 1 << 40..42)
MemberIds = tuple[int, int, str, str | None]  # (server, home draft, emoji, member ids joined by commas)


@dataclass(frozen=True, slots=True)
class Figures:
    """The people of one draft, one server or the whole consultation, each person once."""

    total: list[int]  # who reacted at all; among them, who used each stance (``stance_bits`` order)
    areas: dict[int, list[int]]  # an area's bit -> who tagged it; among them, who used each stance


@dataclass(frozen=True, slots=True)
class Counts:
    per_draft: dict[int, Figures]  # home draft id -> its figures over every server's post of it
    per_server: dict[int, Figures]  # server id -> its figures over its posts of every draft
    overall: Figures


def _ids(text: str | None) -> np.ndarray:
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")  # exact for any 64-bit id, negative included


def _figures(masks: np.ndarray, area_bits: Sequence[int], stance_bits: Sequence[int]) -> Figures:
    masks = masks[masks != 0]
    stances = [(masks & np.uint64(bit)) != 0 for bit in stance_bits]
    areas = {}
    for bit in area_bits:
        tagged = (masks & np.uint64(bit)) != 0
        areas[bit] = [int(np.count_nonzero(tagged))] + [int(np.count_nonzero(tagged & s)) for s in stances]
    return Figures([len(masks)] + [int(np.count_nonzero(s)) for s in stances], areas)


def count(
    rows: Sequence[MemberIds],
    bits: Sequence[tuple[int, str, int]],
    area_bits: Sequence[int],
    stance_bits: Sequence[int],
) -> Counts:
    """The figures of ``rows`` (``member_ids``); ``bits``: (server, emoji, bit), an emoji not in it
    counts its members among the people who reacted only."""
    bit_of = {(guild_id, emoji): bit for guild_id, emoji, bit in bits}
    parsed = [(guild_id, home_id, bit_of.get((guild_id, emoji), 0) | ANY, _ids(text))
              for guild_id, home_id, emoji, text in rows]  # fmt: skip
    ids = np.concatenate([np.zeros(0, dtype=np.int64), *(ids for *_, ids in parsed)])
    members, index = np.unique(ids, return_inverse=True)
    size = len(members)
    servers: dict[int, np.ndarray] = {}
    overall = np.zeros(size, dtype=np.uint64)
    drafts: dict[int, Figures] = {}
    draft = np.zeros(size, dtype=np.uint64)
    starts = list(accumulate((len(found) for *_, found in parsed), initial=0))
    order = sorted(range(len(parsed)), key=lambda i: parsed[i][1])  # draft by draft: one array reused
    for position, i in enumerate(order):
        guild_id, home_id, bit, _ = parsed[i]
        who = index[starts[i] : starts[i + 1]]  # distinct within one (post, emoji): OR is right
        value = np.uint64(bit)
        draft[who] |= value
        if guild_id not in servers:
            servers[guild_id] = np.zeros(size, dtype=np.uint64)
        servers[guild_id][who] |= value
        overall[who] |= value
        if position + 1 == len(order) or parsed[order[position + 1]][1] != home_id:
            drafts[home_id] = _figures(draft, area_bits, stance_bits)
            draft.fill(0)
    return Counts(
        drafts,
        {guild_id: _figures(masks, area_bits, stance_bits) for guild_id, masks in servers.items()},
        _figures(overall, area_bits, stance_bits),
    )
