"""Discord's rate limits as the emulator models them: buckets, headers, 429s, the global limit, shared
limits, and the real discord.py client honouring all of it."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from rehearsal.emulator import DiscordEmulator, run_client
from rehearsal.emulator.ratelimits import GLOBAL_LIMIT, RateLimits

from .conftest import make_bot

REACT = "/channels/{c}/messages/9/reactions/%F0%9F%91%8D/@me"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def model(pace: float) -> tuple[RateLimits, Clock]:
    clock = Clock()
    return RateLimits(pace, clock=clock, wall=lambda: 1_700_000_000.0 + clock.now), clock


@pytest.mark.parametrize("pace", [1.0, 0.01])
def test_reaction_bucket_headers_and_429_at_any_pace(pace):
    limits, clock = model(pace)
    first = limits.check("PUT", REACT.format(c=1))
    assert first.refused is None
    headers = first.headers
    assert headers["X-RateLimit-Limit"] == "1" and headers["X-RateLimit-Remaining"] == "0"
    assert float(headers["X-RateLimit-Reset-After"]) == pytest.approx(0.25 * pace, abs=0.001)
    assert float(headers["X-RateLimit-Reset"]) == pytest.approx(
        1_700_000_000.0 + clock.now + 0.25 * pace, abs=0.001
    )
    # Another channel is another bucket (same hash: Discord's hashes leave the resource out).
    other = limits.check("PUT", REACT.format(c=2))
    assert other.refused is None and other.headers["X-RateLimit-Bucket"] == headers["X-RateLimit-Bucket"]
    # Removing a reaction shares the bucket of adding one.
    clock.now += 0.1 * pace
    refused = limits.check("DELETE", REACT.format(c=1))
    assert refused.refused is not None and refused.scope == "user"
    assert refused.refused["retry_after"] == pytest.approx(0.15 * pace, abs=0.001)
    assert refused.refused["global"] is False
    assert refused.headers["X-RateLimit-Scope"] == "user" and refused.headers["Via"]
    assert int(refused.headers["Retry-After"]) >= refused.refused["retry_after"]
    # Waiting exactly what the headers said is enough, never more.
    clock.now += float(refused.refused["retry_after"])
    assert limits.check("PUT", REACT.format(c=1)).refused is None
    assert limits.total_429 == 1 and limits.invalid_requests == 1


def test_message_sends_five_per_five_seconds_per_channel():
    limits, clock = model(1.0)
    remaining = [
        limits.check("POST", "/channels/7/messages").headers["X-RateLimit-Remaining"] for _ in range(5)
    ]
    assert remaining == ["4", "3", "2", "1", "0"]
    assert limits.check("POST", "/channels/7/messages").refused is not None
    assert limits.check("PATCH", "/channels/7/messages/3").refused is None  # edits: their own bucket
    assert limits.check("POST", "/channels/8/messages").refused is None
    clock.now += 5.0
    assert limits.check("POST", "/channels/7/messages").refused is None


def test_global_limit_spares_interaction_endpoints():
    limits, clock = model(1.0)
    for channel in range(GLOBAL_LIMIT):
        assert limits.check("GET", f"/channels/{channel}/messages/1").refused is None
    refused = limits.check("GET", "/channels/999/messages/1")
    assert refused.scope == "global" and refused.refused is not None and refused.refused["global"] is True
    assert (
        refused.headers["X-RateLimit-Global"] == "true" and refused.headers["X-RateLimit-Scope"] == "global"
    )
    assert "X-RateLimit-Bucket" not in refused.headers
    # Interaction responses and follow-ups are not bound to the global limit.
    assert limits.check("POST", "/interactions/5/tok/callback").refused is None
    assert limits.check("POST", "/webhooks/5/tok").refused is None
    clock.now += 1.0
    assert limits.check("GET", "/channels/999/messages/1").refused is None


def test_each_interaction_token_is_a_bucket_of_its_own():
    limits, _ = model(1.0)
    for _ in range(5):
        assert limits.check("POST", "/webhooks/5/first").refused is None
    assert limits.check("POST", "/webhooks/5/first").refused is not None
    assert limits.check("POST", "/webhooks/5/second").refused is None
    assert limits.check("PATCH", "/webhooks/5/first/messages/@original").refused is None


def test_emoji_routes_are_shared_per_guild_and_not_counted_as_invalid():
    limits, _ = model(1.0)
    for _ in range(5):
        assert limits.check("GET", "/guilds/1/emojis").refused is None
    refused = limits.check("GET", "/guilds/1/emojis")
    assert refused.scope == "shared" and refused.headers["X-RateLimit-Scope"] == "shared"
    assert refused.refused is not None and refused.refused["message"] == "The resource is being rate limited."
    assert limits.check("GET", "/guilds/2/emojis").refused is None
    assert limits.answered["shared"] == 1 and limits.invalid_requests == 0


async def test_a_429_over_http_has_discords_shape(emu: DiscordEmulator, world):
    emu.set_pace(1.0)
    channel = world["text"].id
    message = await emu.post_message(world["alice"].id, channel, "hello")
    url = f"{emu.api_base}/channels/{channel}/messages/{message.id}/reactions/%F0%9F%91%8D/@me"
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.put(url, headers=headers) as first:
            assert first.status == 204 and first.headers["X-RateLimit-Remaining"] == "0"
        async with session.put(url, headers=headers) as second:
            assert second.status == 429
            body = await second.json()
            assert second.headers["Content-Type"] == "application/json"
            assert second.headers["X-RateLimit-Scope"] == "user" and second.headers["Via"]
            assert 0 < body["retry_after"] <= 0.25 and body["global"] is False
    assert emu.rate_limited == 1


async def test_discord_py_honours_the_buckets_without_a_429(emu: DiscordEmulator, world):
    """Two channels' reactions in parallel and a burst of sends, at a fifth of Discord's pace: the client
    waits as the headers say (it takes as long as the windows) and never gets a 429."""
    pace = 0.2
    emu.set_pace(pace)
    alice = world["alice"].id
    channels = [world["text"].id, emu.create_channel(world["guild"].id, "second").id]
    messages = [await emu.post_message(alice, c, "react here") for c in channels]
    emojis = [f"{n}\ufe0f\u20e3" for n in range(1, 10)] + ["👍", "👎", "🛠️"]
    bot = make_bot()
    async with run_client(emu, bot):

        async def react_all(channel_id: int, message_id: int) -> None:
            partial = bot.get_partial_messageable(channel_id).get_partial_message(message_id)
            for emoji in emojis:
                await partial.add_reaction(emoji)

        started = time.monotonic()
        await asyncio.gather(*(react_all(c, m.id) for c, m in zip(channels, messages, strict=True)))
        reacting = time.monotonic() - started
        channel = bot.get_partial_messageable(channels[0])
        started = time.monotonic()
        await asyncio.gather(*(channel.send(f"n{i}") for i in range(8)))
        sending = time.monotonic() - started
    assert emu.rate_limited == 0, emu.ratelimits.refusals
    for message in messages:
        assert set(emu.reactions(message.channel_id, message.id)) == set(emojis)
    # 12 reactions a channel, one per 0.25 s x pace: the two channels in parallel, not one after the other.
    assert 11 * 0.25 * pace <= reacting < 2 * 11 * 0.25 * pace
    assert sending >= 5.0 * pace  # the sixth send waited for the next five-second window


async def test_discord_py_waits_out_a_global_429(emu: DiscordEmulator, world):
    """discord.py has no global limiter of its own: past 50 requests a second it gets global 429s, which
    it retries after ``retry_after`` without failing a request."""
    emu.set_pace(1.0)
    guild = world["guild"].id
    alice = world["alice"].id
    channels = [emu.create_channel(guild, f"c{i}").id for i in range(GLOBAL_LIMIT + 10)]
    messages = [await emu.post_message(alice, c, "x") for c in channels]
    bot = make_bot()
    async with run_client(emu, bot):
        emu.set_pace(1.0)  # the log-in's requests counted in a fresh model
        fetched = await asyncio.gather(
            *(bot.get_partial_messageable(m.channel_id).fetch_message(m.id) for m in messages)
        )
    assert [m.id for m in fetched] == [m.id for m in messages]
    assert emu.ratelimits is not None and emu.ratelimits.answered["global"] >= 1
    assert set(emu.ratelimits.answered) == {"global"}


async def test_off_by_default_outside_the_suites_that_turn_it_on():
    emulator = DiscordEmulator()
    assert emulator.ratelimits is None and emulator.rate_limited == 0
    assert isinstance(discord.__version__, str)


@pytest.mark.parametrize("pace", [1.0, 0.01])
def test_a_third_rename_within_ten_minutes_is_refused_with_room_in_the_headers(pace):
    """Discord's undocumented sub-limit (discord-api-docs#1900): two name or topic changes per channel
    per ten minutes; the third's 429 shows the route bucket's headers, which still have room."""
    limits, clock = model(pace)
    path = "/channels/5"
    for title in ("one", "two"):
        verdict = limits.check("PATCH", path)
        assert limits.check_rename("PATCH", path, {"name": title}, verdict.headers) is None
    verdict = limits.check("PATCH", path)
    assert int(verdict.headers["X-RateLimit-Remaining"]) > 0
    refused = limits.check_rename("PATCH", path, {"topic": "three"}, verdict.headers)
    assert refused is not None and refused.refused is not None
    assert refused.refused["retry_after"] == pytest.approx(600 * pace, abs=0.001)
    assert refused.headers["X-RateLimit-Remaining"] == verdict.headers["X-RateLimit-Remaining"]
    assert refused.headers["X-RateLimit-Scope"] == "user" and refused.headers["Via"]
    # Other edits of the channel, and renames of another channel, are not held.
    assert limits.check_rename("PATCH", path, {"applied_tags": []}, verdict.headers) is None
    assert limits.check_rename("PATCH", "/channels/6", {"name": "x"}, verdict.headers) is None
    clock.now += 600 * pace
    assert limits.check_rename("PATCH", path, {"name": "four"}, verdict.headers) is None
