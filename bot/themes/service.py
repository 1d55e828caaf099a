"""The rules of themes: embeddings in the background, suggestions, curation, "you said, we changed".

No discord.py here. Every curation step is written to the audit log; a refusal is a ``UserError``
whose key names its sentence in ``themes.toml``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.clock import Clock
from bot.data.audit import AuditEntry, AuditRepository
from bot.data.database import Database
from bot.data.recommendations import RecommendationRepository
from bot.data.themes import StoredVector, Theme, ThemeItem, ThemesRepository
from bot.errors import UserError
from bot.feedback.language import LanguageDetector
from bot.sharding import ALL_SHARDS, ShardScope
from bot.themes import cluster
from bot.themes.embedder import Embedder, UsemEmbedder, quantise
from bot.themes.summary import ThemeSummary, stored_of, summarise, vectors_of

log = logging.getLogger(__name__)

NEAREST_THRESHOLD = 0.45  # cosine to an accepted theme's centre for a new item to be suggested there
MAX_NAME = 80
MAX_NOTE = 200
MAX_ADDRESSED = 5  # themes one version may address (they travel in the edit form's custom id)
QUOTES = 3
BATCH = 256


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class AddressReport:
    themes: list[Theme]
    note: str
    notice_ids: list[int]


class ThemesService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        embedder: Embedder | None = None,
        detector: LanguageDetector | None = None,
        on_audit: Callable[[AuditEntry], Awaitable[None]] | None = None,
    ) -> None:
        self.repo = ThemesRepository(db)
        self.recommendations = RecommendationRepository(db)
        self.audit = AuditRepository(db)
        self.clock = clock
        self.embedder = embedder or UsemEmbedder()
        self.detector = detector or LanguageDetector()
        self.on_audit = on_audit
        self._centres: dict[int, tuple[list[Theme], np.ndarray]] = {}
        self._embedding = asyncio.Lock()

    async def record(
        self, guild_id: int, actor_id: int | None, action: str, target: str, reason: str | None
    ) -> None:
        entry = await self.audit.record(guild_id, actor_id, action, target, reason, self.clock.now())
        self._centres.pop(guild_id, None)
        if self.on_audit is not None:
            await self.on_audit(entry)

    # -- embeddings, in the background --------------------------------------------------------

    def _encode(self, texts: list[str]) -> tuple[np.ndarray, list[str | None]]:
        # The language model first (a no-op once loaded): loading it takes ~30 MB more for a moment than
        # it keeps, which must not come on top of the encoder's ~120 MB (bench.themes' peak).
        self.detector.warm_up()
        return self.embedder.encode(texts), [self.detector.detect(text) for text in texts]

    async def embed_pending(self, scope: ShardScope = ALL_SHARDS) -> int:
        """Drop the vectors of items no longer visible, embed the new and changed texts (in a worker
        thread), suggest each new item for its nearest accepted theme. Returns how many were embedded."""
        async with self._embedding:
            dropped = await self.repo.drop_invisible()
            if dropped:
                self._centres.clear()
            embedded = 0
            while work := await self.repo.embedding_work(self.embedder.name, BATCH, scope):
                changed = [w for w in work if w.text_hash != text_hash(w.body)]
                await self.repo.mark_seen([(w.feedback_id, w.updated_at) for w in work if w not in changed])
                if not changed:
                    continue
                vectors, languages = await asyncio.to_thread(self._encode, [w.body for w in changed])
                rows = [
                    StoredVector(
                        w.feedback_id,
                        w.guild_id,
                        text_hash(w.body),
                        w.updated_at,
                        language,
                        *reversed(quantise(v)),
                    )
                    for w, v, language in zip(changed, vectors, languages, strict=True)
                ]
                await self.repo.save_embeddings(self.embedder.name, rows, self.clock.now())
                for w, v in zip(changed, vectors, strict=True):
                    await self.suggest_nearest(w.guild_id, w.recommendation_id, w.feedback_id, v)
                embedded += len(changed)
            if embedded:
                log.info("Embedded %d feedback items", embedded)
            return embedded

    async def centres(self, guild_id: int) -> tuple[list[Theme], np.ndarray]:
        """The accepted themes and the centres of their confirmed items (cached until a change)."""
        if guild_id not in self._centres:
            themes = await self.repo.themes(guild_id, "accepted")
            items = (
                [i for i in await self.repo.items(guild_id) if i.item_status == "accepted"] if themes else []
            )
            kept, rows = [], []
            for theme in themes:
                members = [i for i in items if i.theme_id == theme.id]
                if members:
                    kept.append(theme)
                    rows.append(vectors_of(members).sum(axis=0))
            matrix = cluster.normalise(np.stack(rows)) if rows else np.empty((0, 512), dtype=np.float32)
            self._centres[guild_id] = (kept, matrix)
        return self._centres[guild_id]

    async def suggest_nearest(
        self, guild_id: int, recommendation_id: int, feedback_id: int, vector: np.ndarray
    ) -> int | None:
        """A new item is suggested for the nearest accepted theme of its draft (or of all drafts) when
        it is similar enough; never over a place the working group chose."""
        themes, matrix = await self.centres(guild_id)
        if not themes:
            return None
        scores = matrix @ vector
        for index in np.argsort(-scores):
            theme = themes[index]
            if scores[index] < NEAREST_THRESHOLD:
                return None
            if theme.recommendation_id in (None, recommendation_id):
                placed = await self.repo.place_if_open(
                    guild_id, feedback_id, theme.id, float(scores[index]), self.clock.now()
                )
                return theme.id if placed else None
        return None

    async def draft_id(self, guild_id: int, number: int | None) -> int | None:
        if number is None:
            return None
        recommendation = await self.recommendations.by_number(guild_id, number)
        if recommendation is None:
            raise UserError("recommendations.unknown", number=number)
        return recommendation.id

    # -- suggestions --------------------------------------------------------------------------

    async def open_items(self, guild_id: int, recommendation_id: int | None) -> list[ThemeItem]:
        """Visible embedded items with no place yet (or only in the previous suggestions)."""
        suggested = {t.id for t in await self.repo.themes(guild_id, "suggested")}
        return [
            i
            for i in await self.repo.items(guild_id, recommendation_id)
            if i.item_status is None or i.theme_id in suggested
        ]

    async def suggest(
        self, guild_id: int, actor_id: int | None, recommendation_id: int | None = None
    ) -> tuple[list[ThemeSummary], int]:
        """Cluster the open items into suggested themes (stored, replacing the previous ones, never
        applied); returns them, largest first, and how many open items stayed unthemed."""
        items = await self.open_items(guild_id, recommendation_id)
        if len(items) < 2 * cluster.MIN_SIZE:
            raise UserError("themes.too_few", count=len(items), needed=2 * cluster.MIN_SIZE)
        found = await asyncio.to_thread(cluster.suggest, stored_of(items), [i.language for i in items])
        groups = [
            [(items[i].feedback_id, float(found.similarity[i])) for i in found.members(label)]
            for label in range(found.count)
        ]
        ids = await self.repo.replace_suggestions(guild_id, recommendation_id, groups, self.clock.now())
        stances = await self.repo.stances_of_authors(guild_id)
        summaries = [
            summarise(theme_id, None, [items[i] for i in found.members(label)], stances)
            for label, theme_id in enumerate(ids)
        ]
        unthemed = int((found.labels < 0).sum())
        scope = f"R{recommendation_id}" if recommendation_id else "all"
        await self.record(
            guild_id, actor_id, "themes_suggest", scope, f"{len(ids)} themes, {unthemed} unthemed"
        )
        return summaries, unthemed

    # -- curation -----------------------------------------------------------------------------

    def clean_name(self, name: str) -> str:
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            raise UserError("themes.bad_name", limit=MAX_NAME)
        return name

    async def theme(self, guild_id: int, theme_id: int, status: str = "accepted") -> Theme:
        theme = await self.repo.get(guild_id, theme_id)
        if theme is None or theme.status != status:
            raise UserError(
                "themes.unknown_suggestion" if status == "suggested" else "themes.unknown", id=theme_id
            )
        return theme

    async def accept(self, guild_id: int, actor_id: int, suggestion_id: int, name: str) -> Theme:
        name = self.clean_name(name)
        await self.theme(guild_id, suggestion_id, "suggested")
        await self.repo.accept(suggestion_id, name, actor_id, self.clock.now())
        await self.record(guild_id, actor_id, "themes_accept", f"T{suggestion_id}", name)
        return await self.theme(guild_id, suggestion_id)

    async def rename(self, guild_id: int, actor_id: int, theme_id: int, name: str) -> Theme:
        name = self.clean_name(name)
        old = await self.theme(guild_id, theme_id)
        await self.repo.rename(theme_id, name, self.clock.now())
        await self.record(guild_id, actor_id, "themes_rename", f"T{theme_id}", f"{old.name} -> {name}")
        return await self.theme(guild_id, theme_id)

    async def merge(self, guild_id: int, actor_id: int, source_id: int, target_id: int) -> tuple[Theme, int]:
        if source_id == target_id:
            raise UserError("themes.merge_itself")
        source, target = await self.theme(guild_id, source_id), await self.theme(guild_id, target_id)
        moved = await self.repo.merge(source.id, target.id, self.clock.now())
        await self.record(
            guild_id,
            actor_id,
            "themes_merge",
            f"T{source_id} -> T{target_id}",
            f"{source.name} -> {target.name}",
        )
        return target, moved

    async def item(self, guild_id: int, feedback_id: int) -> int:
        place = await self.repo.item_guild(feedback_id)
        if place is None or place[0] != guild_id:
            raise UserError("themes.unknown_item", reference=feedback_id)
        return feedback_id

    async def move(self, guild_id: int, actor_id: int, feedback_id: int, theme_id: int) -> Theme:
        """Put an item in a theme, confirmed (also how a suggested item is confirmed one by one)."""
        await self.item(guild_id, feedback_id)
        theme = await self.theme(guild_id, theme_id)
        await self.repo.place(guild_id, [(feedback_id, theme.id, "accepted", None)], self.clock.now())
        await self.record(guild_id, actor_id, "themes_move", f"#{feedback_id} -> T{theme_id}", theme.name)
        return theme

    async def not_fitting(self, guild_id: int, actor_id: int, feedback_id: int) -> None:
        await self.item(guild_id, feedback_id)
        await self.repo.place(guild_id, [(feedback_id, None, "not_fitting", None)], self.clock.now())
        await self.record(guild_id, actor_id, "themes_not_fitting", f"#{feedback_id}", None)

    async def confirm(self, guild_id: int, actor_id: int, theme_id: int) -> int:
        theme = await self.theme(guild_id, theme_id)
        count = await self.repo.confirm(theme.id, self.clock.now())
        await self.record(guild_id, actor_id, "themes_confirm", f"T{theme_id}", f"{count} items")
        return count

    async def split(
        self,
        guild_id: int,
        actor_id: int,
        theme_id: int,
        name: str,
        feedback_ids: Sequence[int] | None = None,
    ) -> tuple[Theme, int]:
        """Move ``feedback_ids`` (default: the half of the theme farther from the rest, by 2-means) into a
        new accepted theme named ``name``."""
        name = self.clean_name(name)
        theme = await self.theme(guild_id, theme_id)
        members = [i for i in await self.repo.items(guild_id) if i.theme_id == theme.id]
        if feedback_ids:
            chosen = set(feedback_ids)
            if not chosen <= {i.feedback_id for i in members} or len(chosen) == len(members):
                raise UserError("themes.split_items", id=theme_id)
            moving = [i for i in members if i.feedback_id in chosen]
        else:
            if len(members) < 2 * cluster.MIN_SIZE:
                raise UserError("themes.split_small", id=theme_id, needed=2 * cluster.MIN_SIZE)
            x = vectors_of(members)
            labels = cluster._kmeans(x, 2)
            smaller = int(np.argmin(np.bincount(labels, minlength=2)))
            moving = [m for m, label in zip(members, labels, strict=True) if label == smaller]
        now = self.clock.now()
        new_id = await self.repo.create(guild_id, theme.recommendation_id, name, actor_id, now)
        await self.repo.place(guild_id, [(i.feedback_id, new_id, "accepted", None) for i in moving], now)
        await self.record(
            guild_id, actor_id, "themes_split", f"T{theme_id} -> T{new_id}", f"{len(moving)} items: {name}"
        )
        return await self.theme(guild_id, new_id), len(moving)

    async def accepted(self, guild_id: int, since: datetime | None = None) -> list[ThemeSummary]:
        themes = await self.repo.themes(guild_id, "accepted")
        items = await self.repo.items(guild_id)
        stances = await self.repo.stances_of_authors(guild_id)
        addressed = await self.repo.addressed(guild_id)
        summaries = []
        for theme in themes:
            summary = summarise(
                theme.id, theme.name, [i for i in items if i.theme_id == theme.id], stances, since
            )
            summary.addressed = [a for a in addressed if a.theme_id == theme.id]
            summaries.append(summary)
        return summaries

    # -- you said, we changed ---------------------------------------------------------------

    async def addressable(self, guild_id: int, text: str | None) -> list[Theme]:
        """The accepted themes named in ``text`` ("3, 5" or "T3 T5"), checked before the form opens."""
        if not text or not text.strip():
            return []
        ids: list[int] = []
        for part in text.replace(",", " ").replace(";", " ").split():
            digits = part.strip().lstrip("Tt#")
            if not digits.isdigit():
                raise UserError("themes.bad_list", text=part)
            if int(digits) not in ids:
                ids.append(int(digits))
        if len(ids) > MAX_ADDRESSED:
            raise UserError("themes.too_many", limit=MAX_ADDRESSED)
        return [await self.theme(guild_id, theme_id) for theme_id in ids]

    async def address(
        self,
        guild_id: int,
        actor_id: int,
        recommendation_id: int,
        version: int,
        theme_ids: Sequence[int],
        note: str,
    ) -> AddressReport:
        """Record that a version addresses these themes and owe each of their authors one notice (private
        when any of their items there is anonymous), in the language they wrote in."""
        note = " ".join(note.split())[:MAX_NOTE]
        if not note:
            raise UserError("themes.note_needed")
        themes = [await self.theme(guild_id, theme_id) for theme_id in theme_ids]
        by_author: dict[int, tuple[bool, str | None, list[int]]] = {}
        for item in await self.repo.authors_of([t.id for t in themes]):
            private, language, ids = by_author.get(item.author_id, (False, None, []))
            if item.theme_id not in ids:
                ids.append(item.theme_id)
            by_author[item.author_id] = (private or item.anonymous, item.language or language, ids)
        notices = [
            (author, private, language, ",".join(str(i) for i in ids))
            for author, (private, language, ids) in by_author.items()
        ]
        notice_ids = await self.repo.record_addressed(
            guild_id,
            recommendation_id,
            version,
            [t.id for t in themes],
            note,
            actor_id,
            notices,
            self.clock.now(),
        )
        names = ", ".join(f"T{t.id} {t.name}" for t in themes)
        await self.record(
            guild_id, actor_id, "themes_addressed", f"R{recommendation_id} v{version}", f"{names}: {note}"
        )
        return AddressReport(themes, note, notice_ids)
