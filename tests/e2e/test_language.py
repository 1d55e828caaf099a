"""/language end to end: a member's own language wins over Discord's locale in every answer, DM and
reminder; the same flow (feedback form, sign-up, a refusal, a reminder) in English, Spanish and Arabic."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from bot.data.languages import LanguageRepository
from bot.i18n import languages, t
from bot.languages import display_name
from tests.e2e.test_digest import pull_digest
from tests.e2e.test_feedback import click_give, items_of, published, submit
from tests.e2e.test_officehours import START, answer, click, cog, schedule, settle

ARABIC = re.compile(r"[\u0600-\u06ff]")


async def test_language_choice_and_the_same_flow_in_three_languages(world):
    # alice: Discord in English; dana: Discord in Spanish; eve: Discord in German (no catalogue), chooses
    # Arabic, which Discord's client does not offer.
    chose = await world.command("eve", "language", language="ar")
    assert chose.ephemeral and chose.content == t("language.saved", "ar", language="العربية")
    assert ARABIC.search(chose.content) and chose.content.startswith("\u200f")
    assert await LanguageRepository(world.db).chosen() == [(world.guild_id, world.members["eve"], "ar")]
    shown = await world.command("eve", "language")
    assert shown.content.startswith(
        t("language.current_chosen", "ar", language="العربية", languages="x")[:20]
    )
    speaks = {"alice": "en", "dana": "es", "eve": "ar"}

    posts = await published(world)
    for name, language in speaks.items():
        opened = await click_give(world, name, posts[2])
        assert opened.modal["title"] == t("feedback.modal_title", language, number=2), name
        done = await submit(world, name, opened, {"text": f"{name}: clear enough for me.", "area": []})
        [item] = await items_of(world, name)
        saved = t("feedback.saved", language, number=2, version=1, reference=item.id)
        assert done.ephemeral and done.content.startswith(saved), (name, done.content)
    assert ARABIC.search((await click_give(world, "eve", posts[3])).modal["title"])

    _, session = await schedule(world, capacity=5)
    for name, language in speaks.items():
        seat = await click(world, name, session)
        when = f"<t:{int(START.timestamp())}:F>"
        assert seat.content == t("officehours.signup.confirmed", language, title=session.title, when=when), (
            name
        )
        dm = await click(world, name, session, "dm")
        assert dm.content == t("officehours.dm.on", language, title=session.title), name
    assert ARABIC.search(seat.content)

    # A reminder by DM, in each member's language (eve's client is German: her choice wins).
    world.clock.set(START - timedelta(hours=24))
    assert await cog(world).run_due_reminders() == 1
    await settle(world)
    for name, language in speaks.items():
        [reminder] = [m.content for m in world.emu.dms(world.members[name])]
        head = t("officehours.notice.reminder", language, title=session.title, when="", relative="", where="")
        assert reminder.startswith(head.split("**")[0]), (name, reminder)
    assert ARABIC.search(reminder)

    # A refusal: the session has started.
    world.clock.set(START + timedelta(minutes=1))
    _, later = await schedule(world, start="2026-01-12 19:00 UTC")
    world.clock.set(START + timedelta(days=3))
    for name, language in speaks.items():
        late = await click(world, name, later)
        assert late.ephemeral and late.content == t("officehours.signup.refused_started", language), name


async def test_a_choice_made_after_signing_up_wins_in_reminders_and_forget_erases_it(world):
    _, session = await schedule(world, capacity=5)
    await click(world, "chen", session)  # Discord in Chinese (simplified): stored with the sign-up
    await click(world, "chen", session, "dm")
    chose = await world.command("chen", "language", language="es")
    assert chose.content == t("language.saved", "es", language="Español")
    world.clock.set(START - timedelta(hours=24))
    await cog(world).run_due_reminders()
    await settle(world)
    [reminder] = [m.content for m in world.emu.dms(world.members["chen"])]
    assert reminder.startswith(
        t("officehours.notice.reminder", "es", title="", when="", relative="", where="")[:8]
    )
    assert not reminder.startswith("Reminder")

    back = await world.command("chen", "language", language="discord")
    assert back.content == t("language.reset", "zh-CN", language=display_name("zh-hans"))
    again = await world.command("chen", "language", language="ar")
    assert ARABIC.search(again.content)
    unknown = await world.command("chen", "language", language="tlh")
    assert unknown.ephemeral and "tlh" in unknown.content and ARABIC.search(unknown.content)

    asked = await world.command("chen", "privacy forget")
    erase = await world.emu.click_button(
        world.members["chen"], asked.channel_id, asked.message.id, "privacy:forget"
    )
    await erase.wait(10)
    await erase.wait_for_followup(10)
    assert await LanguageRepository(world.db).chosen() == []
    after = await world.command("chen", "language")
    assert after.content.startswith(t("language.current_discord", "zh-CN", language="x", languages="y")[:12])
    assert display_name("zh-hans") in after.content and not after.content.startswith("The bot")


async def test_language_autocomplete_lists_the_catalogue_and_discords_own(world):
    choices = await world.emu.autocomplete(
        world.members["bob"], world.guild_id, "language", option="language", value=""
    )
    values = [c["value"] for c in choices]
    assert {"en", "fr", "es", "ar"} <= set(values) and values[-1] == "discord"
    assert any(c["name"].startswith("العربية") for c in choices)
    assert choices[-1]["name"] == t("language.follow_discord", "fr")


async def test_form_feedback_counts_in_the_language_it_is_written_in(world):
    """alice's Discord is in English; she writes in French: French in the digest, her locale kept."""
    posts = await published(world)
    opened = await click_give(world, "alice", posts[1])
    text = "Je trouve cette recommandation très claire, mais il manque un calendrier pour les communautés."
    await submit(world, "alice", opened, {"text": text, "area": []})
    [item] = await items_of(world, "alice")
    assert item.language == "fr"
    assert await world.db.fetchval("SELECT locale FROM feedback WHERE id = ?", (item.id,)) == "en-US"
    _, followup = await pull_digest(world, since="all")
    files = dict(followup.files)
    assert "Languages: fr (1)." in files["digest.md"].decode()
    rows = list(csv.DictReader(io.StringIO(files["feedback.csv"].decode("utf-8-sig"))))
    assert [row["language"] for row in rows] == ["fr"]


async def test_plural_sentences_with_1_and_5_in_each_catalogue_language(world):
    """The working-group member cancels a session with 1 and one with 5 signed-up members, in each
    catalogue language chosen with /language: each answer is the plural form of its language."""

    members = ["alice", "bob", "chen", "dana", "eve"]
    for language in languages():
        await world.command("wg", "language", language=language)
        for count in (1, 5):
            _, session = await schedule(world, capacity=5, title=f"{language} {count}")
            for name in members[:count]:
                await click(world, name, session)
            cancelled = await world.command("wg", "officehours-manage cancel", session=session.id)
            await cancelled.wait_for_followup()
            expected = t("officehours.cancel.done", language, title=session.title, count=count)
            assert answer(cancelled) == expected, (language, count)
    english = [t("officehours.cancel.done", "en", title="x", count=n) for n in (1, 5)]
    assert english == [
        "Cancelled **x**. 1 signed-up member was told.",
        "Cancelled **x**. 5 signed-up members were told.",
    ]
