"""Publishing drafts and tallying reactions, end to end through the emulator."""

import random

import pytest

from bot.data.recommendations import RecommendationRepository
from rehearsal.emulator import EmulatorError
from rehearsal.emulator.state import MANAGE_EVENTS
from rehearsal.world import database_tally, discord_tally

SUPPORT, OPPOSE, NEEDS_WORK = "👍", "👎", "🛠️"
AREAS = [f"{n}\ufe0f\u20e3" for n in range(1, 10)]
OPTIONS = [*AREAS, SUPPORT, OPPOSE, NEEDS_WORK]


async def live_posts(world):
    return await RecommendationRepository(world.db).live_posts(world.guild_id)


async def settle(world):
    """Wait until every event the emulator sent has been handled and written."""
    await world.settle()


def add_members(world, count, prefix="m"):
    return [world.emu.create_member(world.guild_id, f"{prefix}{i}").id for i in range(count)]


async def test_publish_into_a_forum(world):
    result = await world.publish()
    assert "Published 9 draft recommendations" in result.followups[-1].content
    # Answered at once, the answer then edited as posts were completed; Discord's limits respected.
    assert result.deferred and result.answered_within_deadline
    assert result.content == "9 of 9 draft recommendations posted with their reactions…"
    assert world.emu.rate_limited == 0, world.emu.ratelimits.refusals
    threads = world.emu.threads(world.forum_id)
    assert len(threads) == 9
    assert all(1 <= len(thread.name) <= 100 for thread in threads)
    posts = await live_posts(world)
    assert len(posts) == 9 and {p.kind for p in posts} == {"forum"}
    post = posts[0]
    starter = world.emu.message(post.message_id)
    embed = starter.embeds[0]
    assert embed["title"].startswith("R")
    assert "version 1" in embed["footer"]["text"]
    assert starter.components[0]["components"][0]["custom_id"].startswith("feedback:give:")
    assert set(world.emu.reactions(post.thread_id, post.message_id)) == set(OPTIONS)
    # One forum tag per scoping area, each within Discord's 20 characters.
    tags = world.emu.channel(world.forum_id).available_tags
    assert len(tags) == 9 and all(len(tag["name"]) <= 20 for tag in tags)


async def test_members_reacting_while_drafts_are_still_posted_are_counted(world):
    """Regression: a post was tracked only once the bot's twelve reactions were on it (3 s at Discord's
    pace), so what members did on it meanwhile never reached the tally."""
    emu = world.emu
    world.set_pace(0.2)  # a post's reactions take 0.55 s: time to react in between
    member = add_members(world, 1)[0]
    result = await world.command("wg", "consultation publish")

    def first_post_half_reacted():
        threads = emu.threads(world.forum_id)
        starters = emu.messages(threads[0].id) if threads else []
        return starters[0] if starters and 0 < len(starters[0].reactions) < len(OPTIONS) else None

    starter = await emu.wait_until(first_post_half_reacted, timeout=30)
    await emu.react(member, starter.channel_id, starter.id, SUPPORT)
    await result.wait_for_followup(timeout=60)
    await settle(world)
    assert member in emu.reactions(starter.channel_id, starter.id)[SUPPORT]
    assert await database_tally(world) == await discord_tally(world)
    assert emu.rate_limited == 0, emu.ratelimits.refusals


async def test_publish_into_a_text_channel(text_world):
    world = text_world
    await world.publish()
    posts = await live_posts(world)
    assert len(posts) == 9 and {p.kind for p in posts} == {"text"}
    assert len([m for m in world.emu.messages(world.text_id) if m.embeds]) == 9
    assert len(world.emu.threads(world.text_id)) == 9
    for post in posts:
        assert post.thread_id == post.message_id  # a thread started from the post


async def test_publishing_twice_never_duplicates(world):
    await world.publish()
    second = await world.publish()
    assert "already posted (9 posts)" in second.followups[-1].content
    assert len(world.emu.threads(world.forum_id)) == 9


async def test_a_post_deleted_by_hand_is_published_again(world):
    await world.publish()
    posts = await live_posts(world)
    victim = posts[3]
    await world.emu.delete_message(victim.thread_id, victim.message_id)
    await world.settle()  # the deletion reached the bot before the next publish
    again = await world.publish()
    text = again.followups[-1].content
    assert "Published 1 draft recommendation in" in text
    assert len(await live_posts(world)) == 9


async def test_plain_member_cannot_publish_or_edit(world):
    with pytest.raises(EmulatorError, match="not visible"):
        await world.command("alice", "consultation publish")
    # Visible to a member with Manage Events (or by an admin's override), refused at run time all the same.
    events_role = world.emu.create_role(world.guild_id, "Event planners", permissions=MANAGE_EVENTS)
    planner = world.emu.create_member(world.guild_id, "Planner", roles=[events_role.id])
    world.members["planner"] = planner.id
    for command, options in (("consultation publish", {}), ("consultation edit", {"recommendation": 1})):
        result = await world.command("planner", command, **options)
        assert result.ephemeral
        assert result.content == "Only members of the working group can do that."
    assert world.emu.threads(world.forum_id) == []


