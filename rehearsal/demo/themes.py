"""Demo step: multilingual replies, /themes suggest, a theme accepted, a version that addresses it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import RecommendationRepository
from bot.data.themes import ThemesRepository
from rehearsal.demo.feedback import wait_for_items

if TYPE_CHECKING:
    from rehearsal.demo.context import DemoContext

log = logging.getLogger(__name__)

# Two themes in eight languages, written as replies, not translations of each other.
REPLIES = [
    "Small affiliates never see the grant money; the funding rules favour the big chapters.",
    "Les petites associations n'ont jamais accès aux subventions, tout part aux grands chapitres.",
    "Los grupos pequeños no reciben fondos; las reglas de financiación benefician a los grandes.",
    "Kleine Gruppen bekommen kaum Fördergelder, die großen Chapter bekommen fast alles.",
    "Os grupos pequenos nunca recebem financiamento, as regras favorecem os capítulos grandes.",
    "The translation of these documents took months; volunteers translating need real support.",
    "Les traducteurs bénévoles font un travail énorme sans aucun soutien, il faut les aider.",
    "Las traducciones las hacen voluntarios sin apoyo; necesitan herramientas y reconocimiento.",
    "Übersetzer arbeiten ehrenamtlich und ohne Unterstützung, das muss sich ändern.",
    "I tradutori volontari lavorano senza alcun sostegno: servono strumenti e riconoscimento.",
]


async def run(demo: DemoContext) -> None:
    demo.heading("Themes across languages")
    draft = (await RecommendationRepository(demo.world.db).all(demo.guild_id))[0]
    post = await RecommendationRepository(demo.world.db).live_post_for(draft.id)
    assert post is not None and post.thread_id is not None
    repo = FeedbackRepository(demo.world.db)
    before = (await repo.count_for_working_group(demo.guild_id))[0]
    authors = demo.rng.sample(demo.member_names, k=len(REPLIES))
    for name, text in zip(authors, REPLIES, strict=True):
        await demo.emu.post_message(demo.members[name], post.thread_id, text)
    await wait_for_items(repo, demo.guild_id, before + len(REPLIES))
    embedded = await demo.bot.services.themes.embed_pending()  # what the background loop does
    demo.say(
        f"{len(REPLIES)} more replies on R{draft.number} in six languages; the background job embedded "
        f"{embedded} items (the encoder loads on first use, offline)."
    )
    suggested = await demo.command("wg", "themes suggest", recommendation=draft.number)
    followup = await suggested.wait_for_followup(timeout=60)
    embed = followup.embeds[0]
    demo.say(f"Working group: /themes suggest recommendation:{draft.number} -> {embed['title']}")
    for field in embed["fields"]:
        lines = field["value"].splitlines()
        demo.say(f"  {field['name']}: {lines[0]}")
        for line in lines[3:5]:
            demo.say(f"    {line[:110]}")
    demo.say(f"  ({embed.get('footer', {}).get('text', '')})")
    stored = await ThemesRepository(demo.world.db).themes(demo.guild_id, "suggested")
    items = await ThemesRepository(demo.world.db).items(demo.guild_id, draft.id)
    translation = next(
        (t.id for t in stored if any(i.theme_id == t.id and "trad" in i.body.lower() for i in items)),
        stored[0].id,
    )
    answer = await demo.command(
        "wg", "themes accept", suggestion=translation, title="Support for volunteer translators"
    )
    demo.say(f"Working group: /themes accept suggestion:{translation} -> {answer.content}")
    opened = await demo.command(
        "wg", "consultation edit", recommendation=draft.number, themes=f"T{translation}"
    )
    saved = await demo.emu.submit_modal(
        demo.members["wg"], opened,
        {"title": draft.title, "text": (draft.body + "\n\nTranslators get a paid coordinator.").strip(),
         "how": "A paid coordinator and tools for volunteer translators."},
    )  # fmt: skip
    await saved.wait(30)
    await saved.wait_for_followup(30)

    def told() -> list[str]:
        """The announcement and the notices, once the bot has posted them after the version."""
        said = [m.content for m in demo.emu.messages(post.thread_id) if m.author_id == demo.emu.bot_user_id]
        start = next((i for i, text in enumerate(said) if "paid coordinator" in text), None)
        return said[start:] if start is not None and len(said) > start + 1 else []

    messages = await demo.emu.wait_until(told, timeout=30)
    dms = sum(bool(demo.emu.dms(demo.members[name])) for name in authors)
    demo.say(f"Working group: /consultation edit themes:T{translation} -> the draft's thread reads:")
    for text in messages:
        demo.say(f"  {demo.readable(text)[:200]}")
    demo.say(f"Each author in the theme was told once, in the language they wrote in ({dms} by DM).")
