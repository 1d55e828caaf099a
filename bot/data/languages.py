"""The SQL of languages: members' chosen language, drafts' translations, feedback's detected language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Database


@dataclass(frozen=True)
class Translation:
    recommendation_id: int
    language: str
    version: int
    title: str
    body: str
    translator_id: int | None
    created_at: datetime


class LanguageRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- members' own language ------------------------------------------------------------------

    async def chosen(self) -> list[tuple[int, int, str]]:
        """Every choice, ``(guild_id, user_id, language)``, oldest first (the bot keeps them in memory)."""
        rows = await self.db.fetchall(
            "SELECT guild_id, user_id, language FROM member_languages ORDER BY chosen_at, guild_id, user_id"
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def choose(self, guild_id: int, user_id: int, language: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO member_languages (guild_id, user_id, language, chosen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
            " language = excluded.language, chosen_at = excluded.chosen_at",
            (guild_id, user_id, language, to_db(now)),
        )

    async def clear(self, guild_id: int, user_id: int) -> int:
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "DELETE FROM member_languages WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )

    # -- translations of drafts -----------------------------------------------------------------

    async def add_translation(self, translation: Translation) -> None:
        """A new translation of one version (the same version and language again replaces it)."""
        await self.db.execute(
            "INSERT INTO recommendation_translations"
            " (recommendation_id, language, version, title, body, translator_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (recommendation_id, language, version) DO UPDATE SET"
            " title = excluded.title, body = excluded.body, translator_id = excluded.translator_id,"
            " created_at = excluded.created_at",
            (
                translation.recommendation_id,
                translation.language,
                translation.version,
                translation.title,
                translation.body,
                translation.translator_id,
                to_db(translation.created_at),
            ),
        )

    async def latest_translations(self, recommendation_id: int) -> dict[str, Translation]:
        """The newest translation in each language, ``{"es": Translation(...)}``."""
        rows = await self.db.fetchall(
            "SELECT recommendation_id, language, version, title, body, translator_id, created_at"
            " FROM recommendation_translations WHERE recommendation_id = ? ORDER BY language, version",
            (recommendation_id,),
        )
        latest: dict[str, Translation] = {}
        for row in rows:
            latest[row[1]] = Translation(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6]))
        return latest

    # -- the detected language of form feedback -------------------------------------------------

    async def form_feedback_without_language(self, after_id: int, limit: int = 500) -> list[tuple[int, str]]:
        """Form feedback stored before its text's language was detected: ``(id, body)`` after ``after_id``."""
        rows = await self.db.fetchall(
            "SELECT id, body FROM feedback WHERE source = 'form' AND language IS NULL AND locale IS NOT NULL"
            " AND id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def set_feedback_languages(self, detected: list[tuple[str | None, int]]) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany("UPDATE feedback SET language = ? WHERE id = ?", detected)
