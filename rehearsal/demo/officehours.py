"""Demo step: office hours. Two sessions, one over-subscribed: a waitlist, a cancellation, a promotion,
reminders to the confirmed attendees only, a move, and the .ics and CSV exports."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.data.officehours import OfficeHoursRepository, Session
from rehearsal.servers import offered_card

if TYPE_CHECKING:
    from rehearsal.demo.context import DemoContext
    from rehearsal.emulator import InteractionResult

log = logging.getLogger(__name__)

MADRID = ZoneInfo("Europe/Madrid")
TIMESTAMP = re.compile(r"<t:(\d+):[tTdDfFR]>")


def plain(demo: DemoContext, text: str | None) -> str:
    """A bot sentence as the person watching reads it: names for mentions, UTC for timestamps."""

    def stamp(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match[1]), UTC)
        if not match[0].endswith(":R>"):
            return moment.strftime("%a %d %b %H:%M UTC")
        hours = round((moment - demo.clock.now()).total_seconds() / 3600)
        return f"in {hours} hours" if hours >= 0 else f"{-hours} hours ago"

    return demo.readable(TIMESTAMP.sub(stamp, text or "")).replace("\n", " / ")


async def click(demo: DemoContext, name: str, session: Session, action: str = "signup") -> InteractionResult:
    assert session.card_channel_id is not None and session.card_message_id is not None
    result = await demo.emu.click_button(
        demo.members[name],
        session.card_channel_id,
        session.card_message_id,
        f"officehours:{action}:{session.id}",
    )
    return await result.wait(30)


async def schedule(demo: DemoContext, hours_ahead: int, **options: object) -> Session:
    start = (demo.clock.now() + timedelta(hours=hours_ahead)).astimezone(MADRID)
    options["start"] = f"{start:%Y-%m-%d %H:00} Europe/Madrid"
    result = await demo.command("wg", "officehours-manage schedule", **options)
    followup = await result.wait_for_followup(timeout=30) if result.deferred else None
    answer = followup.content if followup else result.content
    demo.say(f"/officehours-manage schedule → {plain(demo, answer)}")
    sessions = await OfficeHoursRepository(demo.bot.db).upcoming(demo.guild_id, demo.clock.now())
    return max((s.session for s in sessions), key=lambda s: s.id)


async def run(demo: DemoContext) -> None:
    demo.heading("Office hours")
    cog = demo.bot.get_cog("OfficeHoursCog")
    assert cog is not None
    cog.notifier.interval = 0.05  # paced DMs, sped up for the rehearsal
    repo = OfficeHoursRepository(demo.bot.db)

    busy = await schedule(
        demo,
        50,
        title="Resource allocation: ask the working group",
        duration=60,
        capacity=5,
        channel=demo.voice_id,
        host=demo.members["wg"],
    )
    quiet = await schedule(
        demo,
        74,
        title="Office hours with the other working groups",
        duration=45,
        capacity=20,
        place="https://meet.example/strategy-wg",
    )
    events = demo.emu.scheduled_events(demo.guild_id)
    demo.say(f"Discord events created: {', '.join(e.name for e in events)}")

    crowd = demo.member_names[:9]
    demo.say(f"{len(crowd)} members click Sign up on the first card (5 seats):")
    for name in crowd:
        answer = await click(demo, name, busy)
        demo.say(
            f"  {name} ({demo.locales[name]}, {answer.elapsed:.3f} s): {plain(demo, answer.content)[:110]}"
        )
    again = await click(demo, crowd[0], busy)
    demo.say(f"{crowd[0]} clicks again: {plain(demo, again.content)}")
    for name in demo.member_names[9:13]:
        await click(demo, name, quiet)
    demo.say(f"4 members sign up for the second session: {', '.join(demo.member_names[9:13])}")
    for world in demo.facts.get("linked_servers", []):  # the same session, on the linked servers' cards
        channel_id, message_id = await offered_card(demo.world, quiet.id, world.guild_id)
        names = [name for name in world.members if name not in ("admin", "wg", "mod")][:3]
        for name in names:
            clicked = await demo.emu.click_button(
                world.members[name], channel_id, message_id, f"officehours:signup:{quiet.id}"
            )
            answer = await clicked.wait(30)
        server = demo.emu.state.guilds[world.guild_id].name
        demo.say(f"  {len(names)} members sign up on {server}'s own card: {plain(demo, answer.content)[:90]}")
    confirmed = sum(1 for s in await repo.signups(quiet.id) if s.status == "confirmed")
    demo.say(f"  One pool of seats for all servers: {confirmed} of {quiet.capacity} taken.")

    opened = await click(demo, crowd[1], busy, "question")
    saved = await demo.emu.submit_modal(
        demo.members[crowd[1]], opened, {"question": "How will the allocation weigh small affiliates?"}
    )
    demo.say(f"{crowd[1]} adds a question: {plain(demo, (await saved.wait(30)).content)}")
    dm = await click(demo, crowd[2], busy, "dm")
    demo.say(f"{crowd[2]} asks for reminder DMs: {plain(demo, dm.content)}")

    gone = await click(demo, crowd[3], busy, "cancel")
    demo.say(f"{crowd[3]} cancels: {plain(demo, gone.content)}")
    await cog.notifier.deliver_all()
    promoted = crowd[5]
    dms = demo.emu.dms(demo.members[promoted])
    notice = plain(demo, dms[-1].content if dms else "(none)")
    demo.say(f"{promoted} was first on the waitlist and got a DM: {notice}")
    await cog.cards.flush()
    card = demo.emu.message(busy.card_message_id or 0)
    seats = next(f["value"] for f in card.embeds[0]["fields"] if f["name"] == "Seats")
    demo.say(f"The card now says: Seats: {seats}")

    listed = await demo.command(demo.member_names[20], "officehours list")
    demo.say(f"{demo.member_names[20]} runs /officehours list: {plain(demo, listed.content)}")
    for filename, data in listed.files:
        (demo.out_dir / filename).write_bytes(data)
    demo.say(f"Calendar files saved: {', '.join(name for name, _ in listed.files)}")
    attendees = await demo.command("wg", "officehours-manage attendees", session=busy.id)
    demo.say(f"The working group runs /officehours-manage attendees: {plain(demo, attendees.content)}")
    for filename, data in attendees.files:
        (demo.out_dir / filename).write_bytes(data)
        demo.say(f"Attendee list saved as {filename}")

    demo.clock.set(busy.starts_at - timedelta(hours=24))
    await cog.run_due_reminders()
    await cog.notifier.deliver_all()
    assert busy.thread_id is not None
    reminder = demo.emu.messages(busy.thread_id)[-1]
    demo.say(f"24 hours before: one message in the session's thread: {plain(demo, reminder.content)}")
    demo.say(
        f"  It pings exactly {len(reminder.allowed_mentions['users'])} confirmed attendees (no waitlist)."
    )
    again_count = await cog.run_due_reminders()
    demo.say(f"Running the scheduler again sends {again_count} more (each reminder goes out once).")

    new_start = (quiet.starts_at + timedelta(days=1)).astimezone(MADRID)
    moved = await demo.command(
        "wg", "officehours-manage move", session=quiet.id, start=f"{new_start:%Y-%m-%d %H:%M} Europe/Madrid"
    )
    followup = await moved.wait_for_followup(timeout=30)
    demo.say(f"/officehours-manage move → {plain(demo, followup.content)}")
    demo.clock.set(busy.starts_at + timedelta(minutes=1))
    refused = await click(demo, demo.member_names[30], busy)
    demo.say(f"After the start, {demo.member_names[30]} tries to sign up: {plain(demo, refused.content)}")
    demo.facts["officehours"] = {
        "sessions": [busy.id, quiet.id],
        "waitlisted": sum(1 for s in await repo.signups(busy.id) if s.status == "waitlisted"),
    }
