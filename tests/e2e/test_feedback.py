"""Feedback end to end: the real bot, driven through the emulator like members would."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from bot.data.feedback import Feedback, FeedbackRepository
from bot.data.recommendations import RecommendationRepository
from bot.feedback.rules import COOLDOWN_ITEMS, MAX_LENGTH
from bot.i18n import t
from rehearsal.emulator import EmulatorError, InteractionResult
from rehearsal.world import World


async def published(world: World) -> dict[int, tuple[int, int, str]]:
    """Publish the drafts; recommendation number -> (thread id, starter message id, give custom id)."""
    await world.publish()
    posts = {}
    for thread in world.emu.threads(world.forum_id):
        number = int(thread.name.split(".")[0].lstrip("R"))
        starter = world.emu.messages(thread.id)[0]
        custom_ids = [c["custom_id"] for row in starter.components for c in row.get("components", [])]
        [give] = [cid for cid in custom_ids if cid.startswith("feedback:give:")]
        posts[number] = (thread.id, starter.id, give)
    assert len(posts) == 9
    return posts


async def click_give(world: World, name: str, post: tuple[int, int, str]) -> InteractionResult:
    thread_id, message_id, custom_id = post
    result = await world.emu.click_button(world.members[name], thread_id, message_id, custom_id)
    return await result.wait()


async def submit(
    world: World, name: str, opened: InteractionResult, values: dict[str, Any]
) -> InteractionResult:
    assert opened.modal is not None, opened.content
    result = await world.emu.submit_modal(world.members[name], opened, values)
    return await result.wait()


async def items_of(world: World, name: str) -> list[Feedback]:
    return await FeedbackRepository(world.db).for_author(
        world.guild_id, world.members[name], active_only=False
    )


def modal_inputs(modal: dict[str, Any]) -> set[str]:
    found = set()
    for top in modal["components"]:
        for comp in top.get("components", []) + ([top["component"]] if "component" in top else []):
            if comp.get("custom_id"):
                found.add(comp["custom_id"])
    return found


# -- the form -------------------------------------------------------------------------------


async def test_button_opens_the_form_and_stores_the_feedback(world: World) -> None:
    posts = await published(world)
    opened = await click_give(world, "bob", posts[3])
    assert opened.modal["title"] == t("feedback.modal_title", world.locales["bob"], number=3)
    assert modal_inputs(opened.modal) == {"text", "area", "anonymous"}
    done = await submit(
        world, "bob", opened, {"text": "Très clair, merci.", "area": ["5"], "anonymous": False}
    )
    [item] = await items_of(world, "bob")
    assert done.ephemeral and done.answered_within_deadline and opened.answered_within_deadline
    assert done.content.startswith(
        t("feedback.saved", world.locales["bob"], number=3, version=1, reference=item.id).split("\n")[0][:40]
    )
    assert f"**#{item.id}**" in done.content
    assert (item.recommendation_number, item.version, item.area_number) == (3, 1, 5)
    assert item.body == "Très clair, merci." and item.source == "form" and not item.anonymous
    # The language is the text's (three words: not sure enough to say), the client's locale kept apart.
    assert item.language is None
    assert await world.db.fetchval("SELECT locale FROM feedback WHERE id = ?", (item.id,)) == "fr"


async def test_slash_command_with_area_and_anonymous(world: World) -> None:
    await published(world)
    choices = await world.emu.autocomplete(
        world.members["dana"], world.guild_id, "feedback give", option="recommendation", value="2"
    )
    assert choices and choices[0]["name"].startswith("R2. ") and choices[0]["value"] == 2
    areas = await world.emu.autocomplete(
        world.members["dana"], world.guild_id, "feedback give", option="area", value="Innov"
    )
    assert [a["value"] for a in areas] == [6]
    opened = await world.command("dana", "feedback give", recommendation=2, area=6, anonymous=True)
    assert modal_inputs(opened.modal) == {"text"}, "area and anonymity were chosen in the command"
    done = await submit(world, "dana", opened, {"text": "Falta claridad sobre la financiación."})
    assert done.ephemeral and t("feedback.saved_anonymous", world.locales["dana"]) in done.content
    [item] = await items_of(world, "dana")
    assert (item.recommendation_number, item.area_number, item.anonymous, item.language) == (
        2,
        6,
        True,
        "es",
    )


async def test_the_button_and_open_forms_work_after_a_restart(world: World) -> None:
    posts = await published(world)
    before = await click_give(world, "eve", posts[8])  # a form still open while the bot restarts
    await world.restart_bot()
    opened = await click_give(world, "chen", posts[9])
    done = await submit(world, "chen", opened, {"text": "这个建议很好"})
    assert done.ephemeral
    [item] = await items_of(world, "chen")
    assert item.recommendation_number == 9 and item.body == "这个建议很好"
    late = await submit(world, "eve", before, {"text": "Geschrieben während des Neustarts.", "area": ["2"]})
    assert late.ephemeral and "#" in late.content
    [kept] = await items_of(world, "eve")
    assert (kept.recommendation_number, kept.area_number, kept.body) == (
        8,
        2,
        "Geschrieben während des Neustarts.",
    )
    listing = await world.command("wg", "feedback-manage list")
    answer_form = await world.emu.click_button(
        world.members["wg"], listing.channel_id, listing.message_id, f"feedback:respond:{kept.id}"
    )
    answer_form = await answer_form.wait()
    await world.restart_bot()
    answered = await submit(world, "wg", answer_form, {"text": "Danke!"})
    assert answered.content == t(
        "feedback.responded", reference=kept.id, delivery=t("feedback.delivery_thread")
    )


NASTY = [
    "@everyone @here <@&1> <@1> look",
    "\u202eRTL override\u202c and \u200f\u05e9\u05dc\u05d5\u05dd",
    "👩🏽‍💻🏳️‍🌈 Z̴̡̛a̶l̷g̸o̵ ~~strike~~ ||spoiler|| `code` ```sql\nDROP TABLE feedback;\n```",
    "  leading and trailing spaces kept  \n\n",
    "𝕏" * MAX_LENGTH,
    "'; DELETE FROM feedback; --",
]


async def test_nasty_text_round_trips_through_the_modal(world: World) -> None:
    posts = await published(world)
    for index, text in enumerate(NASTY):
        world.clock.advance(minutes=5)  # stay under the cooldown
        opened = await click_give(world, "eve", posts[1 + index])
        done = await submit(world, "eve", opened, {"text": text})
        assert done.ephemeral, done.content
    stored = sorted(await items_of(world, "eve"), key=lambda item: item.id)
    assert [item.body for item in stored] == NASTY


# -- limits ---------------------------------------------------------------------------------


async def test_every_limit_is_answered_with_its_sentence(world: World) -> None:
    posts = await published(world)
    # Empty and whitespace-only.
    for text in ("", "   \n\u200b "):
        done = await submit(world, "alice", await click_give(world, "alice", posts[1]), {"text": text})
        assert done.ephemeral and done.content == t("feedback.empty")
    # Over-long, as if the modal's own limit were bypassed.
    done = await submit(
        world, "alice", await click_give(world, "alice", posts[1]), {"text": "a" * (MAX_LENGTH + 1)}
    )
    assert done.content == t("feedback.too_long", limit=MAX_LENGTH, length=MAX_LENGTH + 1)
    # Unknown recommendation.
    result = await world.command("alice", "feedback give", recommendation=42)
    assert result.ephemeral and result.content == t("feedback.unknown_recommendation", number=42)
    result = await world.command("alice", "feedback give", recommendation=1, area=77)
    assert result.content == t("feedback.unknown_area", number=77)
    # Too much too fast: refused when the form would open and when it is sent.
    forms = [await click_give(world, "alice", posts[2]) for _ in range(COOLDOWN_ITEMS + 1)]
    for opened in forms[:COOLDOWN_ITEMS]:
        assert (await submit(world, "alice", opened, {"text": "ok!"})).ephemeral
    refused = await click_give(world, "alice", posts[2])
    assert refused.modal is None and refused.ephemeral
    assert refused.content == t("feedback.too_fast", items=COOLDOWN_ITEMS, window=60, seconds=60)
    late = await submit(world, "alice", forms[-1], {"text": "one more"})
    assert late.content == t("feedback.too_fast", items=COOLDOWN_ITEMS, window=60, seconds=60)
    world.clock.advance(timedelta(seconds=61))
    assert (await click_give(world, "alice", posts[2])).modal is not None
    # Closed phase.
    await world.bot.guild_repository.update(world.guild_id, world.clock.now(), phase="closed")
    closed = await click_give(world, "alice", posts[2])
    assert closed.modal is None and closed.content == t("feedback.phase_closed")
    result = await world.command("alice", "feedback give", recommendation=1)
    assert result.content == t("feedback.phase_closed")
    assert len(await items_of(world, "alice")) == COOLDOWN_ITEMS


# -- thread replies -------------------------------------------------------------------------


async def test_thread_reply_edit_and_delete_are_reflected(world: World) -> None:
    posts = await published(world)
    thread_id = posts[4][0]
    repo = FeedbackRepository(world.db)
    reply = await world.emu.post_message(
        world.members["eve"], thread_id, "Das ist ein guter Vorschlag, aber zu teuer."
    )

    async def stored() -> Feedback | None:
        return await repo.by_message(reply.id)

    item = await wait_for(stored)
    assert item.source == "thread" and item.recommendation_number == 4 and item.version == 1
    assert item.language == "de" and item.author_id == world.members["eve"] and item.channel_id == thread_id
    await world.emu.edit_message(world.members["eve"], thread_id, reply.id, "Das ist ein guter Vorschlag.")

    async def edited() -> Feedback | None:
        current = await repo.by_message(reply.id)
        return current if current and current.body == "Das ist ein guter Vorschlag." else None

    await wait_for(edited)
    assert [h.body for h in await repo.history(item.id)] == ["Das ist ein guter Vorschlag, aber zu teuer."]
    await world.emu.delete_message(thread_id, reply.id)

    async def deleted() -> Feedback | None:
        current = await repo.by_message(reply.id)
        return current if current and current.status == "deleted" else None

    await wait_for(deleted)


async def test_bot_messages_and_other_channels_are_not_feedback(world: World) -> None:
    posts = await published(world)
    thread_id = posts[5][0]
    await world.emu.post_message(world.members["bob"], world.text_id, "Just chatting in #general.")
    await world.emu.post_message(world.emu.bot_user_id, thread_id, "A bot note in the thread.")
    marker = await world.emu.post_message(world.members["bob"], thread_id, "Je suis d'accord.")
    await wait_for(lambda: FeedbackRepository(world.db).by_message(marker.id))
    bodies = [
        item.body for item in await FeedbackRepository(world.db).for_working_group(world.guild_id, limit=50)
    ]
    assert bodies == ["Je suis d'accord."]


async def wait_for(probe: Any, timeout: float = 30) -> Any:
    """Until the stored state is what the test waits for; the bound only ends a failing test (the first
    thread reply loads the language model, seconds on a busy machine)."""
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.02)


# -- anonymity and answers ------------------------------------------------------------------


def visible_text(*results: InteractionResult) -> str:
    return json.dumps(
        [[r.content, r.embeds, r.components, r.modal, [f.content for f in r.followups]] for r in results],
        ensure_ascii=False,
    )


async def test_anonymous_feedback_never_shows_its_author_to_the_working_group(world: World) -> None:
    posts = await published(world)
    alice = world.members["alice"]
    opened = await click_give(world, "alice", posts[1])
    await submit(world, "alice", opened, {"text": "Anonymous worry about section 2.", "anonymous": True})
    [item] = await items_of(world, "alice")
    assert item.anonymous
    listing = await world.command("wg", "feedback-manage list")
    choices = await world.emu.autocomplete(
        world.members["wg"], world.guild_id, "feedback-manage respond", option="item", value=""
    )
    assert [c["value"] for c in choices] == [item.id]
    assert "Anonymous" in visible_text(listing)
    opened = await world.emu.click_button(
        world.members["wg"], listing.channel_id, listing.message_id, f"feedback:respond:{item.id}"
    )
    opened = await opened.wait()
    answer = await submit(world, "wg", opened, {"text": "Thank you, we will look at section 2."})
    assert answer.content == t("feedback.responded", reference=item.id, delivery=t("feedback.delivery_later"))
    seen = visible_text(listing, opened, answer) + json.dumps(choices, ensure_ascii=False)
    everything_posted = [
        m.content + json.dumps(m.embeds) for c in world.emu.state.channels for m in world.emu.messages(c)
    ]
    for text in [seen, *everything_posted]:
        assert str(alice) not in text and "Alice" not in text
    # The author sees the answer the next time they use a feedback command, once.
    mine = await world.command("alice", "feedback mine")
    assert "Thank you, we will look at section 2." in visible_text(mine)
    again = await world.command("alice", "feedback mine")
    assert "Thank you, we will look at section 2." not in visible_text(again)
    assert f"#{item.id}" in visible_text(again)


async def test_a_named_author_is_told_in_the_thread_pinging_only_them(world: World) -> None:
    posts = await published(world)
    thread_id = posts[7][0]
    bob = world.members["bob"]
    await submit(world, "bob", await click_give(world, "bob", posts[7]), {"text": "Bon début."})
    [item] = await items_of(world, "bob")
    answer = await world.command(
        "wg", "feedback-manage respond", item=item.id, text="Merci ! @everyone <@&1> noted."
    )
    assert answer.ephemeral and t("feedback.delivery_thread") in answer.content
    notice = world.emu.messages(thread_id)[-1]
    assert notice.author_id == world.emu.bot_user_id and f"<@{bob}>" in notice.content
    assert "Merci ! @everyone <@&1> noted." in notice.content
    allowed = notice.allowed_mentions
    assert allowed["parse"] == [] and [int(u) for u in allowed["users"]] == [bob] and not allowed.get("roles")
    rows = await world.db.fetchall(
        "SELECT action, target FROM audit_log WHERE guild_id = ?", (world.guild_id,)
    )
    assert ("feedback.respond", f"feedback #{item.id}") in [tuple(row) for row in rows]
    listing = await world.command("wg", "feedback-manage list")
    assert "answered 1×" in visible_text(listing)


async def test_members_cannot_read_or_answer_the_working_groups_list(world: World) -> None:
    posts = await published(world)
    await submit(world, "bob", await click_give(world, "bob", posts[2]), {"text": "Secret-ish."})
    [item] = await items_of(world, "bob")
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("alice", "feedback-manage list")
    # An administrator showed the working group's command to everyone: the bot still refuses.
    world.emu.override_command_visibility(world.guild_id, "feedback-manage", world.guild_id)
    refused = await world.command("alice", "feedback-manage list")
    assert refused.content == t("access.working_group")
    refused = await world.command("alice", "feedback-manage respond", item=item.id, text="I answer myself")
    assert refused.content == t("access.working_group")
    choices = await world.emu.autocomplete(
        world.members["alice"], world.guild_id, "feedback-manage respond", option="item", value=""
    )
    assert choices == []


async def test_the_working_groups_buttons_and_form_refuse_a_replay_by_a_member(world: World) -> None:
    """A custom id is all a replay needs: the buttons and the answer form check access like commands."""
    posts = await published(world)
    await submit(world, "bob", await click_give(world, "bob", posts[2]), {"text": "Answer me, please."})
    [item] = await items_of(world, "bob")
    listing = await world.command("wg", "feedback-manage list")
    replayed = await world.emu.click_button(
        world.members["alice"], listing.channel_id, listing.message_id, f"feedback:respond:{item.id}"
    )
    replayed = await replayed.wait()
    assert replayed.modal is None and replayed.content == t("access.working_group")
    answer_form = await world.emu.click_button(
        world.members["wg"], listing.channel_id, listing.message_id, f"feedback:respond:{item.id}"
    )
    answer_form = await answer_form.wait()
    refused = await submit(world, "alice", answer_form, {"text": "I answer myself."})
    assert refused.ephemeral and refused.content == t("access.working_group")
    assert await FeedbackRepository(world.db).responses(item.id) == []
    answered = await submit(world, "wg", answer_form, {"text": "Here is our answer."})
    assert answered.content.startswith(t("feedback.responded", reference=item.id, delivery="")[:20])
    assert [r.body for r in await FeedbackRepository(world.db).responses(item.id)] == ["Here is our answer."]


async def test_the_working_group_list_is_paged(world: World) -> None:
    posts = await published(world)
    for number in range(1, 8):
        world.clock.advance(minutes=1)
        name = ["alice", "bob", "chen"][number % 3]
        await submit(
            world, name, await click_give(world, name, posts[number]), {"text": f"Comment on R{number}"}
        )
    first = await world.command("wg", "feedback-manage list")
    assert first.ephemeral and len(first.embeds) == 5 and "Page 1 of 2" in first.content
    page = await world.emu.click_button(
        world.members["wg"], first.channel_id, first.message_id, "feedback:page:0:1:next"
    )
    await page.wait()
    second = world.emu.message(first.message_id)
    assert len(second.embeds) == 2 and "Page 2 of 2" in second.content
    only = await world.command("wg", "feedback-manage list", recommendation=3)
    assert len(only.embeds) == 1
    assert "Only R3." in only.content and "R3 v1" in only.embeds[0]["title"]


async def test_own_items_edit_and_withdraw(world: World) -> None:
    posts = await published(world)
    await submit(world, "eve", await click_give(world, "eve", posts[8]), {"text": "Erste Fassung."})
    [item] = await items_of(world, "eve")
    opened = await world.command("eve", "feedback edit", item=item.id)
    done = await submit(world, "eve", opened, {"text": "Zweite Fassung."})
    assert done.content == t("feedback.edited", world.locales["eve"], reference=item.id)
    assert [h.body for h in await FeedbackRepository(world.db).history(item.id)] == ["Erste Fassung."]
    refused = await world.command("bob", "feedback withdraw", item=item.id)
    assert refused.content == t("feedback.not_yours", world.locales["bob"], reference=item.id)
    done = await world.command("eve", "feedback withdraw", item=item.id)
    assert done.content == t("feedback.withdrawn", world.locales["eve"], reference=item.id)
    assert (await items_of(world, "eve"))[0].status == "withdrawn"
    assert (await world.command("eve", "feedback mine")).content == t(
        "feedback.mine_empty", world.locales["eve"]
    )


async def test_text_channel_posts_button_and_thread_reply(text_world: World) -> None:
    """Drafts as a message with a thread in a text channel: button on the message, replies in the thread."""
    world = text_world
    await world.publish()
    repo = FeedbackRepository(world.db)
    post = await RecommendationRepository(world.db).live_post_for(
        (await RecommendationRepository(world.db).by_number(world.guild_id, 6)).id
    )
    assert post is not None and post.kind == "text" and post.thread_id is not None
    opened = await world.emu.click_button(
        world.members["chen"], post.channel_id, post.message_id, f"feedback:give:{post.recommendation_id}"
    )
    done = await submit(world, "chen", await opened.wait(), {"text": "我同意。"})
    assert done.ephemeral
    reply = await world.emu.post_message(world.members["dana"], post.thread_id, "Estoy de acuerdo con todo.")
    item = await wait_for(lambda: repo.by_message(reply.id))
    assert item.recommendation_number == 6 and item.source == "thread" and item.language == "es"
    assert [i.recommendation_number for i in await items_of(world, "chen")] == [6]


async def test_hidden_feedback_is_left_out_of_the_working_groups_views(world: World) -> None:
    posts = await published(world)
    await submit(world, "bob", await click_give(world, "bob", posts[1]), {"text": "Rude remark."})
    await submit(world, "chen", await click_give(world, "chen", posts[1]), {"text": "Useful remark."})
    [rude] = await items_of(world, "bob")
    assert await FeedbackRepository(world.db).hide(rude.id, world.members["mod"], "rude", world.clock.now())
    listing = await world.command("wg", "feedback-manage list")
    assert [embed["title"].split(" ")[0] for embed in listing.embeds] == [f"#{rude.id + 1}"]
    assert "Rude remark." not in visible_text(listing)
    refused = await world.command("wg", "feedback-manage respond", item=rude.id, text="Noted.")
    assert refused.content == t("feedback.unknown_item", reference=rude.id)
    mine = await world.command("bob", "feedback mine")
    assert t("feedback.mine_hidden", world.locales["bob"]) in visible_text(mine), (
        "the author still sees it, marked hidden"
    )


async def test_an_answer_the_thread_refused_reaches_the_author_with_their_next_feedback(world: World) -> None:
    posts = await published(world)
    thread_id = posts[6][0]
    await submit(world, "dana", await click_give(world, "dana", posts[6]), {"text": "Primera idea."})
    [item] = await items_of(world, "dana")
    world.emu.fail_route("POST", rf"/channels/{thread_id}/messages", status=403, code=50001)
    answer = await world.command("wg", "feedback-manage respond", item=item.id, text="Gracias, lo revisamos.")
    assert t("feedback.delivery_later") in answer.content
    world.clock.advance(minutes=5)
    done = await submit(world, "dana", await click_give(world, "dana", posts[6]), {"text": "Segunda idea."})
    assert (
        done.ephemeral
        and done.embeds
        and done.embeds[-1]["title"] == t("feedback.pending_title", world.locales["dana"])
    )
    assert done.embeds[-1]["fields"][0]["value"] == "Gracias, lo revisamos."
    [response] = await FeedbackRepository(world.db).responses(item.id)
    assert response.delivered_at is not None
