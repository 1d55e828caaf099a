"""Everything slow that happens after a member was answered: card edits and notices.

* ``CardRefresher``: sign-ups mark a session dirty; a worker edits each dirty card at most once per
  ``interval`` seconds, so a rush of 1,000 clicks costs a handful of PATCHes, not 1,000.
* ``Notifier``: drains the notice outbox (promotions first), one DM per ``interval`` seconds because
  Discord treats bursts of bot DMs as spam. A promotion falls back to a mention in the session's
  thread when the member's DMs are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from bot.data.officehours import Notice, OfficeHoursRepository, Session, SessionSummary
from bot.i18n import t
from bot.officehours.render import card_embed, card_view, relative, when, where

if TYPE_CHECKING:
    from bot.client import ConsultationBot
    from bot.officehours.offers import OfferPublisher

log = logging.getLogger(__name__)

DM_CLOSED = 50007
NOTICE_DM = {
    "promoted": "officehours.notice.promoted",
    "reminder": "officehours.notice.reminder",
    "cancelled": "officehours.notice.cancelled",
    "moved": "officehours.notice.moved",
}
NOTICE_IN_THREAD = {  # when the member's DMs are closed
    "promoted": "officehours.notice.promoted_thread",
    "reminder": "officehours.notice.reminder_thread",
    "cancelled": "officehours.notice.cancelled_thread",
    "moved": "officehours.notice.moved_thread",
}


def session_channel(bot: ConsultationBot, session: Session) -> discord.abc.Messageable | None:
    """The session's thread, else the card's channel."""
    for channel_id in (session.thread_id, session.card_channel_id):
        if channel_id is None:
            continue
        channel = bot.get_channel(channel_id)
        if isinstance(channel, discord.abc.Messageable):
            return channel
    return None


class CardRefresher:
    """Coalesces card edits: a per-session dirty flag flushed by one worker, paced per ``interval``."""

    def __init__(
        self,
        bot: ConsultationBot,
        repo: OfficeHoursRepository,
        interval: float = 2.0,
        offers: OfferPublisher | None = None,
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.interval = interval
        self.offers = offers  # the cards of a home session on linked servers, refreshed with its own
        self.edits = 0
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="officehours-cards")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.flush()  # a last edit so the card is right when the bot stops
        except Exception:
            log.exception("Could not bring the office-hours cards up to date on the way out")

    def mark(self, session_id: int) -> None:
        self._dirty.add(session_id)
        self._wake.set()

    @property
    def pending(self) -> bool:
        return bool(self._dirty)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("Could not refresh office-hours cards")
            await asyncio.sleep(self.interval)

    async def flush(self) -> int:
        """Edit every dirty card once, with its current state; returns the number of edits."""
        dirty, self._dirty = self._dirty, set()
        done = 0
        for session_id in sorted(dirty):
            if await self.edit_card(session_id):
                done += 1
        return done

    async def edit_card(self, session_id: int) -> bool:
        """Edit the session's card, and its cards on the linked servers it is offered on."""
        summary = await self.repo.summary(session_id)
        if summary is None:
            return False
        done = await self._edit_home_card(summary)
        if self.offers is not None:
            edited, complete = await self.offers.refresh_cards(summary)
            self.edits += edited
            if not complete:
                self._dirty.add(session_id)  # try again on the next round
            done = done or edited > 0
        return done

    async def _edit_home_card(self, summary: SessionSummary) -> bool:
        session_id = summary.session.id
        if summary.session.card_message_id is None:
            return False
        session = summary.session
        channel = self.bot.get_channel(session.card_channel_id or 0)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return False
        now = self.bot.clock.now()
        locale = channel.guild.preferred_locale
        open_ = not session.cancelled and session.starts_at > now
        try:
            await channel.get_partial_message(session.card_message_id).edit(
                embed=card_embed(summary, now, locale), view=card_view(session_id, open_=open_, locale=locale)
            )
        except discord.NotFound:
            log.warning("The card of office hours %s is gone", session_id)
            return False
        except discord.HTTPException as error:
            log.warning("Could not edit the card of office hours %s: %s", session_id, error)
            self._dirty.add(session_id)  # try again on the next round
            return False
        self.edits += 1
        return True


