"""Drafts in several languages, end to end: the working group translates draft 1 into Spanish, a Spanish
member reads it with "Read in my language", a new version marks it outdated until translated again."""

from __future__ import annotations

import pytest

from bot.i18n import t
from rehearsal.emulator import EmulatorError
from tests.e2e.test_feedback import published


def read_id(world, post):
    thread_id, message_id, _ = post
    starter = world.emu.message(message_id)
    ids = [c["custom_id"] for row in starter.components for c in row.get("components", [])]
    [read] = [cid for cid in ids if cid.startswith("recommendations:read:")]
    labels = [
        c["label"] for row in starter.components for c in row.get("components", []) if c["custom_id"] == read
    ]
    return thread_id, message_id, read, labels[0]


async def read(world, name, post):
    thread_id, message_id, custom_id, _ = read_id(world, post)
    result = await world.emu.click_button(world.members[name], thread_id, message_id, custom_id)
    return await result.wait(10)


async def translate(world, number, language, title, text, name="wg"):
    opened = await world.command(name, "consultation translate", recommendation=number, language=language)
    assert opened.modal is not None, opened.content
    done = await world.emu.submit_modal(world.members[name], opened, {"title": title, "text": text})
    return opened, await done.wait(10)


async def test_a_spanish_translation_read_by_a_spanish_member_then_outdated(world):
    posts = await published(world)
    _, _, _, label = read_id(world, posts[1])
    assert label == t("translate.read_button", "en-US")  # the post speaks the server's language

    nothing = await read(world, "dana", posts[1])
    assert nothing.ephemeral and nothing.content == t("translate.none_at_all", "es-ES", number=1)

    opened, saved = await translate(
        world, 1, "es", "Marco común de principios", "Texto del borrador en español."
    )
    assert opened.modal["title"] == t("translate.modal_title", "en-GB", number=1, language="Español")
    assert saved.ephemeral and saved.content == t(
        "translate.saved", "en-GB", language="Español", number=1, version=1
    )

    shown = await read(world, "dana", posts[1])  # Discord in Spanish (es-ES)
    assert shown.ephemeral and not shown.content
    [embed] = shown.embeds
    assert embed["title"] == "R1. Marco común de principios"
    assert embed["description"] == "Texto del borrador en español."
    assert embed["footer"]["text"] == t("translate.footer", "es", language="Español", version=1)
    assert not embed.get("fields"), "not outdated"

    other = await read(world, "alice", posts[1])  # Discord in English: no English translation
    assert other.ephemeral and other.content == t("translate.none", "en-US", number=1, languages="Español")

    # A new version of the draft: the translation is still shown, marked outdated.
    edit = await world.command("wg", "consultation edit", recommendation=1)
    revised = await world.emu.submit_modal(
        world.members["wg"], edit, {"title": "Common framework v2", "text": "New text."}
    )
    await revised.wait(10)
    await revised.wait_for_followup(10)
    outdated = await read(world, "dana", posts[1])
    [embed] = outdated.embeds
    assert embed["title"] == "R1. Marco común de principios"
    assert embed["fields"][0]["value"] == t("translate.outdated", "es", version=1, current=2)

    # The working group translates the new version: the form starts from the last translation.
    opened, saved = await translate(world, 1, "es-ES", "Marco común, v2", "Texto nuevo.")
    defaults = [
        c.get("value")
        for row in opened.modal["components"]
        for c in row.get("components", [row.get("component", {})])
    ]
    assert "Marco común de principios" in defaults
    assert saved.content == t("translate.saved", "en-GB", language="Español", number=1, version=2)
    current = await read(world, "dana", posts[1])
    [embed] = current.embeds
    assert embed["title"] == "R1. Marco común, v2" and not embed.get("fields")


async def test_translation_refusals(world):
    await published(world)
    bad = await world.command("wg", "consultation translate", recommendation=1, language="tlh")
    assert bad.ephemeral and bad.content == t("translate.unknown_language", "en-GB", value="tlh")
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("alice", "consultation translate", recommendation=1, language="es")
