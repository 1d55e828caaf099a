"""``python -m bot digest --out DIR [--guild ID] [--since DATE]``: a digest's files without Discord."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.data.database import Database
from bot.digest.service import DigestService
from bot.errors import UserError
from bot.i18n import t


async def export_digest(
    settings: Settings,
    out_dir: Path,
    guild_id: int | None,
    since: str | None,
    out: Callable[[str], None],
) -> int:
    """Write digest.md, tallies.csv, feedback.csv, signups.csv and heatmap.png; 0 on success.

    Reads ``settings.database_path``; the digest log is not changed, so the working group's "since
    the last digest" in Discord is not moved by a pull from the command line.
    """
    if settings.database_url is None and not settings.database_path.exists():
        sys.stderr.write(f"error: {t('digest.cli.no_database', None, path=settings.database_path)}\n")
        return 2
    database = await Database.open(settings.database_target)
    try:
        service = DigestService(database, SystemClock())
        try:
            digest, paths = await service.export(out_dir, guild_id, since)
        except UserError as error:
            sys.stderr.write(f"error: {t(error.key, None, **error.params)}\n")
            return 2
    finally:
        await database.close()
    until = digest.until.strftime("%Y-%m-%d %H:%M UTC")
    period = t("digest.md.period", None, since=_when(digest), until=until)
    out(t("digest.cli.heading", None, title=digest.title, guild=digest.guild_id, period=period))
    for s in digest.summaries:
        out(t("digest.cli.recommendation", None, number=s.number, **s.counts()))
    out(t("digest.cli.wrote", None, count=len(paths), seconds=f"{digest.seconds.get('total', 0):.2f}"))
    for path in paths:
        out(f"  {path}")
    return 0


def _when(digest: object) -> str:
    since = getattr(digest, "since", None)
    return since.strftime("%Y-%m-%d %H:%M UTC") if since is not None else t("digest.md.beginning", None)
