"""The emulator shards as Discord does: IDENTIFY with ``shard``, READY, GUILD_CREATE and events only
for that shard's guilds, DMs on shard 0, ``GET /gateway/bot`` with ``shards`` and the start budget."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from rehearsal.emulator import DiscordEmulator
from rehearsal.emulator.gateway import DIRECT_MESSAGES, GUILD_MESSAGES, GUILDS

INTENTS = GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES


async def next_dispatch(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame["op"] == 0:
            return frame


async def identify(
    session: aiohttp.ClientSession, emu: DiscordEmulator, shard: list[int] | None
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(emu.gateway_url)
    hello = json.loads((await ws.receive(timeout=5)).data)
    assert hello["op"] == 10
    data: dict[str, Any] = {"token": f"Bot {emu.token}", "intents": INTENTS, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": 2, "d": data})
    return ws


async def test_each_shard_gets_its_own_guilds_and_their_events(emu: DiscordEmulator) -> None:
    zero = emu.create_guild("Zero", shard=(0, 2))
    one = emu.create_guild("One", shard=(1, 2))
    assert {(zero.id >> 22) % 2, (one.id >> 22) % 2} == {0, 1}
    text = {g.id: emu.create_channel(g.id, "general") for g in (zero, one)}
    author = {g.id: emu.create_member(g.id, f"Member of {g.name}") for g in (zero, one)}
    async with aiohttp.ClientSession() as session:
        sockets = {n: await identify(session, emu, [n, 2]) for n in (0, 1)}
        for n, guild in ((0, zero), (1, one)):
            ready = await next_dispatch(sockets[n])
            assert ready["t"] == "READY" and ready["d"]["shard"] == [n, 2]
            assert [g["id"] for g in ready["d"]["guilds"]] == [str(guild.id)]
            created = await next_dispatch(sockets[n])
            assert created["t"] == "GUILD_CREATE" and created["d"]["id"] == str(guild.id)
        await emu.wait_for_ready(2)
        assert sorted(emu.gateway.shards_connected()) == [[0, 2], [1, 2]]

        # A message in guild Zero, then one in guild One: each shard's next event is its own guild's
        # (were Zero's sent to shard 1 too, it would come first there: the gateway keeps order).
        for guild in (zero, one):
            await emu.post_message(author[guild.id].id, text[guild.id].id, f"hello {guild.name}")
        for n, guild in ((0, zero), (1, one)):
            event = await next_dispatch(sockets[n])
            assert (event["t"], event["d"]["guild_id"]) == ("MESSAGE_CREATE", str(guild.id))

        # Events outside guilds (DMs) go to shard 0 only; a guild event after it shows shard 1 had none.
        emu.dispatch_raw("MESSAGE_CREATE", {"id": "1", "channel_id": "2", "content": "dm"})
        after = await emu.post_message(author[one.id].id, text[one.id].id, "after the DM")
        assert (await next_dispatch(sockets[0]))["d"]["id"] == "1"
        assert (await next_dispatch(sockets[1]))["d"]["id"] == str(after.id)
        for ws in sockets.values():
            await ws.close()


async def test_an_invalid_shard_is_refused_with_4010(emu: DiscordEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await identify(session, emu, [2, 2])
        closing = await ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4010


async def test_gateway_bot_recommends_shards_and_counts_session_starts(emu: DiscordEmulator) -> None:
    emu.gateway.recommended_shards = 3
    emu.gateway.max_concurrency = 2
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emu.api_base}/gateway/bot", headers=headers) as response:
            before = await response.json()
        assert before["shards"] == 3 and before["url"] == emu.gateway_url
        assert before["session_start_limit"]["max_concurrency"] == 2
        ws = await identify(session, emu, [0, 3])
        assert (await next_dispatch(ws))["t"] == "READY"
        async with session.get(f"{emu.api_base}/gateway/bot", headers=headers) as response:
            after = await response.json()
        assert after["session_start_limit"]["remaining"] == before["session_start_limit"]["remaining"] - 1
        await ws.close()


async def first_frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The first frame after HELLO that is not a heartbeat ACK (a dispatch or Opcode 9)."""
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        if frame["op"] in (0, 9):
            return frame


async def test_identifies_beyond_max_concurrency_in_a_bucket_get_invalid_session(
    emu: DiscordEmulator,
) -> None:
    """Discord's rule: one IDENTIFY per bucket (``shard_id % max_concurrency``) per 5 s; the one too
    many gets Opcode 9 Invalid Session. A raw client identifying shards 0, 1 and 2 at once with
    ``max_concurrency`` 2: shards 0 and 1 (two buckets) start, shard 2 (bucket 0 again) is refused."""
    emu.gateway.limits.pace = 1.0  # Discord's own 5-second window: the three IDENTIFYs fall inside it
    emu.gateway.max_concurrency = 2
    for n in range(4):
        emu.create_guild(f"Guild {n}", shard=(n, 4))
    async with aiohttp.ClientSession() as session:
        sockets = [await identify(session, emu, [n, 4]) for n in range(3)]
        frames = [await first_frame(ws) for ws in sockets]
        assert [(f["op"], f.get("t")) for f in frames] == [(0, "READY"), (0, "READY"), (9, None)]
        assert frames[2]["d"] is False  # not resumable: identify again, later
        assert emu.gateway.limits.refused == 1 and sorted(emu.gateway.shards_connected()) == [[0, 4], [1, 4]]
        limit = emu.gateway.session_start_limit()
        assert (limit["total"] - limit["remaining"], limit["max_concurrency"]) == (
            2,
            2,
        )  # refused: not a start
        for ws in sockets:
            await ws.close()


async def test_a_session_with_too_many_guilds_must_shard_4011(emu: DiscordEmulator) -> None:
    """Discord: a shard holds at most 2,500 guilds, else close code 4011 Sharding required (a threshold
    of 1 here, over two guilds)."""
    emu.gateway.limits.max_guilds = 1
    emu.create_guild("Zero", shard=(0, 2))
    emu.create_guild("One", shard=(1, 2))
    async with aiohttp.ClientSession() as session:
        ws = await identify(session, emu, None)
        closing = await ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4011
        sharded = await identify(session, emu, [0, 2])  # one guild on this shard: allowed
        assert (await next_dispatch(sharded))["t"] == "READY"
        await sharded.close()
