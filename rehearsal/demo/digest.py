"""Demo step: the working group pulls a digest (embed and five files), then the weekly digest arrives."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.digest.period import latest_slot

if TYPE_CHECKING:
    from rehearsal.demo.context import DemoContext

log = logging.getLogger(__name__)


async def run(demo: DemoContext) -> None:
    demo.heading("Digest for the working group")
    result = await demo.command("wg", "digest", since="all")
    followup = await result.wait_for_followup(timeout=60)
    shown = "deferred at once, then" if result.deferred else "answered"
    demo.say(
        f"The working-group member ran /digest since:all: {shown} an embed and {len(followup.files)} files."
    )
    for embed in followup.embeds:
        demo.say(f"  {embed.get('title', '')}")
        demo.say(f"  {embed.get('description', '')}")
        for field in embed.get("fields", [])[:3]:
            demo.say(f"    {field['name']}: {field['value']}".replace("\n", " / "))
        if len(embed.get("fields", [])) > 3:
            demo.say(f"    … and {len(embed['fields']) - 3} more recommendations")
    folder = demo.out_dir / "digest"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in followup.files:
        (folder / name).write_bytes(data)
        demo.say(f"  wrote {folder / name} ({len(data):,} bytes)")

    # The weekly digest: move the clock to the guild's next slot and let the cog do its round.
    cog = demo.bot.get_cog("DigestCog")
    settings = await demo.bot.guild_repository.get(demo.guild_id)
    if cog is None or settings is None or settings.digest_channel_id is None:
        demo.say("No digest channel is set up, so there is no weekly digest to show.")
        return
    now = demo.clock.now()
    slot = latest_slot(now, settings.digest_weekday, settings.digest_hour) + timedelta(days=7)
    demo.clock.set(slot + timedelta(minutes=1))
    posted = await cog.run_due_digests()  # type: ignore[attr-defined]
    again = await cog.run_due_digests()  # type: ignore[attr-defined]
    messages = [m for m in demo.emu.messages(settings.digest_channel_id) if m.embeds]
    demo.say(
        f"A week on ({slot:%A %d %B %H:%M} UTC) the weekly digest was posted to "
        f"{demo.readable(f'<#{settings.digest_channel_id}>')}: {posted} post, and {again} more when the "
        f"round ran again (one per week, even across restarts)."
    )
    if messages:
        embed = messages[-1].embeds[0]
        demo.say(f"  {embed.get('title', '')}: {len(messages[-1].files)} files attached")
    demo.say(f"Open {folder / 'digest.md'} and {folder / 'heatmap.png'} to read what the community said.")
