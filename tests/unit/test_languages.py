"""Members' own language (bot.languages) and the detected language of older form feedback."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.data.database import Database
from bot.data.feedback import FeedbackRepository
from bot.data.languages import LanguageRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.feedback.language import LanguageDetector
from bot.languages import MemberLanguages, detect_form_feedback_languages, display_name

GUILD_B = 222
ALICE, BOB = 1001, 1002


def payload(user_id: int, guild_id: int | None, locale: str = "de") -> dict:
    if guild_id is None:
        return {"type": 2, "user": {"id": str(user_id)}, "locale": locale}
    return {"type": 2, "guild_id": str(guild_id), "member": {"user": {"id": str(user_id)}}, "locale": locale}


async def test_a_choice_per_guild_survives_a_restart_and_is_erased(
    db: Database, clock: FakeClock, guild: int
):
    languages = MemberLanguages(LanguageRepository(db), clock)
    await languages.load()
    assert await languages.choose(guild, ALICE, "ar") == "ar"
    clock.advance(minutes=1)
    assert await languages.choose(GUILD_B, ALICE, "es-419") == "es"  # a locale names its language
    with pytest.raises(UserError) as refused:
        await languages.choose(guild, BOB, "tlh")
    assert refused.value.key == "language.unknown"

    again = MemberLanguages(LanguageRepository(db), clock)  # a restart reads them back
    await again.load()
    assert again.chosen(guild, ALICE) == "ar" and again.chosen(GUILD_B, ALICE) == "es"
    assert again.chosen(None, ALICE) == "es", "a DM has no guild: the latest choice answers"
    assert again.chosen(guild, BOB) is None
    assert again.locale_for(guild, BOB, "fr") == "fr" and again.locale_for(guild, ALICE, "fr") == "ar"

    assert await again.forget(guild, ALICE) is True
    assert await again.forget(guild, ALICE) is False
    assert again.chosen(guild, ALICE) is None and again.chosen(None, ALICE) == "es"
    assert await LanguageRepository(db).chosen() == [(GUILD_B, ALICE, "es")]


async def test_the_interaction_payload_carries_the_members_choice(db: Database, clock: FakeClock, guild: int):
    languages = MemberLanguages(LanguageRepository(db), clock)
    await languages.load()
    untouched = payload(ALICE, guild)
    languages.apply(untouched)
    assert untouched["locale"] == "de"
    await languages.choose(guild, ALICE, "ar")
    chosen, other_member, dm = payload(ALICE, guild), payload(BOB, guild), payload(ALICE, None, "en-US")
    for one in (chosen, other_member, dm):
        languages.apply(one)
    assert (chosen["locale"], other_member["locale"], dm["locale"]) == ("ar", "de", "ar")
    assert languages.client_locale(ALICE) == "en-US"  # what Discord sent last, for "follow Discord"


def test_language_names_are_written_in_themselves():
    assert display_name("ar") == "العربية"
    assert display_name("es") == "Español"
    assert display_name("pt-br") == "Português (Brasil)"
    assert display_name("qqx") == "qqx"


async def test_older_form_feedback_gets_the_language_of_its_text(db: Database, clock: FakeClock, guild: int):
    recommendation = await RecommendationRepository(db).by_number(guild, 1)
    assert recommendation is not None
    repo = FeedbackRepository(db)
    texts = {
        "fr": "Je trouve cette recommandation très claire, mais il manque un calendrier précis.",
        "es": "La recomendación es clara, pero falta un calendario para las comunidades pequeñas.",
        None: "ok",
    }
    ids = {}
    for language, text in texts.items():
        item = await repo.add(
            guild_id=guild, recommendation_id=recommendation.id, version=1, author_id=ALICE, body=text,
            source="form", now=clock.now(), locale="en-US",
        )  # fmt: skip
        ids[language] = item.id
    thread = await repo.add(
        guild_id=guild, recommendation_id=recommendation.id, version=1, author_id=BOB, body="Très bien vu.",
        source="thread", now=clock.now(), message_id=5,
    )  # fmt: skip
    done = await detect_form_feedback_languages(LanguageRepository(db), LanguageDetector())
    assert done == 2
    stored = {row[0]: row[1] for row in await db.fetchall("SELECT id, language FROM feedback")}
    assert stored[ids["fr"]] == "fr" and stored[ids["es"]] == "es" and stored[ids[None]] is None
    assert stored[thread.id] is None, "thread replies are detected when captured, not here"
    assert await detect_form_feedback_languages(LanguageRepository(db), LanguageDetector()) == 0
