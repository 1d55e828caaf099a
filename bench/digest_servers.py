"""Digest benchmark over linked servers (issue 16): bench.digest's data spread over a home and two linked
servers, the home digest timed (people counted once across servers, read from the reactions rows).

Run: ``python -m bench.digest_servers --db PATH [--repeat N]``. ``PATH`` is a database made by
``python -m bench.digest --db PATH`` (generated first when missing); it is copied, never changed. In the
copy each server has copies of the nine drafts with live posts; members are shared out by id (a third per
server) and one in seven of the linked servers' members also reacts on the home server the same way, so
people are on two servers. A third of the feedback goes to each server. The members per cell are then
checked against ``COUNT(DISTINCT user_id)`` over every server's post of the draft.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.digest import GUILD, NOW
from bench.digest import main as make_single
from bot.content import load_content
from bot.data.database import Database
from bot.data.guilds import GuildRepository
from bot.data.links import LinkRepository
from bot.data.reaction_pairs import REBUILD
from bot.digest.builder import DigestBuilder
from bot.digest.heatmap import HeatmapPainter

LINKED = (525_252, 626_262)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def link_servers(path: Path) -> None:
    database = await Database.open(path)
    try:
        links = LinkRepository(database)
        invite = await links.create_invite(GUILD, "BENCH", 1, NOW, None, None)
        for guild in LINKED:
            await GuildRepository(database).ensure(guild, load_content(), NOW)
            homes = await database.fetchall(
                "SELECT id, number FROM recommendations WHERE guild_id = ?", (GUILD,)
            )
            own = dict(
                (row[1], row[0])
                for row in await database.fetchall(
                    "SELECT id, number FROM recommendations WHERE guild_id = ?", (guild,)
                )
            )
            async with database.transaction() as tx:
                await links.join(tx, guild, GUILD, invite.id, 1, NOW)
                for home_id, number in homes:
                    await links.add_mirror(tx, own[number], home_id)
    finally:
        await database.close()


def spread(path: Path) -> None:
    """Move a third of the members' reactions and of the feedback to each linked server's copies."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    with con:
        for index, guild in enumerate(LINKED, start=1):
            con.execute(
                "INSERT INTO posts (message_id, guild_id, recommendation_id, channel_id, kind, created_at)"
                " SELECT ? + h.number, ?, c.id, 6, 'text', '2026-01-01T00:00:00+00:00'"
                " FROM recommendations h JOIN recommendation_mirrors m ON m.home_recommendation_id = h.id"
                " JOIN recommendations c ON c.id = m.recommendation_id AND c.guild_id = ?"
                " WHERE h.guild_id = ?",
                (index * 100_000, guild, guild, GUILD),
            )
            post_of = "(? + (p.message_id - 10000))"
            # Members on two servers: one in seven of this server's members also reacts at home.
            con.execute(
                "INSERT INTO reactions (message_id, emoji, user_id, reacted_at)"
                f" SELECT {post_of}, r.emoji, r.user_id, r.reacted_at FROM reactions r"
                " JOIN posts p ON p.message_id = r.message_id AND p.guild_id = ? AND p.status = 'live'"
                " WHERE r.user_id % 3 = ? AND r.user_id % 7 = 0",
                (index * 100_000, GUILD, index),
            )
            con.execute(
                f"UPDATE reactions SET message_id = (SELECT {post_of} FROM posts p"
                "   WHERE p.message_id = reactions.message_id)"
                " WHERE user_id % 3 = ? AND user_id % 7 <> 0 AND message_id IN"
                " (SELECT message_id FROM posts WHERE guild_id = ? AND status = 'live')",
                (index * 100_000, index, GUILD),
            )
            con.execute(
                "UPDATE feedback SET guild_id = ?,"
                " recommendation_id = (SELECT m.recommendation_id FROM recommendation_mirrors m"
                "   JOIN recommendations c ON c.id = m.recommendation_id AND c.guild_id = ?"
                "   WHERE m.home_recommendation_id = feedback.recommendation_id),"
                " scoping_area_id = (SELECT b.id FROM scoping_areas a JOIN scoping_areas b"
                "   ON b.number = a.number AND b.guild_id = ? WHERE a.id = feedback.scoping_area_id)"
                " WHERE id % 3 = ? AND guild_id = ?",
                (guild, guild, guild, index, GUILD),
            )
        for statement in REBUILD:
            con.execute(statement)
    con.execute("ANALYZE")
    con.close()


