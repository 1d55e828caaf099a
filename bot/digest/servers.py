"""A home digest across its linked servers (issue 16): one picture of one consultation.

Each linked server keeps its own copies of the home drafts (same numbers), its own posts, reactions and
feedback. The home digest maps every copy to its home draft: the tallies count each person once across
servers (their ids read once, ``bot.data.digest_servers``, counted by ``bot.digest.server_counts``),
feedback is summed and listed with its server, and each server's own share (its own tally, its
participation per scoping area) is kept beside the total. Servers that left or were removed keep
their data so far, marked as such.

``Servers.read`` answers ``None`` for a server on its own (and for a joined server, whose own digest
covers its own share only): the builder then takes the single-server path unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from bot.data.digest import AreaInfo, DigestRecommendation, DigestRepository, FeedbackFigure, FeedbackItem
from bot.data.digest_listing import LINE_END
from bot.data.digest_servers import MAX_AREAS, STANCE_BITS, ServerDigestRepository
from bot.data.reactions import AreaTally, StanceTally
from bot.digest.csvfile import FORMULA_STARTS, CsvFile, cells_text
from bot.digest.server_counts import Counts, Figures, count
from bot.i18n import t

GuildNames = Callable[[int], str | None]  # a server's name from the bot's cache; None: not seen
HOME = "home"
STANCES = ("support", "oppose", "needs_work")


@dataclass(frozen=True, slots=True)
class Server:
    guild_id: int
    label: str  # "Name (id)", or "(id)" when the bot does not see the server (removed)
    status: str  # home, active, left, removed
    health: str  # ok, bot_removed, channel_missing, permission_missing
    health_detail: str | None
    copies: dict[int, int]  # home draft id -> this server's recommendation id (the digest's drafts only)


@dataclass(frozen=True, slots=True)
class ServerFigures:
    """One server's own share: who reacted there, its feedback, and the areas its members tagged."""

    server: Server
    reactors: int  # members who reacted on any of its posts of the digest's drafts
    feedback_in_period: int
    feedback_total: int
    area_members: dict[int, int]  # area number -> its members who tagged it on any draft


@dataclass(frozen=True, slots=True)
class Participation:
    servers: list[ServerFigures]
    people: int  # who reacted anywhere, each person once
    area_people: dict[int, int]  # area number -> people who tagged it anywhere, each once


@dataclass(frozen=True, slots=True)
class ServerTally:
    """One server's own tally of the digest's drafts (as its own digest's tallies.csv has it)."""

    server: Server
    recommendations: list[DigestRecommendation]
    areas: list[AreaInfo]
    area_rows: list[AreaTally]
    stance_by_rec: dict[int, StanceTally]


def server_label(guild_id: int, guild_names: GuildNames | None, locale: object) -> str:
    name = guild_names(guild_id) if guild_names is not None else None
    if name:
        return t("digest.server_named", locale, name=name, id=guild_id)
    return t("digest.server_unseen", locale, id=guild_id)


