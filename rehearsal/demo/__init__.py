"""``make demo``: a whole consultation rehearsed against the loopback emulator, no token needed.

One scenario, one step module per capability, run in the order a consultation runs.
"""

from __future__ import annotations

import importlib
import logging
import random
import shutil
from pathlib import Path

from bot.clock import FakeClock, SystemClock
from rehearsal.demo.context import DemoContext
from rehearsal.emulator.ratelimits import set_default_pace
from rehearsal.world import World

log = logging.getLogger(__name__)

STEPS = ("recommendations", "servers", "feedback", "themes", "officehours", "moderation", "digest")
LOCALES = ("en-US", "fr", "es-ES", "de", "pt-BR", "ar", "hi", "ja", "zh-CN", "id", "sw", "uk")

DEMO_PACE = 0.01


def prepare_output(out_dir: Path) -> Path:
    """A fresh output folder for each rehearsal; returns its absolute path."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    return out_dir.resolve()


async def run_demo(out_dir: Path, *, seed: int = 2019, members: int = 60) -> int:
    """Rehearse a consultation; ``out_dir`` comes from ``prepare_output``."""
    for name in ("discord", "discord.gateway", "discord.client"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("bot").setLevel(logging.WARNING)
    logging.getLogger("cogs").setLevel(logging.WARNING)
    rng = random.Random(seed)
    simulated = {f"member{n:02d}": rng.choice(LOCALES) for n in range(1, members + 1)}
    clock = FakeClock(SystemClock().now().replace(microsecond=0))
    # Discord's rate limits modelled, every window a hundredth of Discord's: the bot waits as the
    # headers say, as it must on a real server, and the rehearsal stays quick.
    previous_pace = set_default_pace(DEMO_PACE)
    world = await World.create(out_dir / "demo.sqlite3", members=simulated, clock=clock)
    try:
        await world.start_bot()
        demo = DemoContext(world, member_names=list(simulated), rng=rng, out_dir=out_dir)
        demo.heading("A rehearsal consultation")
        demo.say(f"Emulated Discord at {world.emu.api_base}; database {world.database_path}")
        demo.say(
            f"Server with an administrator, a working-group member, a moderator and {members} members "
            f"({len(set(simulated.values()))} languages)."
        )
        setup = await world.setup_consultation("forum")
        configured = ", ".join(
            f"{field['name']}: {field['value']}" for field in setup.embeds[0]["fields"][:4]
        )
        demo.say(f"Admin ran /consultation setup. {configured}")
        for step in STEPS:
            module = importlib.import_module(f"rehearsal.demo.{step}")
            await module.run(demo)
        demo.heading("Done")
        if world.emu.ratelimits is not None:
            demo.say(f"Discord's rate limits (at 1/100 of their pace): {world.emu.ratelimits.summary()}")
        demo.say(f"Everything the demo wrote is in {out_dir}")
    finally:
        await world.close()
        set_default_pace(previous_pace)
    return 0
