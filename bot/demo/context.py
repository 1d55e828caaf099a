"""What each demo step gets: the emulator, the running bot, the simulated server and a way to talk."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.clock import FakeClock

if TYPE_CHECKING:
    from bot.client import ConsultationBot
    from bot.emulator import DiscordEmulator, InteractionResult


@dataclass
class DemoContext:
    emu: DiscordEmulator
    bot: ConsultationBot
    guild_id: int
    members: dict[str, int]  # name -> user id: admin, wg, mod and the simulated members
    member_names: list[str]  # the simulated members only
    locales: dict[str, str]
    roles: dict[str, int]
    forum_id: int
    text_id: int
    digest_id: int
    voice_id: int
    clock: FakeClock
    rng: random.Random
    out_dir: Path
    facts: dict[str, Any] = field(default_factory=dict)  # what one step tells the next

    def say(self, text: str = "") -> None:
        """A line for the person watching the demo."""
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def heading(self, text: str) -> None:
        self.say()
        self.say(f"== {text} " + "=" * max(0, 70 - len(text)))

    async def command(self, name: str, command: str, **options: Any) -> InteractionResult:
        """Run a slash command as member ``name`` and wait for the bot's answer."""
        result = await self.emu.run_command(
            self.members[name], self.guild_id, command, options=options, channel_id=self.text_id
        )
        return await result.wait(timeout=30)
