"""Translated catalogues: the keys of English, with the same parameters and markup."""

import re

import discord
import pytest
from discord.app_commands import TranslationContext, TranslationContextLocation, locale_str

from bot.command_translations import (
    DESCRIPTION_LIMIT,
    SECTION,
    CommandTranslator,
    description_keys,
    load_descriptions,
    option_key,
)
from bot.i18n import FALLBACK, PARAMETER, catalogue, language_of, languages, metadata, parameters, render, t
from tests.commands import walk

LANGUAGES = [language for language in languages() if language != FALLBACK]


def complete(language: str) -> bool:
    """A catalogue is complete unless its @metadata says otherwise (a stub waiting for translators)."""
    return metadata(language).get("complete", True) is not False


# Values that are formats, not sentences: every language keeps them exactly as in English.
UNCHANGED = (
    "digest.embed_rec_name",
    "digest.md.rec_label",
    "digest.md.version",
    "recommendations.choice",
    "feedback.choice_area",
    "feedback.choice_item",
    "feedback.list_item_title",
    "feedback.list_footer",
    "feedback.mine_item",
    "moderation.log.line",
    "officehours.where.channel",
    "officehours.where.place",
    "officehours.attendees.line",
)

# Discord's limits on modal titles and input labels (45), placeholders/descriptions/option labels (100)
# and button labels (80): the code clips longer text, so a translation must fit to be read whole.
UI_LIMITS = {
    45: (
        "feedback.modal_title",
        "feedback.edit_modal_title",
        "feedback.respond_modal_title",
        "edit.modal_title",
        "officehours.question.modal_title",
        "feedback.text_label",
        "feedback.area_label",
        "feedback.anonymous_label",
        "feedback.respond_label",
        "officehours.question.label",
        "edit.field_title",
        "edit.field_text",
    ),
    80: (
        "recommendations.give_feedback",
        "privacy.forget_button",
        "privacy.cancel_button",
        "feedback.respond_button",
        "feedback.previous",
        "feedback.next",
        "officehours.card.signup",
        "officehours.card.cancel",
        "officehours.card.question",
        "officehours.card.dm",
        "officehours.card.calendar",
    ),
    100: (
        "feedback.text_placeholder",
        "feedback.respond_placeholder",
        "feedback.text_description",
        "feedback.area_description",
        "feedback.anonymous_description",
        "feedback.area_none",
        "officehours.question.placeholder",
        "edit.text_placeholder",
    ),
}

MENTION = re.compile(r"<[@#]?[^<>\s]*>")  # <@{id}>, <#{channel}>, <t:{ts}:F>


def names(template: str) -> set[str]:
    return set(PARAMETER.findall(template))


def test_french_and_spanish_are_there():
    assert {"fr", "es"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_as_english(language: str):
    english, translated = catalogue(FALLBACK), catalogue(language)
    missing = sorted(set(english) - set(translated))
    extra = sorted(set(translated) - set(english))
    assert not missing or not complete(language), f"{language}.json: missing {missing}"
    assert not extra, f"{language}.json: not in English {extra}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_placeholders_and_markup_as_english(language: str):
    english, translated = catalogue(FALLBACK), catalogue(language)
    problems = []
    for key, original in english.items():
        if key not in translated:
            continue  # reported by test_same_files_and_keys_as_english
        sentence = translated[key]
        if names(sentence) != names(original):
            problems.append(
                f"{language} {key}: parameters {sorted(names(sentence))} != {sorted(names(original))}"
            )
        if sorted(MENTION.findall(sentence)) != sorted(MENTION.findall(original)):
            problems.append(f"{language} {key}: mentions/timestamps differ from English")
        for mark in ("**", "`"):
            if sentence.count(mark) != original.count(mark):
                problems.append(f"{language} {key}: {mark!r} count differs from English")
        for command in re.findall(r"/[a-z-]+(?: [a-z-]+)?", original):
            if f"commands.{command[1:].replace(' ', '-')}" not in english:
                command = command.split(" ")[0]  # "/language again": a command, then a word
            if command.count(" ") and command not in sentence:
                problems.append(f"{language} {key}: slash command {command} renamed")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", UNCHANGED)
def test_formats_stay_as_in_english(language: str, key: str):
    assert (
        catalogue(language).get(key, "" if complete(language) else catalogue(FALLBACK)[key])
        == catalogue(FALLBACK)[key]
    )


@pytest.mark.parametrize("language", [FALLBACK, *LANGUAGES])
def test_interface_texts_fit_discords_limits(language: str):
    problems = []
    for limit, keys in UI_LIMITS.items():
        for key in keys:
            if key not in catalogue(language):
                continue  # a stub catalogue: English is shown, and English fits
            text = render(catalogue(language)[key], language, ["4000"] * len(parameters().get(key, ())))
            if len(text) > limit:
                problems.append(f"{language} {key}: {len(text)} characters, Discord shows {limit}")
    assert not problems, "\n".join(problems)


def test_lookup_in_the_members_language():
    english = t("access.working_group")
    french = t("access.working_group", "fr")
    spanish = t("access.working_group", "es-ES")
    assert french == catalogue("fr")["access.working_group"] != english
    assert spanish == catalogue("es")["access.working_group"] != english
    assert language_of("es-419") == "es"
    assert t("feedback.saved", "fr", number=3, version=2, reference=17).startswith("Merci !")
    assert "**R3**" in t("feedback.saved", "es-ES", number=3, version=2, reference=17)


def test_other_languages_fall_back_to_english():
    assert language_of("tlh") == "en"
    assert t("access.working_group", "tlh") == t("access.working_group")
    assert t("access.working_group", "tlh") == catalogue(FALLBACK)["access.working_group"]


def test_a_key_missing_in_a_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch):
    french = dict(catalogue("fr"))
    del french["access.moderator"]
    monkeypatch.setattr(
        "bot.i18n.catalogue", lambda language: french if language == "fr" else catalogue(language)
    )
    assert t("access.moderator", "fr") == catalogue(FALLBACK)["access.moderator"]


