"""REST faults on the routes the bot uses: 429s with ``retry_after`` and 5xx answers. The bot retries
within Discord's rules (discord.py waits ``retry_after``), the member gets an answer or a clear "try
again", and nothing is half-written: Discord's posts and the database agree after every run."""

from __future__ import annotations

import time

from bot.data.officehours import OfficeHoursRepository
from bot.i18n import t

from .conftest import OPTIONS, live_posts

THREADS = r"^/channels/\d+/threads$"
REACTIONS = r"^/channels/\d+/messages/\d+/reactions/[^/]+/@me$"
CALLBACK = r"^/interactions/\d+/[^/]+/callback$"


async def assert_posts_match_discord(world) -> None:
    """Every live post in the database exists in Discord with all its reaction options, and every
    thread in the forum is a live post (no orphan, no duplicate)."""
    posts = await live_posts(world)
    threads = {t.id for t in world.emu.threads(world.forum_id) if not world.emu.message(t.id).deleted}
    assert {p.thread_id for p in posts} == threads
    assert len({p.recommendation_id for p in posts}) == len(posts)
    for post in posts:
        reactions = world.emu.reactions(post.thread_id, post.message_id)
        assert set(reactions) == set(OPTIONS), f"post {post.message_id} lacks {set(OPTIONS) - set(reactions)}"


async def test_publish_rides_out_rate_limits_and_server_errors(world, figures):
    emu = world.emu
    emu.fail_route("POST", THREADS, status=429, retry_after=0.4, times=2)
    emu.fail_route("PUT", REACTIONS, status=429, retry_after=0.3, times=3)
    emu.fail_route("POST", THREADS, status=500, times=1)
    emu.fail_route("PUT", REACTIONS, status=502, times=1)
    started = time.monotonic()
    result = await world.publish()
    took = time.monotonic() - started
    figures["injected"] = 7
    figures["publish_seconds"] = round(took, 1)
    assert "Published 9 draft recommendations" in result.followups[-1].content
    assert result.answered_within_deadline
    assert all(fault.times == 0 for fault in emu.faults)  # every fault was met...
    assert took >= 2 * 0.4 + 3 * 0.3  # ...and each 429 waited its retry_after before retrying
    await assert_posts_match_discord(world)
    assert len(await live_posts(world)) == 9


async def test_interaction_callback_rate_limited_still_answers_in_time(world, figures):
    world.emu.fail_route("POST", CALLBACK, status=429, retry_after=0.5, times=1)
    result = await world.command("wg", "consultation status")
    figures["injected"] = 1
    figures["answer_seconds"] = round(result.elapsed or 0, 2)
    assert result.embeds and result.ephemeral
    assert (result.elapsed or 0) >= 0.5 and result.answered_within_deadline


async def test_refused_publish_says_try_again_and_finishes_later_without_duplicates(world, figures):
    emu = world.emu
    # 503 is not retried by discord.py: the third post fails for good this time.
    await world.publish()  # a first publish to learn nothing...
    for post in (await live_posts(world))[2:]:
        await emu.delete_message(post.thread_id, post.message_id)
    await world.settle()
    emu.fail_route("POST", THREADS, status=503, times=1)
    refused = await world.publish()
    text = refused.followups[-1].content
    assert "Publishing stopped after 0 posts" in text and "Run /consultation publish again" in text
    assert len(await live_posts(world)) == 2
    # A post created in Discord whose reactions failed is recorded, and the next publish completes it.
    emu.fail_route("PUT", REACTIONS, status=503, times=1)
    partial = await world.publish()
    assert "Publishing stopped after 0 posts" in partial.followups[-1].content
    assert len(await live_posts(world)) == 3
    done = await world.publish()
    assert "Published 6 draft recommendations" in done.followups[-1].content
    figures["injected"] = 2
    await assert_posts_match_discord(world)


async def test_a_post_deleted_while_the_bot_was_away_is_published_again(world, figures):
    await world.publish()
    victim = (await live_posts(world))[4]
    await world.stop_bot()
    await world.emu.delete_message(victim.thread_id, victim.message_id)  # the bot never hears of it
    await world.start_bot()
    again = await world.publish()
    assert "Published 1 draft recommendation in" in again.followups[-1].content
    figures["deleted_unseen"] = 1
    await assert_posts_match_discord(world)


