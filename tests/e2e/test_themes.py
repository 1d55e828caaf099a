"""Themes end to end: feedback in several languages, /themes suggest, accept, a version that addresses
the theme, the authors told (named in the thread, anonymous by DM), the digest's section and themes.csv."""

from __future__ import annotations

from bot.data.themes import ThemesRepository
from bot.digest.builder import DigestBuilder
from rehearsal.world import World
from tests.e2e.test_feedback import items_of, published, submit, wait_for

BUSES = {
    "alice": "The night buses stop far too early; after midnight there is no way home without a car.",
    "bob": "Les bus de nuit s'arrêtent beaucoup trop tôt, impossible de rentrer après minuit.",
    "eve": "Nach Mitternacht fährt kein einziger Bus mehr, wir brauchen Nachtbusse in die Vororte.",
}
RENTS = {
    "alice": "Rents have doubled in five years and families are leaving the neighbourhood.",
    "bob": "Les loyers ont explosé, les familles quittent le quartier faute de logement abordable.",
    "eve": "Die Mieten sind unbezahlbar geworden, wir brauchen mehr Sozialwohnungen.",
}


async def accepted_theme(world: World) -> tuple[int, int]:
    """Replies in three languages and an anonymous form item, suggested, accepted as "Night buses" (the
    anonymous item moved in by the working group); returns (thread id, theme id)."""
    posts = await published(world)
    thread_id = posts[2][0]
    for texts in (BUSES, RENTS):
        for name, text in texts.items():
            await world.emu.post_message(world.members[name], thread_id, text)
    opened = await world.command("dana", "feedback give", recommendation=2, anonymous=True)
    await submit(
        world, "dana", opened, {"text": "Necesitamos autobuses nocturnos, de noche no hay forma de volver."}
    )

    async def stored() -> bool:
        return (
            bool(await items_of(world, "dana"))
            and await world.bot.services.themes.embed_pending() >= 0
            and (await ThemesRepository(world.db).embedding_count(world.guild_id) == 7)
        )

    await wait_for(stored, timeout=60)

    suggested = await world.command("wg", "themes suggest", recommendation=2)
    assert suggested.ephemeral
    await suggested.wait_for_followup(30)
    [embed] = suggested.followups[-1].embeds
    buses = [f for f in embed["fields"] if "bus" in f["value"].lower() or "autobus" in f["value"].lower()]
    assert buses and "Suggestion" in buses[0]["name"]
    suggestion = int(buses[0]["name"].split()[1])

    accepted = await world.command("wg", "themes accept", suggestion=suggestion, title="Night buses")
    assert "accepted" in accepted.content
    [theme] = await ThemesRepository(world.db).themes(world.guild_id, "accepted")
    [anonymous] = await items_of(world, "dana")
    moved = await world.command("wg", "themes move", item=anonymous.id, theme=theme.id)
    assert "Night buses" in moved.content  # the working group puts the item it left unthemed there

    return thread_id, theme.id


async def addressing_edit(world: World, theme_id: int) -> None:
    edit = await world.command("wg", "consultation edit", recommendation=2, themes=f"T{theme_id}")
    fields = [row["components"][0]["custom_id"] for row in edit.modal["components"]]
    assert fields == ["title", "text", "how"]
    values = {"title": "Night transport for everyone", "text": "Night buses every 30 minutes."}
    saved = await world.emu.submit_modal(world.members["wg"], edit, {**values, "how": "Night buses added."})
    await saved.wait(10)
    await saved.wait_for_followup(10)


async def test_suggest_accept_address_and_tell_the_authors(world: World) -> None:
    thread_id, theme_id = await accepted_theme(world)
    await addressing_edit(world, theme_id)

    async def told() -> bool:
        # The thread's announcement, the public notices and the DM are separate sends; on PostgreSQL
        # the DM can land before the notices: wait for every one of them.
        thread = " ".join(m.content for m in world.emu.messages(thread_id))
        authors = all(f"<@{world.members[n]}>" in thread for n in ("alice", "bob", "eve"))
        return "Night buses added." in thread and authors and bool(world.emu.dms(world.members["dana"]))

    await wait_for(told)
    thread = [m for m in world.emu.messages(thread_id) if m.author_id == world.emu.bot_user_id]
    # Grouped by the language each wrote in (en, fr, de here): every named author pinged exactly once.
    mentioned = " ".join(m.content for m in thread)
    for name in ("alice", "bob", "eve"):
        assert mentioned.count(f"<@{world.members[name]}>") == 1, name  # once each
    assert f"<@{world.members['dana']}>" not in " ".join(m.content for m in thread)  # anonymous stays so
    [dm] = world.emu.dms(world.members["dana"])
    assert "Night buses" in dm.content and "borrador R2" in dm.content  # in her language

    digest = await DigestBuilder(world.db).build(world.guild_id, since=None, now=world.bot.clock.now())
    markdown = digest.files["digest.md"].decode("utf-8")
    assert "## Themes" in markdown and "Night buses" in markdown and "Night buses added." in markdown
    rows = digest.files["themes.csv"].decode("utf-8-sig").splitlines()
    assert rows[0] == '"feedback_id","theme","theme_id","status","similarity"'
    assert sum('"Night buses"' in row for row in rows) == 4


async def test_an_anonymous_author_with_closed_dms_is_told_at_the_next_command_once(world: World) -> None:
    thread_id, theme_id = await accepted_theme(world)
    dana = world.members["dana"]
    world.emu.state.users[dana].dm_open = False
    await addressing_edit(world, theme_id)

    async def announced() -> bool:
        return any("Night buses added." in m.content for m in world.emu.messages(thread_id))

    await wait_for(announced)
    assert world.emu.dms(dana) == []
    first = await world.command("dana", "feedback mine")
    await first.wait_for_followup(10)
    notice = first.followups[-1]
    assert notice.ephemeral and "borrador R2" in notice.content and "Night buses" in notice.content
    assert await ThemesRepository(world.db).pending_for(world.guild_id, dana) == []  # claimed: once
