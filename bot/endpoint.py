"""Point discord.py at a Discord-compatible API (real Discord, or the loopback emulator)."""

from __future__ import annotations

import logging

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

log = logging.getLogger(__name__)

DISCORD_API_BASE = "https://discord.com/api/v10"


async def use_api_base(api_base: str, token: str) -> None:
    """Send discord.py's REST calls (interaction callbacks and webhooks included) to ``api_base``.

    A plain ``Client`` connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` without asking the API, so for a
    non-default base the gateway URL is taken from that API's ``GET /gateway/bot``.
    """
    api_base = api_base.rstrip("/")
    discord.http.Route.BASE = api_base
    if api_base == DISCORD_API_BASE:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
        return
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{api_base}/gateway/bot", headers={"Authorization": f"Bot {token}"}) as response,
    ):
        if response.status == 401:
            raise discord.LoginFailure("the API refused the token")
        response.raise_for_status()
        payload = await response.json(content_type=None)
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(payload["url"])
    log.info("Using the Discord API at %s (gateway %s)", api_base, payload["url"])
