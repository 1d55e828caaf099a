"""What each demo step gets: the emulator, the running bot, the simulated server and a way to talk."""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.client import ConsultationBot
    from bot.clock import FakeClock
    from rehearsal.emulator import DiscordEmulator, InteractionResult
    from rehearsal.world import World


@dataclass
class DemoContext:
    """The rehearsal ``world`` with a running bot; the server's ids are read through from it."""

    world: World
    member_names: list[str]  # the simulated members only
    rng: random.Random
    out_dir: Path
    facts: dict[str, Any] = field(default_factory=dict)  # what one step tells the next

    @property
    def bot(self) -> ConsultationBot:
        assert self.world.bot is not None
        return self.world.bot

    @property
    def emu(self) -> DiscordEmulator:
        return self.world.emu

    @property
    def clock(self) -> FakeClock:
        return self.world.clock

    @property
    def guild_id(self) -> int:
        return self.world.guild_id

    @property
    def members(self) -> dict[str, int]:
        """Name -> user id: admin, wg, mod and the simulated members."""
        return self.world.members

    @property
    def locales(self) -> dict[str, str]:
        return self.world.locales

    @property
    def roles(self) -> dict[str, int]:
        return self.world.roles

    @property
    def forum_id(self) -> int:
        return self.world.forum_id

    @property
    def text_id(self) -> int:
        return self.world.text_id

    @property
    def digest_id(self) -> int:
        return self.world.digest_id

    @property
    def voice_id(self) -> int:
        return self.world.voice_id

    def say(self, text: str = "") -> None:
        """A line for the person watching the demo, with mentions shown as names."""
        sys.stdout.write(self.readable(text) + "\n")
        sys.stdout.flush()

    def readable(self, text: str) -> str:
        state = self.emu.state

        def channel(match: re.Match[str]) -> str:
            found = state.channels.get(int(match[1]))
            return f"#{found.name}" if found is not None else match[0]

        def user(match: re.Match[str]) -> str:
            found = state.users.get(int(match[1]))
            return f"@{found.global_name or found.username}" if found is not None else match[0]

        def role(match: re.Match[str]) -> str:
            found = state.guilds[self.guild_id].roles.get(int(match[1]))
            return f"@{found.name}" if found is not None else match[0]

        def timestamp(match: re.Match[str]) -> str:
            return datetime.fromtimestamp(int(match[1]), UTC).strftime("%a %d %b %H:%M UTC")

        text = re.sub(r"<t:(\d+)(?::[tTdDfFR])?>", timestamp, text)
        text = re.sub(r"<#(\d+)>", channel, text)
        text = re.sub(r"<@&(\d+)>", role, text)
        return re.sub(r"<@!?(\d+)>", user, text)

    def heading(self, text: str) -> None:
        self.say()
        self.say(f"== {text} " + "=" * max(0, 70 - len(text)))

    async def command(self, name: str, command: str, **options: Any) -> InteractionResult:
        """Run a slash command as member ``name`` and wait for the bot's answer."""
        return await self.world.command(name, command, timeout=30, **options)
