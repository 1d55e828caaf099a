"""Digests on demand, weekly and to a folder: the rules around the builder, without Discord objects."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import Clock, to_db
from bot.data import leases
from bot.data.database import Database
from bot.data.digest import WeeklyTarget
from bot.digest.builder import Digest, DigestBuilder
from bot.digest.heatmap import HeatmapPainter
from bot.digest.period import latest_slot, parse_since, week_key
from bot.digest.servers import GuildNames
from bot.sharding import ALL_SHARDS, ShardScope

log = logging.getLogger(__name__)

MANUAL = "manual"
WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A guild whose weekly digest for ``period_key`` (the ISO week of ``slot``) is not yet posted."""

    target: WeeklyTarget
    slot: datetime
    period_key: str


class DigestService:
    """Builds digests and keeps the digest log that makes "since the last digest" and "once a week" hold."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        painter: HeatmapPainter | None = None,
        guild_names: GuildNames | None = None,
        claimer: str = leases.CLAIMER,
    ) -> None:
        self.clock = clock
        self.claimer = claimer  # who holds this process's weekly leases (``bot.data.leases``)
        self.builder = DigestBuilder(db, painter, guild_names=guild_names)
        self.repository = self.builder.repository

    async def manual(
        self,
        guild_id: int,
        *,
        since: str | None,
        recommendation_number: int | None = None,
        locale: object = None,
        request_id: int | str = "",
        record: bool = True,
    ) -> Digest:
        """A digest a member asked for; recorded (kind ``manual``) so the next one can say what changed."""
        now = self.clock.now()
        wanted = parse_since(since, now)
        moment, previous, earlier = await self.builder.resolve_since(guild_id, wanted, recommendation_number)
        digest = await self.builder.build(
            guild_id,
            since=moment,
            now=now,
            previous=previous,
            earlier=earlier,
            recommendation_number=recommendation_number,
            locale=locale,
        )
        if record:
            await self.record_manual(guild_id, digest, request_id)
        return digest

    async def record_manual(self, guild_id: int, digest: Digest, request_id: int | str = "") -> None:
        """Record a digest the member received, so the next one starts where it ended and can say what
        changed; one Discord refused is not recorded, or "since the last digest" would skip it."""
        await self.repository.record(
            guild_id,
            MANUAL,
            f"{to_db(digest.until)}/{request_id}",
            digest.since,
            digest.until,
            digest.figures,
        )

    async def due_weekly(self, scope: ShardScope = ALL_SHARDS) -> list[DueDigest]:
        """Guilds of ``scope`` whose latest weekly slot has passed, that was after their set-up, and is
        neither sent nor leased (a lease that ran out, of a process killed mid-post, is due again)."""
        now = self.clock.now()
        due = []
        for target in await self.repository.weekly_targets():
            if not scope.owns(target.guild_id):
                continue
            slot = latest_slot(now, target.digest_weekday, target.digest_hour)
            if slot <= target.created_at:
                continue  # the first weekly digest is the first slot after the consultation was set up
            key = week_key(slot)
            if not await self.repository.is_claimed(target.guild_id, WEEKLY, key, now):
                due.append(DueDigest(target, slot, key))
        return due

    async def next_weekly(self, guild_id: int) -> datetime | None:
        """When the guild's next weekly digest goes out (now: at the next round); None without a channel."""
        now = self.clock.now()
        for target in await self.repository.weekly_targets():
            if target.guild_id != guild_id:
                continue
            slot = latest_slot(now, target.digest_weekday, target.digest_hour)
            if slot > target.created_at and not await self.repository.is_claimed(
                guild_id, WEEKLY, week_key(slot)
            ):
                return now
            upcoming = slot + timedelta(days=7)
            if await self.repository.is_claimed(guild_id, WEEKLY, week_key(upcoming)):
                upcoming += timedelta(days=7)  # moved later within a week whose digest was already sent
            return upcoming
        return None

    async def release_weekly(self, due: DueDigest) -> None:
        """Give back a claimed week whose post Discord refused, so the next turn tries again."""
        await self.repository.release(due.target.guild_id, WEEKLY, due.period_key, self.claimer)

    async def sent_weekly(self, due: DueDigest) -> bool:
        """The week's digest was posted: it enters the log (the next one starts where it ended)."""
        return await self.repository.mark_sent(
            due.target.guild_id, WEEKLY, due.period_key, self.clock.now(), self.claimer
        )

    async def weekly(self, due: DueDigest, locale: object = None) -> Digest | None:
        """Build the weekly digest and lease its period; None when another claimer holds or sent it.

        The period runs from the previous weekly digest (or a week before the slot) to now; "what
        changed" compares with the previous weekly digest. The lease is taken before anything is
        posted and the caller marks the week sent after the post (``sent_weekly``): a process killed
        in between leaves a lease that runs out (``bot.data.leases.LEASE``), and the week is due again.
        """
        now = self.clock.now()
        previous_weekly = await self.repository.digests(due.target.guild_id, WEEKLY)
        previous = previous_weekly[-1] if previous_weekly else None
        since = previous.created_at if previous else due.slot - timedelta(days=7)
        digest = await self.builder.build(
            due.target.guild_id,
            since=since,
            now=now,
            previous=previous,
            earlier=previous_weekly,
            locale=locale,
        )
        claimed = await self.repository.lease(
            due.target.guild_id, WEEKLY, due.period_key, since, now, digest.figures, self.claimer
        )
        if not claimed:
            log.info(
                "Weekly digest %s of guild %s is sent or being sent", due.period_key, due.target.guild_id
            )
            return None
        return digest

    async def export(
        self,
        out_dir: Path,
        guild_id: int | None = None,
        since: str | None = None,
    ) -> tuple[Digest, list[Path]]:
        """Write the five files of a digest to ``out_dir`` (the CLI); not recorded in the digest log.

        Without ``guild_id`` the database must hold exactly one guild.
        """
        if guild_id is None:
            guilds = await self.repository.guild_ids()
            if len(guilds) != 1:
                raise LookupError(
                    "no guild in the database yet"
                    if not guilds
                    else f"several guilds: {guilds}; pass --guild ID"
                )
            guild_id = guilds[0]
        digest = await self.manual(guild_id, since=since, record=False)
        return digest, write_files(digest, out_dir)


def write_files(digest: Digest, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in digest.files.items():
        path = out_dir / name
        path.write_bytes(data)
        paths.append(path)
    return paths
