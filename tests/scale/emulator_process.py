"""The Discord emulator in its own process for the scale test, driven over stdin/stdout (one JSON object
a line each way). ``python -m tests.scale.emulator_process GUILDS MEMBERS SHARDS``.

Written for the scale test until ``python -m rehearsal.emulator`` (the outside helper's entry point with
an HTTP control API) is on main; it only builds the test's world and runs the test's few operations in
the emulator's own process, so the bots' processes and this one share nothing but sockets.

First line out: ``{"api_base", "token", "guilds": [{"id", "admin", "wg", "members", "forum", "text",
"digest", "voice", "roles": {...}}]}``. Then each line in is an operation (``op``), answered by one line
(``flood`` also prints ``{"halfway": n}`` when half its events are applied: the moment to kill a bot).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from rehearsal.emulator import DiscordEmulator
from rehearsal.emulator.state import ADMINISTRATOR, MANAGE_EVENTS, MANAGE_THREADS

FORUM, TEXT, VOICE = 15, 0, 2
FLOOD_CHUNK = 20  # reactions applied between two pauses: a burst over a few seconds, not one frame

log = logging.getLogger("scale.emulator")


def build(emu: DiscordEmulator, guilds: int, members: int, shards: int) -> list[dict[str, Any]]:
    """``guilds`` guilds spread evenly over ``shards`` shards, each with roles, channels and members."""
    built = []
    for n in range(guilds):
        guild = emu.create_guild(f"Affiliate {n}", shard=(n % shards, shards))
        roles = {
            "admin": emu.create_role(guild.id, "Admins", permissions=ADMINISTRATOR).id,
            "working_group": emu.create_role(guild.id, "Working group", permissions=MANAGE_EVENTS).id,
            "moderator": emu.create_role(guild.id, "Moderators", permissions=MANAGE_THREADS).id,
        }
        built.append(
            {
                "id": guild.id,
                "shard": n % shards,
                "roles": roles,
                "admin": emu.create_member(guild.id, "Admin", roles=[roles["admin"]]).id,
                "wg": emu.create_member(guild.id, "Working group", roles=[roles["working_group"]]).id,
                "members": [emu.create_member(guild.id, f"Member {i}").id for i in range(members)],
                "text": emu.create_channel(guild.id, "general", type=TEXT).id,
                "forum": emu.create_channel(guild.id, "drafts", type=FORUM).id,
                "digest": emu.create_channel(guild.id, "digest", type=TEXT).id,
                "voice": emu.create_channel(guild.id, "office-hours", type=VOICE).id,
            }
        )
    return built


async def command(emu: DiscordEmulator, item: dict[str, Any]) -> dict[str, Any]:
    result = await emu.run_command(
        item["user"], item["guild"], item["name"], item.get("options") or {}, channel_id=item["channel"]
    )
    await result.wait(item.get("timeout", 60))
    if item.get("followup"):
        await result.wait_for_followup(item.get("timeout", 60))
    return {"content": result.content, "ephemeral": result.ephemeral}


async def click(emu: DiscordEmulator, item: list[Any]) -> str | None:
    user, channel, message, custom_id = item
    result = await emu.click_button(user, channel, message, custom_id)
    await result.wait(60)
    return result.content


async def flood(emu: DiscordEmulator, events: list[list[Any]], out: Any) -> int:
    applied = 0
    for start in range(0, len(events), FLOOD_CHUNK):
        applied += await emu.react_many([tuple(e) for e in events[start : start + FLOOD_CHUNK]])
        if start < len(events) // 2 <= start + FLOOD_CHUNK:
            out({"halfway": applied})
        await asyncio.sleep(0.02)  # a pace, not a synchronisation
    return applied


def report(emu: DiscordEmulator, request: dict[str, Any]) -> dict[str, Any]:
    """Reactions of the given messages, and the bot's messages in the given channels (by id)."""
    reactions = {
        str(message_id): emu.reactions(channel_id, message_id)
        for channel_id, message_id in request["messages"]
    }
    posted = {
        str(channel_id): [
            {"content": m.content, "embeds": len(m.embeds)}
            for m in emu.messages(channel_id)
            if m.author_id == emu.bot_user_id
        ]
        for channel_id in request["channels"]
    }
    return {"reactions": reactions, "posted": posted, "shards": emu.gateway.shards_connected()}


async def main(guilds: int, members: int, shards: int) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    emu = DiscordEmulator()
    emu.gateway.recommended_shards = shards
    emu.gateway.max_concurrency = shards  # every shard may identify at once (Discord's large-bot limit)
    await emu.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)  # a flood is one long line
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def out(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    world = build(emu, guilds, members, shards)
    out({"api_base": emu.api_base, "token": emu.token, "bot_user_id": emu.bot_user_id, "guilds": world})
    try:
        while line := await reader.readline():
            request = json.loads(line)
            op = request["op"]
            try:
                if op == "wait_ready":
                    await emu.wait_for_ready(request["count"], timeout=request.get("timeout", 60))
                    out({"shards": emu.gateway.shards_connected()})
                elif op == "commands":
                    out({"answers": await asyncio.gather(*(command(emu, i) for i in request["items"]))})
                elif op == "clicks":
                    out({"answers": await asyncio.gather(*(click(emu, i) for i in request["items"]))})
                elif op == "flood":
                    out({"applied": await flood(emu, request["events"], out)})
                elif op == "report":
                    out(report(emu, request))
                elif op == "stop":
                    out({"stopped": True})
                    return
                else:
                    out({"error": f"unknown op {op}"})
            except Exception as error:  # the test reads the failure instead of hanging
                log.exception("Operation %s failed", op)
                out({"error": f"{type(error).__name__}: {error}"})
    finally:
        await emu.stop()


if __name__ == "__main__":
    asyncio.run(main(*(int(a) for a in sys.argv[1:4])))
