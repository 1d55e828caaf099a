"""``python -m bot migrate-data --from sqlite:///old.sqlite3 --to postgresql://...``: moving up.

Copies every table of a SQLite deployment into an empty PostgreSQL database in one transaction (COPY,
tables in foreign-key order, identities continued after the highest id), then verifies: every table's
row count, and every guild's tally cell by cell, read back through the same repository code on both.
A target that holds any row is refused; a failed copy leaves the target as it was (empty schema).
Stop the bot first: rows written after a table was read would be missing from the copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.data.backends.postgres import PostgresBackend, PostgresTransaction
from bot.data.database import Database, MigrationError, parse_url
from bot.data.reactions import ReactionRepository

log = logging.getLogger(__name__)

PAGE = 20_000  # rows read from SQLite per statement


class MigrateDataError(Exception):
    """migrate-data refused or failed; the message is one sentence."""


@dataclass
class MigrationReport:
    counts: dict[str, int] = field(default_factory=dict)
    guilds: int = 0

    def sentence(self, source: str, target: str) -> str:
        rows = sum(self.counts.values())
        return (
            f"Copied {rows} rows in {len(self.counts)} tables from {source} to {target}; row counts and "
            f"the tally of {self.guilds} guild(s) verified equal."
        )


async def migrate_data(source_url: str, target_url: str) -> MigrationReport:
    if parse_url(source_url)[0] != "sqlite":
        raise MigrateDataError("--from must be a SQLite database: sqlite:///path/to/consultation.sqlite3.")
    if parse_url(target_url)[0] != "postgresql":
        raise MigrateDataError("--to must be a PostgreSQL database: postgresql://user@host/database.")
    source_path = parse_url(source_url)[1]
    if not hasattr(source_path, "is_file") or not source_path.is_file():  # type: ignore[union-attr]
        raise MigrateDataError(f"there is no SQLite database at {source_path}.")
    source = await Database.open(source_url, migrate=False)
    try:
        try:
            await source.verify_applied()
        except MigrationError as error:
            raise MigrateDataError(str(error)) from error
        target = await Database.open(target_url, migrate=False)
        try:
            await _refuse_non_empty(target)
            await target.migrate()
            if await source.applied_versions() != await target.applied_versions():
                raise MigrateDataError(
                    "the SQLite database is not at the installed migrations: run python -m bot migrate "
                    "with DATABASE_URL naming it first."
                )
            try:
                report = await _copy(source, target)
            except MigrateDataError:
                raise
            except Exception as error:
                raise MigrateDataError(f"the copy failed and was rolled back: {error}") from error
            await _verify(source, target, report)
        finally:
            await target.close()
    finally:
        await source.close()
    return report


async def _refuse_non_empty(target: Database) -> None:
    for table in await target.tables():
        if table != "schema_migrations" and await target.fetchval(f"SELECT 1 FROM {table} LIMIT 1"):
            raise MigrateDataError(
                f"the target database is not empty (table {table} has rows): migrate-data only fills an "
                "empty database."
            )


async def _copy(source: Database, target: Database) -> MigrationReport:
    backend = target.backend
    assert isinstance(backend, PostgresBackend)
    report = MigrationReport()
    tables = [t for t in await target.tables_in_dependency_order() if t != "schema_migrations"]
    missing = set(tables) - set(await source.tables())
    if missing:
        raise MigrateDataError(f"the SQLite database lacks tables {', '.join(sorted(missing))}.")
    async with target.transaction() as tx:
        assert isinstance(tx, PostgresTransaction)
        for table in tables:
            copied = 0
            last_rowid = None
            while True:
                # Pages in rowid order: a table of any size without holding it all in memory.
                rows = await source.fetchall(
                    f"SELECT rowid AS _rowid_, * FROM {table} WHERE ? IS NULL OR rowid > ? ORDER BY rowid"
                    " LIMIT ?",
                    (last_rowid, last_rowid, PAGE),
                )
                if not rows:
                    break
                columns = list(rows[0].keys())[1:]
                copied += await tx.copy_rows(table, columns, [tuple(row)[1:] for row in rows])
                last_rowid = rows[-1][0]
            if "id" in await backend.table_columns(table):
                await tx.rewind_identity(table)
            report.counts[table] = copied
            log.info("Copied %d rows of %s", copied, table)
    return report


async def _verify(source: Database, target: Database, report: MigrationReport) -> None:
    for table, copied in report.counts.items():
        before = await source.fetchval(f"SELECT COUNT(*) FROM {table}")
        after = await target.fetchval(f"SELECT COUNT(*) FROM {table}")
        if not before == after == copied:
            raise MigrateDataError(f"table {table}: {before} rows in SQLite but {after} in PostgreSQL.")
    rows = await source.fetchall("SELECT guild_id FROM guild_settings ORDER BY guild_id")
    guilds = [row[0] for row in rows]
    for guild_id in guilds:
        expected = await ReactionRepository(source).tallies(guild_id)
        found = await ReactionRepository(target).tallies(guild_id)
        if expected != found:
            raise MigrateDataError(f"the tally of guild {guild_id} differs after the copy.")
    report.guilds = len(guilds)
