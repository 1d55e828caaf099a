"""The no-database ceiling of ``bench.outside``, in a process of its own as the bot is: discord.py with the
bot's intents answering every interaction at once with a fixed ephemeral sentence, counting reactions.

Run by ``bench.outside`` as ``python -m bench._ceiling_client [--loop asyncio]`` with ``DISCORD_TOKEN``
and ``DISCORD_API_BASE`` set. Writes ``ready`` on stdout once connected, then ``reactions N`` each time
another ``STEP`` reaction events have been parsed; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

import discord

from bot.client import event_loop_factory, intents
from bot.endpoint import use_api_base

STEP = 1000


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Ceiling(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=intents(), guild_ready_timeout=0.05, max_messages=None)
        self.reactions = 0

    async def on_ready(self) -> None:
        say("ready")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("You have a seat.", ephemeral=True)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.reactions += 1
        if self.reactions % STEP == 0:
            say(f"reactions {self.reactions}")


async def run() -> None:
    token = os.environ["DISCORD_TOKEN"]
    await use_api_base(os.environ["DISCORD_API_BASE"], token)
    client = Ceiling()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(token))
        await stop.wait()
        await client.close()
        await runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loop", choices=("auto", "asyncio"), default="auto")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=event_loop_factory(args.loop)) as runner:
        runner.run(run())


if __name__ == "__main__":
    main()