async def test_edit_stores_a_version_and_updates_the_post(world):
    await world.publish()
    opened = await world.command("wg", "consultation edit", recommendation=2)
    assert opened.modal is not None
    fields = {row["components"][0]["custom_id"]: row["components"][0] for row in opened.modal["components"]}
    title_id, text_id = list(fields)
    submitted = await world.emu.submit_modal(
        world.members["wg"],
        opened,
        {
            title_id: "Design participatory decision making",
            text_id: "Decisions on resources involve the communities.",
        },
    )
    await submitted.wait(10)
    await submitted.wait_for_followup(10)
    assert "Saved version 2 of R2" in submitted.followups[-1].content
    repo = RecommendationRepository(world.db)
    rec = await repo.by_number(world.guild_id, 2)
    assert rec.version == 2 and [v.version for v in await repo.versions(rec.id)] == [1, 2]
    post = await repo.live_post_for(rec.id)
    starter = world.emu.message(post.message_id)
    assert starter.embeds[0]["description"] == "Decisions on resources involve the communities."
    assert world.emu.channel(post.thread_id).name == "R2. Design participatory decision making"
    assert any("Version 2" in m.content for m in world.emu.messages(post.thread_id))


async def test_an_edit_form_opened_before_a_restart_is_saved_after_it(world):
    """The form carries the draft in its custom id: a bot restarted while it was open still answers it."""
    opened = await world.command("wg", "consultation edit", recommendation=3)
    title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
    await world.restart_bot()
    submitted = await world.emu.submit_modal(
        world.members["wg"], opened, {title_id: "Revised after a restart", text_id: "Still saved."}
    )
    await submitted.wait(10)
    await submitted.wait_for_followup(10)
    assert "Saved version 2 of R3" in submitted.followups[-1].content
    rec = await RecommendationRepository(world.db).by_number(world.guild_id, 3)
    assert (rec.title, rec.body, rec.version) == ("Revised after a restart", "Still saved.", 2)


async def test_reactions_are_tallied_exactly(world):
    await world.publish()
    posts = await live_posts(world)
    members = add_members(world, 40)
    rng = random.Random(3)
    for _ in range(600):
        post = rng.choice(posts)
        member = rng.choice(members)
        emoji = rng.choice(OPTIONS)
        if rng.random() < 0.75:
            await world.emu.react(member, post.thread_id, post.message_id, emoji)
        else:
            await world.emu.unreact(member, post.thread_id, post.message_id, emoji)
    # Noise that must not count: a foreign emoji, another bot, an untracked message.
    other_bot = world.emu.create_member(world.guild_id, "OtherBot", bot=True).id
    await world.emu.react(members[0], posts[0].thread_id, posts[0].message_id, "🎉")
    await world.emu.react(other_bot, posts[0].thread_id, posts[0].message_id, SUPPORT)
    chat = await world.emu.post_message(members[1], world.text_id, "hello")
    await world.emu.react(members[1], world.text_id, chat.id, SUPPORT)
    await settle(world)
    assert await database_tally(world) == await discord_tally(world)


async def test_an_event_delivered_twice_counts_once(world):
    await world.publish()
    post = (await live_posts(world))[0]
    members = add_members(world, 5)
    world.emu.duplicate_events = True
    for member in members:
        await world.emu.react(member, post.thread_id, post.message_id, SUPPORT)
    await world.emu.unreact(members[0], post.thread_id, post.message_id, SUPPORT)
    world.emu.duplicate_events = False
    await settle(world)
    assert await database_tally(world) == await discord_tally(world)
    assert (await database_tally(world))[(1, "all")][1] == 4


async def test_catch_up_after_the_bot_was_offline(world):
    await world.publish()
    posts = await live_posts(world)
    members = add_members(world, 30)
    for member in members[:20]:
        await world.emu.react(member, posts[0].thread_id, posts[0].message_id, AREAS[0])
        await world.emu.react(member, posts[0].thread_id, posts[0].message_id, SUPPORT)
    await settle(world)
    await world.stop_bot()
    rng = random.Random(11)
    for member in members:
        for post in posts:
            emoji = rng.choice(OPTIONS)
            if rng.random() < 0.6:
                world.emu.react_silently(member, post.thread_id, post.message_id, emoji)
            else:
                world.emu.unreact_silently(member, post.thread_id, post.message_id, emoji)
    for member in members[:10]:
        world.emu.unreact_silently(member, posts[0].thread_id, posts[0].message_id, SUPPORT)
    await world.start_bot()
    added, removed, _ = await world.wait_for_catch_up()
    assert added > 0 and removed >= 10
    assert await database_tally(world) == await discord_tally(world)