class Servers:
    """The reads of one home digest over its servers (home first, then in joining order)."""

    def __init__(
        self,
        repos: Sequence[DigestRepository],
        servers: list[Server],
        recommendations: list[DigestRecommendation],
        areas: list[AreaInfo],
    ) -> None:
        self.repos = repos
        self.reads = ServerDigestRepository(repos[0].reads)
        self.servers = servers
        self.recommendations = recommendations
        self.areas = areas
        self.area_bits = {area.number: 1 << i for i, area in enumerate(areas[:MAX_AREAS])}
        self.item_servers: dict[int, str] = {}  # feedback id -> its server's label (digest.md)
        self._bits: list[tuple[int, str, int]] | None = None
        self._areas: dict[int, list[AreaInfo]] = {}
        self._figures: dict[int, list[FeedbackFigure]] = {}
        self._counts: Counts | None = None

    @classmethod
    async def read(
        cls,
        repos: Sequence[DigestRepository],
        home_guild_id: int,
        recommendations: list[DigestRecommendation],
        areas: list[AreaInfo],
        guild_names: GuildNames | None,
        locale: object,
    ) -> Servers | None:
        """The servers of the home's consultation; ``None`` when no server ever joined it."""
        reads = ServerDigestRepository(repos[0].reads)
        linked = await reads.linked(home_guild_id)
        if not linked:
            return None
        copies = await reads.copies(home_guild_id)
        wanted = [rec.id for rec in recommendations]
        servers = [
            Server(home_guild_id, server_label(home_guild_id, guild_names, locale), HOME, "ok", None,
                   {rec_id: rec_id for rec_id in wanted})
        ]  # fmt: skip
        for link in linked:
            own = copies.get(link.guild_id, {})
            servers.append(
                Server(link.guild_id, server_label(link.guild_id, guild_names, locale), link.status,
                       link.health, link.health_detail, {h: own[h] for h in wanted if h in own})
            )  # fmt: skip
        return cls(repos, servers, recommendations, areas)

    def _drafts(self) -> list[tuple[int, int]]:
        return [(copy_id, home_id) for s in self.servers for home_id, copy_id in s.copies.items()]

    async def _emoji_bits(self) -> list[tuple[int, str, int]]:
        """(server, emoji, bit): as the single-server cross-tab, an emoji names the first area (by number)
        that has it, and a stance only if no area has it; areas match the home's by number."""
        if self._bits is None:
            rows = await self.reads.emoji([s.guild_id for s in self.servers])
            owned: dict[tuple[int, str], int] = {}
            for guild_id, emoji, number, key in sorted(rows, key=lambda r: (r[2] is None, r[2] or 0)):
                if (guild_id, emoji) not in owned:
                    bit = self.area_bits.get(number, 0) if number is not None else STANCE_BITS.get(key, 0)
                    owned[guild_id, emoji] = bit
            self._bits = [(g, e, bit) for (g, e), bit in owned.items() if bit]
        return self._bits

    async def areas_of(self, guild_id: int) -> list[AreaInfo]:
        if guild_id not in self._areas:
            self._areas[guild_id] = await self.repos[0].areas(guild_id)
        return self._areas[guild_id]

    # -- tallies ----------------------------------------------------------------------------

    async def _people(self) -> Counts:
        """Every member's emoji on the digest's drafts, each reader reading a share of the drafts."""
        if self._counts is None:
            drafts, bits = self._drafts(), await self._emoji_bits()
            joined = self.repos[0].db.joined_ids("r.user_id")
            shares = await asyncio.gather(*(
                ServerDigestRepository(repo.reads).member_ids(drafts[i :: len(self.repos)], joined)
                for i, repo in enumerate(self.repos)
            ))  # fmt: skip
            stance_bits = [STANCE_BITS[key] for key in STANCES]
            rows = list(chain.from_iterable(shares))
            self._counts = count(rows, bits, list(self.area_bits.values()), stance_bits)
        return self._counts

    async def tallies(self) -> tuple[list[AreaTally], list[StanceTally]]:
        """The home tally over every server, each person counted once per cell."""
        drafts, none = (await self._people()).per_draft, [0, 0, 0, 0]
        area_rows = [
            AreaTally(rec.id, rec.number, area.number, *(
                drafts[rec.id].areas.get(self.area_bits.get(area.number, 0), none)
                if rec.id in drafts else none
            ))
            for rec in self.recommendations
            for area in self.areas
        ]  # fmt: skip
        stance_rows = [
            StanceTally(rec.id, rec.number, *(drafts[rec.id].total if rec.id in drafts else none))
            for rec in self.recommendations
        ]
        return area_rows, stance_rows

    async def server_tallies(self) -> list[ServerTally]:
        """Each server's own tally of the digest's drafts (its copies), from its kept pair counts."""
        repo, found = self.repos[0], []
        for server in self.servers:
            own = set(server.copies.values())
            one = next(iter(own)) if len(self.recommendations) == 1 and own else None
            area_rows, stance_rows = await repo.tallies(server.guild_id, one) if own else ([], [])
            found.append(
                ServerTally(
                    server,
                    [rec for rec in await repo.recommendations(server.guild_id) if rec.id in own],
                    await self.areas_of(server.guild_id),
                    [row for row in area_rows if row.recommendation_id in own],
                    {row.recommendation_id: row for row in stance_rows if row.recommendation_id in own},
                )
            )
        return found

    async def participation(self) -> Participation:
        """Per server: who reacted, its feedback, its members per scoping area; and everyone once."""
        counts = await self._people()

        def by_area(figures: Figures | None) -> dict[int, int]:
            return {
                number: figures.areas[bit][0] if figures is not None else 0
                for number, bit in self.area_bits.items()
            }

        servers = []
        for server in self.servers:
            people = counts.per_server.get(server.guild_id)
            figures = self._figures.get(server.guild_id, [])
            servers.append(
                ServerFigures(
                    server,
                    people.total[0] if people is not None else 0,
                    sum(f.in_period for f in figures),
                    sum(f.total for f in figures),
                    by_area(people),
                )
            )
        return Participation(servers, counts.overall.total[0], by_area(counts.overall))

    # -- feedback ---------------------------------------------------------------------------

    async def member_names(self) -> dict[int, str]:
        """Names last seen on every server; the home's win where a member is on several."""
        names: dict[int, str] = {}
        for server in reversed(self.servers):
            names.update(await self.repos[0].member_names(server.guild_id))
        return names

    async def feedback_figures(self, since: datetime | None) -> list[FeedbackFigure]:
        """Every server's figures on its copies, as the home drafts', summed per (draft, area, language)."""
        summed: dict[tuple[int, int | None, str | None], list[int]] = {}
        guild_ids = [server.guild_id for server in self.servers]
        beside = self.repos[1].reads if len(self.repos) > 1 else None  # one statement per connection
        rows = await self.reads.feedback_figures(guild_ids, since, beside=beside)
        for server in self.servers:
            home_of = {copy_id: home_id for home_id, copy_id in server.copies.items()}
            number_of = {area.id: area.number for area in await self.areas_of(server.guild_id)}
            own = [
                FeedbackFigure(home_of[rec_id], number_of.get(area_id) if area_id is not None else None,
                               language, *values)
                for guild_id, rec_id, area_id, language, *values in rows
                if guild_id == server.guild_id and rec_id in home_of
            ]  # fmt: skip
            self._figures[server.guild_id] = own
            for f in own:
                total = summed.setdefault((f.recommendation_id, f.area_number, f.language), [0, 0, 0, 0])
                for i, value in enumerate((f.in_period, f.total, f.answered_in_period, f.answered)):
                    total[i] += value
        return [FeedbackFigure(*key, *values) for key, values in summed.items()]

    async def _latest(self, repo: DigestRepository, since: datetime | None, keep: int) -> list[FeedbackItem]:
        """digest.md's latest items of every server, as items of the home drafts and areas."""
        home_area = {area.number: area.id for area in self.areas}
        found = []
        for server in self.servers:
            home_of = {copy_id: home_id for home_id, copy_id in server.copies.items()}
            number_of = {area.id: area.number for area in await self.areas_of(server.guild_id)}
            for item in await repo.latest_feedback(server.guild_id, list(home_of), since, keep):
                area = home_area.get(number_of.get(item.area_id, -1)) if item.area_id is not None else None
                found.append(item._replace(recommendation_id=home_of[item.recommendation_id], area_id=area))
                self.item_servers[item.id] = server.label
        return sorted(found, key=lambda item: (item.created_at, item.id))

    async def feedback_file(
        self, since: datetime | None, header: Sequence[str], keep: int
    ) -> tuple[CsvFile, int, list[FeedbackItem]]:
        """feedback.csv with a last ``server`` column (every server's items of a draft, oldest first), how
        many items it lists, and the latest ``keep`` per (draft, area) over every server."""
        ends = {server.guild_id: "," + cells_text((server.label,)) + LINE_END for server in self.servers}
        # Per draft: every server's copy of it, listed by one statement (merged in time order there).
        jobs = [
            (rec, [(server.guild_id, copy_id, ends[server.guild_id]) for server in self.servers
                   if (copy_id := server.copies.get(rec.id)) is not None])
            for rec in self.recommendations
        ]  # fmt: skip
        readers = len(self.repos)

        async def run(index: int) -> list[tuple[int, tuple[bytes, int]]]:
            # One statement at a time per reader connection: the first ranks digest.md's items first.
            if index == 0:
                latest.extend(await self._latest(self.repos[0], since, keep))
            repo = self.repos[index]
            return [
                (rec.id, await repo.feedback_text(sources, cells_text((rec.number, rec.title)), since,
                                                  FORMULA_STARTS))
                for rec, sources in jobs[index::readers]
                if sources
            ]  # fmt: skip

        latest: list[FeedbackItem] = []
        parts = dict(chain.from_iterable(await asyncio.gather(*(run(i) for i in range(readers)))))
        feedback_csv = CsvFile((*header, "server"))
        in_period = 0
        for rec in self.recommendations:
            text, items = parts.get(rec.id, (b"", 0))
            feedback_csv.write_encoded(text)
            in_period += items
        return feedback_csv, in_period, latest
