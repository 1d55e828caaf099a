"""Themes against a real database: background embeddings, suggestions, curation, addressed themes."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from bot.data.audit import AuditRepository
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import RecommendationRepository
from bot.data.themes import ThemesRepository
from bot.errors import UserError
from bot.themes.digest_section import themes_section
from bot.themes.service import ThemesService

TOPICS = ("bus", "rent", "tree")


class TopicEmbedder:
    """Deterministic stand-in for the encoder: one direction per topic word, a little noise per text."""

    name = "topic-test"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts):
        self.calls.extend(texts)
        rows = []
        for text in texts:
            rng = np.random.default_rng(zlib.crc32(text.encode()))
            v = rng.normal(size=512) * 0.05
            for index, word in enumerate(TOPICS):
                if word in text:
                    v[index] += 1.0
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


@pytest.fixture
async def setup(db: Database, guild: int, clock):
    embedder = TopicEmbedder()
    service = ThemesService(db, clock, embedder=embedder)
    (draft, *_) = await RecommendationRepository(db).all(guild)
    feedback = FeedbackRepository(db)
    ids = {}
    for topic in TOPICS:
        for n in range(4):
            item = await feedback.add(
                guild_id=guild, recommendation_id=draft.id, version=1, author_id=100 + n,
                body=f"{topic} comment {n}", source="form", now=clock.now(), anonymous=(n == 3),
                language="en",
            )  # fmt: skip
            ids.setdefault(topic, []).append(item.id)
    return service, embedder, feedback, draft, ids


async def test_embeddings_are_made_once_and_again_only_when_the_text_changes(setup, db, clock):
    service, embedder, feedback, _, ids = setup
    assert await service.embed_pending() == 12
    assert await service.embed_pending() == 0
    first = ids["bus"][0]
    await feedback.set_status(ids["bus"][1], "active", clock.advance(seconds=1))  # touched, same text
    assert await service.embed_pending() == 0
    await feedback.edit(first, "bus comment, edited", clock.advance(seconds=1))
    assert await service.embed_pending() == 1
    assert embedder.calls.count("bus comment, edited") == 1


async def test_vectors_go_with_deleted_hidden_and_erased_items(setup, db, clock, guild):
    service, _, feedback, _, ids = setup
    await service.embed_pending()
    repo = ThemesRepository(db)
    await feedback.set_status(ids["bus"][0], "deleted", clock.now())
    await feedback.hide(ids["rent"][0], 9, "spam", clock.now())
    await feedback.delete_author(guild, 101)  # what /privacy forget does: the rows go, vectors cascade
    await service.embed_pending()
    assert await repo.embedding_count(guild) == 12 - 2 - 3 + 0  # 101 wrote bus#1, rent#1, tree#1
    assert not await repo.has_embedding(ids["bus"][0])
    assert not await repo.has_embedding(ids["rent"][0])


async def test_suggest_accept_merge_split_move_not_fitting_all_audited(setup, db, guild):
    service, _, _, _, ids = setup
    await service.embed_pending()
    summaries, unthemed = await service.suggest(guild, 7)
    assert sorted(s.size for s in summaries) == [4, 4, 4] and unthemed == 0
    assert all(len(s.quotes) == 3 for s in summaries)
    by_topic = {}
    for s in summaries:
        by_topic[s.quotes[0].body.split()[0]] = s.theme_id
    bus = await service.accept(guild, 7, by_topic["bus"], "  Buses   ")
    assert bus.name == "Buses"
    rent = await service.accept(guild, 7, by_topic["rent"], "Rents")
    with pytest.raises(UserError):
        await service.accept(guild, 7, by_topic["rent"], "again")  # no longer a suggestion
    target, moved = await service.merge(guild, 7, rent.id, bus.id)
    assert moved == 4 and target.id == bus.id
    with pytest.raises(UserError):
        await service.rename(guild, 7, rent.id, "gone")  # merged themes are not accepted any more
    new, count = await service.split(guild, 7, bus.id, "Housing", ids["rent"])
    assert count == 4
    summary = {s.theme_id: s for s in await service.accepted(guild)}
    assert summary[bus.id].size == 4 and summary[new.id].size == 4
    await service.move(guild, 7, ids["tree"][0], new.id)
    await service.not_fitting(guild, 7, ids["tree"][1])
    summary = {s.theme_id: s for s in await service.accepted(guild)}
    assert summary[new.id].size == 5
    actions = await AuditRepository(db).actions(guild)
    for action in (
        "themes_suggest",
        "themes_accept",
        "themes_merge",
        "themes_split",
        "themes_move",
        "themes_not_fitting",
    ):
        assert action in actions


async def test_new_feedback_is_suggested_for_the_nearest_accepted_theme(setup, db, guild, clock):
    service, _, feedback, draft, _ = setup
    await service.embed_pending()
    summaries, _ = await service.suggest(guild, 7)
    bus = next(s for s in summaries if s.quotes[0].body.startswith("bus"))
    await service.accept(guild, 7, bus.theme_id, "Buses")
    late = await feedback.add(
        guild_id=guild, recommendation_id=draft.id, version=1, author_id=300, body="bus please, more of them",
        source="form", now=clock.now(), language="en",
    )  # fmt: skip
    other = await feedback.add(
        guild_id=guild, recommendation_id=draft.id, version=1, author_id=301, body="something unrelated",
        source="form", now=clock.now(), language="en",
    )  # fmt: skip
    await service.embed_pending()
    items = {i.feedback_id: i for i in await ThemesRepository(db).items(guild)}
    assert items[late.id].theme_id == bus.theme_id and items[late.id].item_status == "suggested"
    assert items[other.id].item_status is None
    assert await service.confirm(guild, 7, bus.theme_id) == 1


async def test_a_version_owes_each_author_one_notice_and_anonymous_ones_stay_private(setup, db, guild):
    service, _, _, draft, _ = setup
    await service.embed_pending()
    summaries, _ = await service.suggest(guild, 7)
    accepted = [await service.accept(guild, 7, s.theme_id, f"Theme {i}") for i, s in enumerate(summaries[:2])]
    report = await service.address(guild, 7, draft.id, 2, [t.id for t in accepted], "shorter waits")
    repo = ThemesRepository(db)
    notices = await repo.notices(report.notice_ids)
    # authors 100..103 each wrote one item per topic: one notice each, whatever the number of themes
    assert sorted(n.author_id for n in notices) == [100, 101, 102, 103]
    assert {n.author_id for n in notices if n.private} == {103}  # 103's items are anonymous
    assert all(len(n.theme_ids) == 2 for n in notices)
    again = await service.address(guild, 7, draft.id, 2, [accepted[0].id], "again")
    assert again.notice_ids == []  # the same version never tells anyone twice
    assert await repo.delivered(report.notice_ids, "dm", service.clock.now()) == 4
    assert await repo.delivered(report.notice_ids, "dm", service.clock.now()) == 0
    with pytest.raises(UserError):
        await service.address(guild, 7, draft.id, 3, [accepted[0].id], "   ")


async def test_digest_section_lists_themes_and_writes_themes_csv(setup, db, guild):
    service, _, _, draft, _ = setup
    await service.embed_pending()
    section = await themes_section(db, guild, None, None, "en")
    assert "No theme has been accepted yet" in section.markdown
    assert (
        section.csv.decode("utf-8-sig").splitlines()[0]
        == '"feedback_id","theme","theme_id","status","similarity"'
    )
    summaries, _ = await service.suggest(guild, 7)
    theme = await service.accept(guild, 7, summaries[0].theme_id, "Buses")
    await service.address(guild, 7, draft.id, 2, [theme.id], "night buses added")
    section = await themes_section(db, guild, None, None, "en")
    assert "Buses" in section.markdown and "night buses added" in section.markdown
    rows = section.csv.decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == 12
    assert sum('"Buses"' in row and '"accepted"' in row for row in rows) == 4


async def test_author_stances_cover_only_items_that_can_be_in_a_theme(setup, db, clock, guild, posts):
    """The digest's Themes section reads the stances of embedded items only: over every item it joined
    each author's reactions for 100k items without vectors (6 s of a 6.2 s digest in bench.digest)."""
    from bot.data.reactions import ReactionChange, ReactionRepository

    service, _, _, draft, ids = setup
    await ReactionRepository(db).apply(
        [ReactionChange(True, 1000 + draft.number, "👍", 100 + n) for n in range(4)], clock.now()
    )
    assert await ThemesRepository(db).stances_of_authors(guild) == {}  # nothing embedded yet
    await service.embed_pending()
    stances = await ThemesRepository(db).stances_of_authors(guild)
    named = {i for topic in TOPICS for i in ids[topic][:3]}  # the fourth of each is anonymous
    assert set(stances) == named and all(s == {"support": 1} for s in stances.values())