class Notifier:
    """Delivers the notice outbox at a DM-friendly pace; each notice is claimed before it is sent."""

    def __init__(
        self,
        bot: ConsultationBot,
        repo: OfficeHoursRepository,
        interval: float = 1.0,
        offers: OfferPublisher | None = None,
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.interval = interval
        self.offers = offers  # a promotion falls back to the thread of the member's own server
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One delivery at a time in this process: deliver_all then also waits for the paced loop's
        # notice in flight (on PostgreSQL its claim is skipped, not waited for, by another claimer).
        self._one_at_a_time = asyncio.Lock()
        self.idle = asyncio.Event()
        self.idle.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="officehours-notices")
        self.wake()  # notices left by a previous run

    async def stop(self) -> None:
        if self._task is not None:
            # Between two deliveries: a notice already claimed (leased) is delivered, not left waiting.
            async with self._one_at_a_time:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self.idle.clear()
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._drain()
            except Exception:
                log.exception("Could not deliver office-hours notices")
            if not self._wake.is_set():
                self.idle.set()

    async def _drain(self) -> None:
        """Deliver until the outbox is empty, one notice per ``interval`` seconds."""
        delivered = await self.deliver_one()
        while delivered:
            await asyncio.sleep(self.interval)
            delivered = await self.deliver_one()

    async def deliver_all(self) -> int:
        """Deliver every pending notice now, without pacing (tests, shutdown)."""
        count = 0
        while await self.deliver_one():
            count += 1
        return count

    async def deliver_one(self) -> bool:
        """Claim and deliver the next notice; False when there is none.

        Shielded: a caller cancelled mid-way (shutdown) does not abandon a notice already claimed
        (leased, so retried only once the lease runs out): the claim, the DM and its outcome finish
        together."""
        return await asyncio.shield(self._deliver_next())

    async def _deliver_next(self) -> bool:
        async with self._one_at_a_time:
            notice = await self.repo.claim_notice(self.bot.clock.now(), self.bot.scope)
            if notice is None:
                return False
            session = await self.repo.get(notice.session_id)
            outcome = "failed"
            if session is not None:
                outcome = await self._deliver(notice, session)
            if not await self.repo.finish_notice(notice.id, outcome, self.bot.clock.now()):
                log.warning("Notice %s: its lease ran out while it was delivered", notice.id)
            return True

    def _text(self, notice: Notice, session: Session, *, thread: bool = False) -> str:
        # The member's own /language (on the server they signed up on) wins over the client locale.
        server = notice.signup_guild_id or session.guild_id
        locale = self.bot.services.languages.locale_for(server, notice.user_id, notice.locale)
        params = {
            "title": session.title,
            "when": when(session),
            "relative": relative(session.starts_at),
            "where": where(session, locale, server),
            "mention": f"<@{notice.user_id}>",
            "old": "",
            "mentions": f"<@{notice.user_id}>",
        }
        return t((NOTICE_IN_THREAD if thread else NOTICE_DM)[notice.kind], locale, **params)

    async def _deliver(self, notice: Notice, session: Session) -> str:
        try:
            channel = await self.bot.create_dm(discord.Object(notice.user_id))
            await channel.send(self._text(notice, session))
            return "dm"
        except discord.Forbidden as error:
            if error.code != DM_CLOSED:
                log.warning("DM to %s refused: %s", notice.user_id, error)
        except discord.HTTPException as error:
            log.warning("DM to %s failed: %s", notice.user_id, error)
        if notice.kind != "promoted":
            return "failed"  # reminders, cancellations and moves were already posted in the thread
        server = notice.signup_guild_id
        if server is not None and server != session.guild_id and self.offers is not None:
            channel = await self.offers.channel(session, server)
        else:
            channel = session_channel(self.bot, session)
        if channel is None:
            return "failed"
        try:
            await channel.send(
                self._text(notice, session, thread=True),
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(notice.user_id)]),
            )
        except discord.HTTPException as error:
            log.warning("Could not tell %s about their seat in the thread: %s", notice.user_id, error)
            return "failed"
        return "thread"
