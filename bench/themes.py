"""Themes: embedding throughput, suggestions over N items, peak RSS with the encoder loaded.

Run: ``python -m bench.themes [--items N]``. A temp database gets N feedback items (the labelled set's
112 comments, each with a varying tail so every text is embedded), then the service embeds them all
(the background job's path: batches in a worker thread, int8 storage) and suggests themes over all of
them (read, dequantise, cluster, store). Targets: >= 200 items/s, suggestions < 5 s for 10,000 items,
peak RSS < 300 MB (this process holds the bot's modules, the database and the encoder: what the bot
adds by loading themes).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench._common import run_main
from bot.clock import FakeClock
from bot.content import load_content
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.guilds import GuildRepository
from bot.data.recommendations import RecommendationRepository
from bot.themes.service import ThemesService
from tests.themes_set.score import load

GUILD = 777_000_000_000_000_017


def rss_mb(field: str = "VmHWM") -> float:
    """``VmHWM``: the peak so far; ``VmRSS``: now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(items: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "themes.sqlite3")
        clock = FakeClock()
        try:
            await GuildRepository(db).ensure(GUILD, load_content(), clock.now())
            drafts = await RecommendationRepository(db).all(GUILD)
            texts = [item.text for item in load()]
            feedback = FeedbackRepository(db)
            for n in range(items):
                await feedback.add(
                    guild_id=GUILD, recommendation_id=drafts[n % len(drafts)].id, version=1,
                    author_id=1000 + n, body=f"{texts[n % len(texts)]} ({n})", source="form",
                    now=clock.now(), language="en",
                )  # fmt: skip
            print(f"{items} items stored; RSS before the encoder: {rss_mb('VmRSS'):.0f} MB")
            service = ThemesService(db, clock)
            started = time.perf_counter()
            await asyncio.to_thread(service._encode, ["warm"])  # both models loaded, as the first batch does
            print(f"models loaded in {time.perf_counter() - started:.1f} s; RSS {rss_mb('VmRSS'):.0f} MB")
            embedded = await service.embed_pending()
            seconds = time.perf_counter() - started
            print(
                f"embedded {embedded} in {seconds:.1f} s: {embedded / seconds:.0f} items/s (incl. model load)"
            )
            print(f"RSS after embedding {rss_mb('VmRSS'):.0f} MB, peak so far {rss_mb():.0f} MB")
            started = time.perf_counter()
            summaries, unthemed = await service.suggest(GUILD, None)
            seconds = time.perf_counter() - started
            print(f"suggestions over {items}: {seconds:.2f} s, {len(summaries)} themes, {unthemed} unthemed")
            print(f"peak RSS: {rss_mb():.0f} MB")
        finally:
            await db.close()


if __name__ == "__main__":
    run_main(main, __doc__, ("--items", 10_000, "feedback items"))