async def test_office_hours_never_left_without_their_card(world, figures):
    """Discord refuses the sign-up card: the member is told to try again, and no session (nor its Discord
    event) is left behind without a card; the next attempt makes exactly one of each."""
    emu = world.emu
    options = {
        "title": "Card or nothing",
        "start": "2026-01-10T18:00Z",
        "duration": 60,
        "capacity": 4,
        "channel": world.voice_id,
    }
    emu.fail_route("POST", rf"^/channels/{world.text_id}/messages$", status=503, times=1)
    refused = await world.command("wg", "officehours-manage schedule", **options)
    if refused.deferred:
        await refused.wait_for_followup(10)
    text = refused.followups[-1].content if refused.deferred else refused.content
    assert text == t("errors.discord_unavailable")
    repo = OfficeHoursRepository(world.db)
    assert await repo.upcoming(world.guild_id, world.clock.now()) == []
    assert [e for e in emu.scheduled_events(world.guild_id) if e.status in (1, 2)] == []
    done = await world.command("wg", "officehours-manage schedule", **options)
    await done.wait_for_followup(10)
    [summary] = await repo.upcoming(world.guild_id, world.clock.now())
    assert emu.message(summary.session.card_message_id).embeds
    assert len([e for e in emu.scheduled_events(world.guild_id) if e.status in (1, 2)]) == 1
    figures["injected"] = 1


async def test_a_digest_discord_refused_is_not_counted_as_delivered(world, figures):
    await world.publish()
    posts = await live_posts(world)
    for index, name in enumerate(("alice", "bob", "chen")):
        user, post = world.members[name], posts[index]
        opened = await world.emu.click_button(
            user, post.thread_id, post.message_id, f"feedback:give:{post.recommendation_id}"
        )
        await opened.wait(10)
        await (await world.emu.submit_modal(user, opened, {"text": f"Never-seen feedback {name}"})).wait(10)
    world.clock.advance(minutes=10)
    # Discord refuses the digest's files (40005: request entity too large); not retried.
    world.emu.fail_route("POST", r"^/webhooks/\d+/[^/]+$", status=400, code=40005, times=1)
    refused = await world.command("wg", "digest", timeout=20)
    await refused.wait_for_followup(20)
    assert refused.followups[-1].content == t("errors.discord_unavailable")
    assert not any(message.files for message in refused.followups)
    world.clock.advance(minutes=10)
    again = await world.command("wg", "digest", timeout=20)  # "since the last digest", the default
    await again.wait_for_followup(20)
    seen = sum(data.count(b"Never-seen feedback") for message in again.followups for _, data in message.files)
    figures["feedback_in_retry"] = seen
    assert seen >= 3, "the feedback of the digest nobody received is missing from the next one"


async def test_a_weekly_digest_discord_refused_is_not_lost(world, figures):
    await world.publish()
    post = (await live_posts(world))[0]
    alice = world.members["alice"]
    world.clock.advance(hours=1)  # inside the first weekly period, not on its first instant
    opened = await world.emu.click_button(
        alice, post.thread_id, post.message_id, f"feedback:give:{post.recommendation_id}"
    )
    await opened.wait(10)
    await (await world.emu.submit_modal(alice, opened, {"text": "Week-one feedback"})).wait(10)
    cog = world.bot.get_cog("DigestCog")
    world.clock.advance(days=7)
    world.emu.fail_route("POST", rf"^/channels/{world.digest_id}/messages$", status=400, code=40005, times=1)
    assert await cog.run_due_digests() == 0  # refused by Discord (request entity too large)
    world.clock.advance(minutes=10)  # the loop's next turns
    posted_again = await cog.run_due_digests()
    figures["posted_at_next_turn"] = posted_again
    assert posted_again == 1, "the refused weekly digest is never posted"
    posted = [m for m in world.emu.messages(world.digest_id) if m.author_id == world.emu.bot_user_id]
    seen = sum(data.count(b"Week-one feedback") for message in posted for _, data in message.files)
    figures["week_one_items_in_next_digest"] = seen
    assert seen > 0, "the refused week's feedback is in no weekly digest"
