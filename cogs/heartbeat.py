"""The heartbeat ``python -m bot health`` reads: written every 30 s and whenever the gateway connects
or drops, and marked stopped on a clean shutdown."""

from __future__ import annotations

import logging

from discord.ext import commands, tasks

from bot.client import ConsultationBot
from bot.data.heartbeat import HeartbeatRepository, heartbeat_key
from bot.ops.heartbeat import HEARTBEAT_SECONDS, Heartbeat

log = logging.getLogger(__name__)


class HeartbeatCog(commands.Cog):
    """Keeps the bot's heartbeat row fresh with its gateway state."""

    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        key = heartbeat_key(bot.settings.shard_ids)  # one beat per process sharing the database
        self.heartbeat = Heartbeat(HeartbeatRepository(bot.db, key), bot.clock)

    async def cog_load(self) -> None:
        self.periodic.start()

    async def cog_unload(self) -> None:
        self.periodic.cancel()
        await self.heartbeat.stopped()

    @tasks.loop(seconds=HEARTBEAT_SECONDS)
    async def periodic(self) -> None:
        await self.heartbeat.beat()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        await self.heartbeat.beat(connected=True)

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        await self.heartbeat.beat(connected=True)

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        await self.heartbeat.beat(connected=False)


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(HeartbeatCog(bot))
