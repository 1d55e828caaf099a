"""Per-guild settings and the guild's consultation content (scoping areas, stances, drafts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_db, to_db
from bot.content import Content
from bot.data.database import Database, Transaction

PHASES = ("draft", "open", "closed")
SETTABLE = (
    "consultation_title",
    "channel_id",
    "channel_kind",
    "working_group_role_id",
    "moderator_role_id",
    "digest_channel_id",
    "modlog_channel_id",
    "phase",
    "phase_changed_at",
    "closes_at",
    "digest_weekday",
    "digest_hour",
    "reminder_minutes",
)


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    consultation_title: str
    channel_id: int | None
    channel_kind: str | None
    working_group_role_id: int | None
    moderator_role_id: int | None
    digest_channel_id: int | None
    modlog_channel_id: int | None
    phase: str
    phase_changed_at: datetime | None
    closes_at: datetime | None
    digest_weekday: int
    digest_hour: int
    reminder_minutes: tuple[int, ...]

    @property
    def is_open(self) -> bool:
        return self.phase == "open"


@dataclass(frozen=True, slots=True)
class ScopingArea:
    id: int
    number: int
    name: str
    short_name: str
    emoji: str
    forum_tag_id: int | None


@dataclass(frozen=True, slots=True)
class Stance:
    key: str
    label: str
    emoji: str


def _settings(r: aiosqlite.Row) -> GuildSettings:
    return GuildSettings(
        guild_id=r["guild_id"],
        consultation_title=r["consultation_title"],
        channel_id=r["channel_id"],
        channel_kind=r["channel_kind"],
        working_group_role_id=r["working_group_role_id"],
        moderator_role_id=r["moderator_role_id"],
        digest_channel_id=r["digest_channel_id"],
        modlog_channel_id=r["modlog_channel_id"],
        phase=r["phase"],
        phase_changed_at=from_db(r["phase_changed_at"]) if r["phase_changed_at"] else None,
        closes_at=from_db(r["closes_at"]) if r["closes_at"] else None,
        digest_weekday=r["digest_weekday"],
        digest_hour=r["digest_hour"],
        reminder_minutes=tuple(int(m) for m in r["reminder_minutes"].split(",") if m),
    )


class GuildRepository:
    """Guild settings and content; a guild gets the default content the first time it is seen."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int) -> GuildSettings | None:
        row = await self.db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return _settings(row) if row else None

    async def ensure(self, guild_id: int, content: Content, now: datetime) -> GuildSettings:
        """The guild's settings, creating them (with ``content``) on first use."""
        existing = await self.get(guild_id)
        if existing is not None:
            return existing
        async with self.db.transaction() as tx:
            stamp = to_db(now)
            await tx.execute(
                "INSERT INTO guild_settings (guild_id, consultation_title, created_at, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, content.title, stamp, stamp),
            )
            await self._write_content(tx, guild_id, content, stamp)
        settings = await self.get(guild_id)
        assert settings is not None
        return settings

    async def load_content(self, guild_id: int, content: Content, now: datetime) -> None:
        """Replace the guild's areas and stances; add or retitle drafts (new versions)."""
        await self.ensure(guild_id, content, now)
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE guild_settings SET consultation_title = ?, updated_at = ? WHERE guild_id = ?",
                (content.title, to_db(now), guild_id),
            )
            await self._write_content(tx, guild_id, content, to_db(now))

    @staticmethod
    async def _write_content(tx: Transaction, guild_id: int, content: Content, stamp: str) -> None:
        numbers = [a.number for a in content.scoping_areas]
        await tx.execute(
            f"DELETE FROM scoping_areas WHERE guild_id = ? AND number NOT IN "
            f"({','.join('?' * len(numbers))})",
            (guild_id, *numbers),
        )
        # Emoji may move between areas: clear them first so the unique index holds mid-way.
        await tx.execute("UPDATE scoping_areas SET emoji = '~' || id WHERE guild_id = ?", (guild_id,))
        for area in content.scoping_areas:
            await tx.execute(
                "INSERT INTO scoping_areas (guild_id, number, name, short_name, emoji)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, number) DO UPDATE SET"
                " name = excluded.name, short_name = excluded.short_name, emoji = excluded.emoji",
                (guild_id, area.number, area.name, area.short_name, area.emoji),
            )
        await tx.execute("DELETE FROM stances WHERE guild_id = ?", (guild_id,))
        await tx.executemany(
            "INSERT INTO stances (guild_id, key, label, emoji) VALUES (?, ?, ?, ?)",
            [(guild_id, s.key, s.label, s.emoji) for s in content.stances],
        )
        for spec in content.recommendations:
            row = await tx.fetchone(
                "SELECT r.id, v.title, v.body, r.current_version FROM recommendations r"
                " JOIN recommendation_versions v"
                "   ON v.recommendation_id = r.id AND v.version = r.current_version"
                " WHERE r.guild_id = ? AND r.number = ?",
                (guild_id, spec.number),
            )
            if row is None:
                rec_id = await tx.execute(
                    "INSERT INTO recommendations (guild_id, number, current_version, created_at)"
                    " VALUES (?, ?, 1, ?)",
                    (guild_id, spec.number, stamp),
                )
                await tx.execute(
                    "INSERT INTO recommendation_versions"
                    " (recommendation_id, version, title, body, created_at) VALUES (?, 1, ?, ?, ?)",
                    (rec_id, spec.title, spec.text, stamp),
                )
            elif (row["title"], row["body"]) != (spec.title, spec.text):
                version = row["current_version"] + 1
                await tx.execute(
                    "INSERT INTO recommendation_versions"
                    " (recommendation_id, version, title, body, created_at) VALUES (?, ?, ?, ?, ?)",
                    (row["id"], version, spec.title, spec.text, stamp),
                )
                await tx.execute(
                    "UPDATE recommendations SET current_version = ? WHERE id = ?",
                    (version, row["id"]),
                )

    async def update(self, guild_id: int, now: datetime, **changes: object) -> GuildSettings:
        unknown = set(changes) - set(SETTABLE)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        if "phase" in changes and changes["phase"] not in PHASES:
            raise ValueError(f"unknown phase {changes['phase']!r}")
        values = [to_db(v) if isinstance(v, datetime) else v for v in changes.values()]
        assignments = ", ".join(f"{column} = ?" for column in changes)
        await self.db.execute(
            f"UPDATE guild_settings SET {assignments}, updated_at = ? WHERE guild_id = ?",
            (*values, to_db(now), guild_id),
        )
        settings = await self.get(guild_id)
        if settings is None:
            raise LookupError(f"guild {guild_id} has no settings")
        return settings

    async def scoping_areas(self, guild_id: int) -> list[ScopingArea]:
        rows = await self.db.fetchall(
            "SELECT id, number, name, short_name, emoji, forum_tag_id FROM scoping_areas"
            " WHERE guild_id = ? ORDER BY number",
            (guild_id,),
        )
        return [ScopingArea(**dict(row)) for row in rows]

    async def stances(self, guild_id: int) -> list[Stance]:
        rows = await self.db.fetchall(
            "SELECT key, label, emoji FROM stances WHERE guild_id = ?"
            " ORDER BY CASE key WHEN 'support' THEN 1 WHEN 'oppose' THEN 2 ELSE 3 END",
            (guild_id,),
        )
        return [Stance(**dict(row)) for row in rows]

    async def set_forum_tags(self, guild_id: int, tag_ids: dict[int, int | None]) -> None:
        """Remember which forum tag stands for which scoping area (by area id)."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE scoping_areas SET forum_tag_id = ? WHERE guild_id = ? AND id = ?",
                [(tag, guild_id, area) for area, tag in tag_ids.items()],
            )

    async def guild_ids(self) -> list[int]:
        rows = await self.db.fetchall("SELECT guild_id FROM guild_settings ORDER BY guild_id")
        return [row[0] for row in rows]

    async def get_state(self, key: str) -> str | None:
        return await self.db.fetchval("SELECT value FROM bot_state WHERE key = ?", (key,))

    async def set_state(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
