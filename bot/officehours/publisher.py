"""Publishing office hours to Discord: a session's scheduled event, its card and thread, announcements,
.ics files; the coalesced card edits and the paced notice outbox (``delivery``) belong to it.

Made once per bot in ``bot.services``; the office-hours cog starts and stops its workers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord

from bot.audit import record_action
from bot.data.officehours import OfficeHoursRepository, Session, Signup
from bot.i18n import t
from bot.officehours.delivery import CardRefresher, Notifier, session_channel
from bot.officehours.offers import OfferPublisher, withdraw_event
from bot.officehours.render import card_embed, card_view, ping, relative, when, where
from bot.officehours.service import OfficeHoursService

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class SessionPublisher:
    """Creates and updates what members see of a session outside the interaction that asked."""

    def __init__(
        self, bot: ConsultationBot, repo: OfficeHoursRepository, service: OfficeHoursService
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.service = service
        self.offers = OfferPublisher(bot, repo)
        self.cards = CardRefresher(bot, repo, offers=self.offers)
        self.notifier = Notifier(bot, repo, offers=self.offers)

    def start(self) -> None:
        self.cards.start()
        self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
        await self.cards.stop()

    def seats_changed(self, session_ids: Iterable[int], *, notices: bool = False) -> None:
        """Sign-ups changed: the cards are edited soon (coalesced); queued notices are delivered."""
        for session_id in session_ids:
            self.cards.mark(session_id)
        if notices:
            self.notifier.wake()

    async def create_event(
        self,
        guild: discord.Guild,
        session: Session,
        channel: discord.VoiceChannel | discord.StageChannel | None,
    ) -> str | None:
        """The Discord scheduled event; returns why it failed, or None."""
        try:
            common = {
                "name": session.title,
                "start_time": session.starts_at,
                "end_time": session.ends_at,
                "description": t("officehours.schedule.event_description", guild.preferred_locale),
                "privacy_level": discord.PrivacyLevel.guild_only,
            }
            if channel is not None:
                event = await guild.create_scheduled_event(channel=channel, **common)  # type: ignore[call-overload]
            else:
                event = await guild.create_scheduled_event(
                    entity_type=discord.EntityType.external, location=session.location_text or "", **common
                )
        except discord.HTTPException as error:
            log.warning("Could not create the event of office hours %s: %s", session.id, error)
            return error.text or str(error.status)
        await self.repo.attach_discord(session.id, scheduled_event_id=event.id)
        return None

    async def delete_event(self, session: Session) -> None:
        event = await self.scheduled_event(session)
        if event is None:
            return
        try:
            await event.delete()
        except discord.HTTPException as error:
            log.warning("Could not delete the event of office hours %s: %s", session.id, error)

    async def cancel_event(self, session: Session) -> None:
        """Cancel the event of a cancelled session (and its events on linked servers); one already
        running can only be ended."""
        await self.offers.cancel_events(session)
        event = await self.scheduled_event(session)
        if event is None:
            return
        try:
            await withdraw_event(event)
        except (discord.HTTPException, discord.ClientException) as error:
            log.warning("Could not cancel the event of office hours %s: %s", session.id, error)

    async def post_card(self, channel: discord.TextChannel, session: Session) -> discord.Message:
        summary = await self.repo.summary(session.id)
        assert summary is not None
        locale = channel.guild.preferred_locale
        message = await channel.send(
            embed=card_embed(summary, self.bot.clock.now(), locale),
            view=card_view(session.id, open_=True, locale=locale),
        )
        thread_id = None
        try:
            thread = await message.create_thread(
                name=t("officehours.card.thread_name", locale, title=session.title)[:100],
                auto_archive_duration=10080,
            )
            thread_id = thread.id
        except discord.HTTPException as error:
            log.warning(
                "No thread for office hours %s (reminders go to the card's channel): %s", session.id, error
            )
        await self.repo.attach_discord(
            session.id, card_channel_id=channel.id, card_message_id=message.id, thread_id=thread_id
        )
        return message

    async def scheduled_event(self, session: Session) -> discord.ScheduledEvent | None:
        guild = self.bot.get_guild(session.guild_id)
        if guild is None or session.scheduled_event_id is None:
            return None
        event = guild.get_scheduled_event(session.scheduled_event_id)
        if event is None:
            try:
                event = await guild.fetch_scheduled_event(session.scheduled_event_id)
            except discord.HTTPException:
                return None
        return event

    async def announce(
        self, session: Session, key: str, user_ids: list[int], old: str = "", guild_id: int | None = None
    ) -> None:
        """One notice (``key``, an ``officehours.notice.*_thread`` sentence) in the session's thread
        pinging exactly ``user_ids`` (chunked); ``guild_id``: in its thread on that linked server."""
        server = guild_id if guild_id is not None else session.guild_id
        if server == session.guild_id:
            channel = session_channel(self.bot, session)
        else:
            channel = await self.offers.channel(session, server)
        if channel is None:
            return
        guild = self.bot.get_guild(server)
        locale = guild.preferred_locale if guild else None
        text = t(
            key,
            locale,
            title=session.title,
            when=when(session),
            relative=relative(session.starts_at),
            where=where(session, locale, server),
            old=old,
            mentions="{mentions}",
        )
        try:
            await ping(channel, text, user_ids)
        except discord.HTTPException as error:
            log.warning("Could not post in the thread of office hours %s: %s", session.id, error)

    async def announce_everywhere(
        self, session: Session, key: str, signed: list[Signup], old: str = ""
    ) -> None:
        """The notice in the session's thread and in its thread on every linked server (of this
        process) offering it, each pinging the sign-ups made on that server."""
        home = session.guild_id
        await self.announce(session, key, [s.user_id for s in signed if s.from_server(home) == home], old)
        for server in await self.offers.servers(session):
            mine = [s.user_id for s in signed if s.guild_id == server]
            await self.announce(session, key, mine, old, guild_id=server)

    async def tell_moved(
        self, before: Session, after: Session, signed: list[Signup], actor_id: int | None, reason: str | None
    ) -> None:
        """What every move says, from /officehours-manage move or from Discord's event page: the card,
        the thread (pinging who signed up), the queued DMs and the audit log."""
        self.cards.mark(after.id)
        await self.offers.move_events(after)
        await self.announce_everywhere(after, "officehours.notice.moved_thread", signed, old=when(before))
        self.notifier.wake()
        target = t(
            "officehours.audit.move", id=after.id, title=after.title, old=when(before), when=when(after)
        )
        await record_action(self.bot, after.guild_id, actor_id, "officehours.move", target, reason)

    async def tell_cancelled(
        self, cancelled: Session, signed: list[Signup], actor_id: int | None, reason: str | None
    ) -> None:
        """What every cancellation says, from the command or from Discord's event page."""
        self.cards.mark(cancelled.id)
        await self.announce_everywhere(cancelled, "officehours.notice.cancelled_thread", signed)
        self.notifier.wake()
        target = t("officehours.audit.cancel", id=cancelled.id, title=cancelled.title)
        await record_action(self.bot, cancelled.guild_id, actor_id, "officehours.cancel", target, reason)

    def calendar(self, session: Session, locale: object) -> bytes:
        url = ""
        if session.card_channel_id and session.card_message_id:
            url = f"https://discord.com/channels/{session.guild_id}/{session.card_channel_id}/{session.card_message_id}"
        if session.location_channel_id is not None:
            channel = self.bot.get_channel(session.location_channel_id)
            location = f"Discord: #{getattr(channel, 'name', session.location_channel_id)}"
        else:
            location = session.location_text or ""
        description = t("officehours.schedule.event_description", locale)
        return self.service.calendar_file(session, location=location, url=url, description=description)