def distinct_members(path: Path) -> dict[tuple[int, object], int]:
    """{(draft number, area number or 'all'): distinct members} over every server, counted by SQLite."""
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT h.number, a.number, COUNT(DISTINCT r.user_id) FROM reactions r"
        " JOIN posts p ON p.message_id = r.message_id AND p.status = 'live'"
        " LEFT JOIN recommendation_mirrors m ON m.recommendation_id = p.recommendation_id"
        " JOIN recommendations h ON h.id = coalesce(m.home_recommendation_id, p.recommendation_id)"
        " LEFT JOIN scoping_areas a ON a.guild_id = p.guild_id AND a.emoji = r.emoji"
        " GROUP BY h.number, a.number"
    ).fetchall()
    everyone = con.execute(
        "SELECT h.number, COUNT(DISTINCT r.user_id) FROM reactions r"
        " JOIN posts p ON p.message_id = r.message_id AND p.status = 'live'"
        " LEFT JOIN recommendation_mirrors m ON m.recommendation_id = p.recommendation_id"
        " JOIN recommendations h ON h.id = coalesce(m.home_recommendation_id, p.recommendation_id)"
        " GROUP BY h.number"
    ).fetchall()
    con.close()
    found: dict[tuple[int, object], int] = {(n, a): c for n, a, c in rows if a is not None}
    found.update({(n, "all"): c for n, c in everyone})
    return found


async def measure(path: Path, repeat: int) -> None:
    database = await Database.open(path)
    painter = HeatmapPainter()
    await painter.warm_up()
    try:
        builder = DigestBuilder(database, painter)
        previous = await builder.repository.last_digest(GUILD)
        for label, since in (
            ("since the last digest", previous.created_at if previous else None),
            ("all", None),
        ):
            runs = []
            for _ in range(repeat):
                cpu = time.process_time()
                digest = await builder.build(GUILD, since=since, now=NOW, previous=previous)
                runs.append((digest.seconds, time.process_time() - cpu))
            best = min(runs, key=lambda run: run[0]["total"])[0]
            totals = [r[0]["total"] * 1000 for r in runs]
            cpu = statistics.median(r[1] for r in runs) * 1000
            steps = (best["tallies"], best["figures"] - best["tallies"], best["feedback"] - best["figures"])
            say(
                f"Home digest over 3 servers, {label}: {digest.feedback_in_period:,} feedback items; best"
                f" {min(totals):.0f} ms, median {statistics.median(totals):.0f} ms, CPU median {cpu:.0f} ms;"
                " tallies at {:.0f} ms, figures +{:.0f} ms, listing +{:.0f} ms".format(
                    *(x * 1000 for x in steps)
                )
            )
        expected = distinct_members(path)
        got = {(r.recommendation_number, r.area_number): r.members for r in digest.area_tallies}
        got.update({(r.recommendation_number, "all"): r.members for r in digest.stance_tallies})
        ok = all(got[key] == expected.get(key, 0) for key in got)
        say(f"Members per cell equal COUNT(DISTINCT user_id) over every server: {'yes' if ok else 'NO'}")
        for figures in digest.servers:
            say(
                f"  {figures.server.label}: {figures.reactors:,} reacted, {figures.feedback_total:,} feedback"
            )
        if not ok:
            raise SystemExit(1)
    finally:
        painter.close()
        await database.close()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.digest_servers", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", type=Path, required=True, help="bench.digest's database (made when missing)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.db.exists():
        await make_single(["--db", str(args.db), "--repeat", "1", "--no-check"])
    with tempfile.TemporaryDirectory(prefix="digest-servers-bench-") as folder:
        path = Path(folder) / "servers.sqlite3"
        shutil.copy(args.db, path)
        started = time.perf_counter()
        await link_servers(path)
        spread(path)
        say(f"Spread over 3 servers in {time.perf_counter() - started:.1f} s")
        await measure(path, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
