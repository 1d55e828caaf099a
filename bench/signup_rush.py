"""Sign-up rush: 1,000 simultaneous Sign up clicks through the emulator, against a ceiling.

Run: ``python -m bench.signup_rush [--members N] [--seats N]``.
- bot: N members click the real card's Sign up button at once (dispatched back to back, none awaited)
  or each at its own moment over ``--spread`` seconds; each answer is the bot's: the clicks waiting
  together are written in one group transaction (seat or waitlist place), then the ephemeral replies;
- ceiling: the same N clicks on a card whose client answers each click at once with a fixed ephemeral
  sentence and touches no database (discord.py's own interaction path over the same loopback).
Prints p50/p99/max answer times for both and checks the seats. Target: p99 < 100 ms, none past 3 s.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import discord

from bench._common import machine, run_main, say, timed
from bot.client import intents
from bot.data.officehours import OfficeHoursRepository
from rehearsal.emulator import run_client
from rehearsal.world import World


class Ceiling(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=intents(), guild_ready_timeout=0.05)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("You have a seat.", ephemeral=True)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, ordered[-1]


def row(label: str, answers: list, seconds: float) -> str:
    p50, p99, worst = percentiles([a.elapsed for a in answers])
    return (
        f"  {label:<8} p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  max {worst * 1000:7.1f} ms"
        f"  all answered in {seconds:.2f} s"
    )


async def click_all(
    world: World, members: list[int], channel_id: int, message_id: int, custom_id: str, spread: float
) -> list:
    """Every member clicks once: all in the same instant (``spread`` 0) or evenly over ``spread`` s."""
    clicks = []
    gap = spread / len(members)
    started = time.monotonic()
    for index, user in enumerate(members):
        if gap:  # click ``index`` leaves at its own moment, so the rate is the one asked for
            await asyncio.sleep(max(0.0, started + index * gap - time.monotonic()))
        clicks.append(await world.emu.click_button(user, channel_id, message_id, custom_id))
    return await asyncio.gather(*(click.wait(60) for click in clicks))


async def main(count: int, seats: int, spread: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = await World.create(Path(folder) / "bench.sqlite3", members={})
        try:
            await world.start_bot()
            await world.setup_consultation("forum")
            session = await world.schedule_office_hours(
                "Rush hour", capacity=seats, place="https://meet.example/rush"
            )
            assert world.bot is not None
            repo = OfficeHoursRepository(world.db)
            members = [world.emu.create_member(world.guild_id, f"rush{i:05d}").id for i in range(count)]
            with timed() as bot_timer:
                answers = await click_all(
                    world,
                    members,
                    session.card_channel_id,
                    session.card_message_id,
                    f"officehours:signup:{session.id}",
                    spread,
                )
            groups = world.bot.services.officehours.signups.groups
            signups = await repo.signups(session.id)
            confirmed = sum(s.status == "confirmed" for s in signups)
            waitlisted = sum(s.status == "waitlisted" for s in signups)
            card = world.emu.message(session.card_message_id)
            await world.stop_bot()

            ceiling = Ceiling()
            async with run_client(world.emu, ceiling):
                others = [world.emu.create_member(world.guild_id, f"ceil{i:05d}").id for i in range(count)]
                with timed() as ceiling_timer:
                    ceiling_answers = await click_all(
                        world, others, card.channel_id, card.id, f"officehours:signup:{session.id}", spread
                    )
        finally:
            await world.close()
    _, bot_p99, _ = percentiles([a.elapsed for a in answers])
    _, ceiling_p99, _ = percentiles([a.elapsed for a in ceiling_answers])
    late = sum(not a.answered_within_deadline for a in answers)
    when = "in the same instant" if not spread else f"spread over {spread:g} s"
    say(f"Sign-up rush: {count:,} clicks {when} for {seats} seats ({machine()})")
    say(row("bot", answers, bot_timer.seconds))
    say(row("ceiling", ceiling_answers, ceiling_timer.seconds))
    say(f"  ratio bot / ceiling (p99)  {bot_p99 / ceiling_p99:5.2f}x   answers past 3 s: {late}")
    say(
        f"  seats: {confirmed} confirmed, {waitlisted} waitlisted, {len(signups)} stored "
        f"(expected {seats}, {count - seats}, {count}) in {groups} group transactions"
    )
    if (confirmed, waitlisted) != (seats, count - seats):
        raise SystemExit("seats are wrong")


if __name__ == "__main__":
    run_main(
        main,
        __doc__,
        ("--members", 1000, None),
        ("--seats", 50, None),
        ("--spread", 0.0, "seconds the clicks are spread over"),
    )