# -- slash-command descriptions (the "commands.*" keys) --------------------------------------------


def test_descriptions_are_translated_in_french_and_spanish():
    tables = load_descriptions()
    assert {"fr", "es"} <= set(tables)
    for language, table in tables.items():
        raw = {k: v for k, v in catalogue(language).items() if k.startswith(f"{SECTION}.")}
        too_long = [key for key, text in raw.items() if len(text) > DESCRIPTION_LIMIT]
        assert not too_long, f"{language}: longer than Discord's {DESCRIPTION_LIMIT} characters: {too_long}"
        assert table == raw


async def test_english_descriptions_are_the_codes_and_none_is_stale(loaded_bot):
    declared = description_keys(loaded_bot.tree.get_commands())
    english = {k: v for k, v in catalogue(FALLBACK).items() if k.startswith(f"{SECTION}.")}
    assert english == declared, "en.json's commands.* differ from the command tree: update en.json"
    for language, table in load_descriptions().items():
        untranslated = sorted(set(declared) - set(table))
        assert not untranslated or not complete(language), f"{language}.json: untranslated {untranslated}"


async def test_translator_gives_descriptions_never_names(loaded_bot):
    translator = CommandTranslator()
    await translator.load()
    commands = walk(loaded_bot.tree.get_commands())
    [respond] = [c for c in commands if c.qualified_name == "feedback-manage respond"]
    [answer] = [p for p in respond.parameters if p.description == "Your answer"]
    context = TranslationContext(TranslationContextLocation.parameter_description, answer)
    english = locale_str(answer.description)
    french = await translator.translate(english, discord.Locale.french, context)
    assert french == catalogue("fr")[option_key(answer)] != answer.description
    for locale in (discord.Locale.spain_spanish, discord.Locale.latin_american_spanish):
        assert await translator.translate(english, locale, context) == catalogue("es")[option_key(answer)]
    for locale in (discord.Locale.american_english, discord.Locale.greek):  # no el.json catalogue
        assert await translator.translate(english, locale, context) is None
    name = TranslationContext(TranslationContextLocation.command_name, respond)
    assert await translator.translate(locale_str("feedback"), discord.Locale.french, name) is None
    # The code's English changed and the catalogue did not follow yet: stays in English.
    assert await translator.translate(locale_str("Your new answer"), discord.Locale.french, context) is None


async def test_synced_payload_carries_the_translations(loaded_bot):
    tree = loaded_bot.tree
    await tree.set_translator(CommandTranslator())
    payloads = [
        await command.get_translated_payload(tree, tree.translator) for command in tree.get_commands()
    ]
    await tree.set_translator(None)
    [feedback] = [p for p in payloads if p["name"] == "feedback"]
    assert feedback["name_localizations"] == {}
    assert {"fr", "es-ES", "es-419"} <= set(feedback["description_localizations"])
    [give] = [o for o in feedback["options"] if o["name"] == "give"]
    assert give["description_localizations"]["fr"].startswith("Dire au groupe de travail")
    assert not give.get("name_localizations")
    assert all(not o.get("name_localizations") for o in give["options"])
    assert all(o["description_localizations"].get("es-ES") for o in give["options"])