async def test_forum_tags_follow_the_most_tagged_areas_in_few_edits(world):
    await world.publish()
    post = (await live_posts(world))[0]
    members = add_members(world, 30)
    tally = world.bot.services.tally
    world.bot.get_cog("TallyCog").refresh_tags.cancel()  # the test applies tags itself
    for index, emoji in enumerate(AREAS[:7]):
        for member in members[: 3 + index * 3]:
            await world.emu.react(member, post.thread_id, post.message_id, emoji)
    await settle(world)
    before = world.emu.request_count("PATCH", rf"/channels/{post.thread_id}$")
    edits = await tally.apply_dirty_tags()
    assert edits == 1
    assert world.emu.request_count("PATCH", rf"/channels/{post.thread_id}$") - before == 1
    areas = {a.forum_tag_id: a.number for a in await world.bot.guild_repository.scoping_areas(world.guild_id)}
    applied = world.emu.channel(post.thread_id).applied_tags
    assert sorted(areas[tag] for tag in applied) == [3, 4, 5, 6, 7]
    assert await tally.apply_dirty_tags() == 0  # nothing changed, no call


async def test_tally_command_shows_the_cross_tab(world):
    await world.publish()
    post = (await live_posts(world))[0]
    members = add_members(world, 3)
    for member in members:
        await world.emu.react(member, post.thread_id, post.message_id, AREAS[1])
    await world.emu.react(members[0], post.thread_id, post.message_id, SUPPORT)
    await settle(world)
    result = await world.command("wg", "consultation tally", recommendation=1)
    description = result.embeds[0]["description"]
    assert "Decision-making and power: 3 members · 👍 1 · 👎 0 · 🛠️ 0" in description
    overview = await world.command("wg", "consultation tally")
    assert "**R1.**" in overview.embeds[0]["description"]


@pytest.mark.parametrize("number", [0, 99])
async def test_unknown_recommendation(world, number):
    result = await world.command("wg", "consultation tally", recommendation=number)
    assert (
        result.content
        == f"There is no draft recommendation number {number} on this server. /consultation tally lists them."
    )


async def test_draft_phase_refuses_publishing_but_previews(world):
    await world.bot.guild_repository.update(world.guild_id, world.clock.now(), phase="draft")
    refused = await world.command("wg", "consultation publish")
    await refused.wait_for_followup(10)
    assert "still in its draft phase" in refused.followups[-1].content
    assert world.emu.threads(world.forum_id) == []
    preview = await world.command("wg", "consultation preview", recommendation=3)
    assert preview.ephemeral
    assert preview.embeds[0]["title"].startswith("R3. Avoid the pitfalls of privilege")


async def test_a_restart_keeps_a_text_channel_consultation(text_world):
    """Regression: catch-up fetched a text post through its thread and marked every post deleted."""
    world = text_world
    await world.publish()
    member = add_members(world, 1)[0]
    post = (await live_posts(world))[0]
    await world.stop_bot()
    world.emu.react_silently(member, post.channel_id, post.message_id, SUPPORT)
    await world.start_bot()
    await world.wait_for_catch_up()
    assert len(await live_posts(world)) == 9
    assert await database_tally(world) == await discord_tally(world)
    again = await world.publish()
    assert "already posted (9 posts)" in again.followups[-1].content


async def test_publishing_says_when_it_may_not_create_forum_tags(world):
    from rehearsal.emulator.state import BOT_DEFAULT, MANAGE_CHANNELS

    world.emu.set_bot_permissions(world.guild_id, BOT_DEFAULT & ~MANAGE_CHANNELS)
    result = await world.publish()
    text = result.followups[-1].content
    assert "Published 9 draft recommendations" in text
    assert "may not manage this forum's tags" in text
    assert world.emu.channel(world.forum_id).available_tags == []


async def test_publishing_says_when_the_forum_has_no_room_for_tags(world):
    from rehearsal.emulator.state import snowflake

    topics = [{"id": snowflake(), "name": f"Topic {n}", "moderated": False} for n in range(15)]
    await world.emu.update_thread(world.forum_id, available_tags=topics)
    await world.settle()
    result = await world.publish()
    assert "already has 15 tags and Discord allows 20, so 4 scoping areas got no tag" in (
        result.followups[-1].content
    )
    assert len(world.emu.channel(world.forum_id).available_tags) == 20


async def test_posts_speak_the_servers_language(tmp_path):
    from bot.i18n import t
    from rehearsal.world import World

    world = await World.create(tmp_path / "fr.sqlite3", guild_locale="fr")
    try:
        await world.start_bot()
        await world.setup_consultation("forum")
        await world.publish()
        post = (await live_posts(world))[0]
        starter = world.emu.message(post.message_id)
        assert starter.components[0]["components"][0]["label"] == t("recommendations.give_feedback", "fr")
        assert starter.embeds[0]["fields"][-1]["name"] == t("recommendations.field_how", "fr")
    finally:
        await world.close()
