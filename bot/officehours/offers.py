"""A home session offered on linked servers (issue 16): each server's card, thread and Discord event.

The card goes in the linked server's consultation channel (a post in a forum, a message and its thread
in a text channel), in that server's language; its buttons carry the session id, so a click there books
from the one pool of seats. The event is an external one on that server (a Discord event cannot point to
another server's voice channel): its place is a link to the home channel, or the place given. Only the
process owning a server (``bot.scope``) touches it: offers are claimed in the database first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.data.officehours import Offer, OfficeHoursRepository, Session, SessionSummary
from bot.i18n import t
from bot.officehours.render import card_embed, card_view, channel_link

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


def event_place(session: Session) -> str:
    if session.location_channel_id is not None:
        return channel_link(session)
    return session.location_text or ""


async def withdraw_event(event: discord.ScheduledEvent) -> None:
    """Cancel a Discord event that has not started; one already running can only be ended."""
    if event.status is discord.EventStatus.scheduled:
        await event.cancel()
    elif event.status is discord.EventStatus.active:
        await event.end()


class OfferPublisher:
    """Posts, refreshes and withdraws what linked servers see of a home session."""

    def __init__(self, bot: ConsultationBot, repo: OfficeHoursRepository) -> None:
        self.bot = bot
        self.repo = repo
        self.posted = 0  # cards posted on linked servers by this process (tests wait on it)

    def owns(self, guild_id: int) -> bool:
        return self.bot.scope.owns(guild_id)

    async def post_pending(self, guild_id: int | None = None) -> int:
        """Post the card and the event of every pending offer of this process's servers (of one server
        if given). Each is claimed first, so it is posted once; returns how many were posted."""
        posted = 0
        for offer in await self.repo.claim_pending_offers(self.bot.clock.now(), self.bot.scope, guild_id):
            try:
                posted += await self._post(offer)
            except Exception:
                log.exception(
                    "Could not offer office hours %s on server %s", offer.session_id, offer.guild_id
                )
        return posted

    async def _post(self, offer: Offer) -> bool:
        summary = await self.repo.summary(offer.session_id)
        guild = self.bot.get_guild(offer.guild_id)
        if summary is None or guild is None:
            await self.repo.attach_offer(offer.session_id, offer.guild_id, problem="bot_removed")
            return False
        settings = await self.bot.guild_repository.get(guild.id)
        channel = guild.get_channel(settings.channel_id) if settings and settings.channel_id else None
        if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
            await self.repo.attach_offer(offer.session_id, offer.guild_id, problem="channel_missing")
            return False
        session = summary.session
        locale = guild.preferred_locale
        embed = card_embed(summary, self.bot.clock.now(), locale, guild.id)
        view = card_view(session.id, open_=True, locale=locale)
        name = t("officehours.card.thread_name", locale, title=session.title)[:100]
        try:
            if isinstance(channel, discord.ForumChannel):
                made = await channel.create_thread(name=name, embed=embed, view=view)
                card_channel, message, thread_id = made.thread.id, made.message, made.thread.id
            else:
                message = await channel.send(embed=embed, view=view)
                card_channel, thread_id = channel.id, None
                try:
                    thread_id = (await message.create_thread(name=name, auto_archive_duration=10080)).id
                except discord.HTTPException as error:
                    log.warning("No thread for office hours %s on %s: %s", session.id, guild.id, error)
        except discord.HTTPException as error:
            log.warning("Could not post office hours %s on server %s: %s", session.id, guild.id, error)
            await self.repo.attach_offer(session.id, guild.id, problem="permission_missing")
            return False
        await self.repo.attach_offer(
            session.id,
            guild.id,
            card_channel_id=card_channel,
            card_message_id=message.id,
            thread_id=thread_id,
        )
        event_id = await self._create_event(guild, session)
        if event_id is not None:
            await self.repo.attach_offer(session.id, guild.id, scheduled_event_id=event_id)
        self.posted += 1
        return True

    async def _create_event(self, guild: discord.Guild, session: Session) -> int | None:
        try:
            event = await guild.create_scheduled_event(
                name=session.title,
                start_time=session.starts_at,
                end_time=session.ends_at,
                description=t("officehours.schedule.event_description", guild.preferred_locale),
                privacy_level=discord.PrivacyLevel.guild_only,
                entity_type=discord.EntityType.external,
                location=event_place(session)[:100],
            )
        except discord.HTTPException as error:
            log.warning("No Discord event for office hours %s on %s: %s", session.id, guild.id, error)
            return None
        return event.id

    async def withdraw(self, home_guild_id: int, guild_id: int) -> int:
        """The server left or was removed: its offers end (sign-ups kept), its events are cancelled and
        its cards say so, keeping Cancel for those who signed up there. Returns the cards edited."""
        edited = 0
        for offer in await self.repo.withdraw_offers(guild_id, home_guild_id, self.bot.clock.now()):
            if not self.owns(guild_id):
                continue
            summary = await self.repo.summary(offer.session_id)
            if summary is None:
                continue
            await self._end_event(offer)
            edited += await self.edit_card(offer, summary, withdrawn=True) is True
        return edited

    async def edit_card(
        self, offer: Offer, summary: SessionSummary, *, withdrawn: bool = False
    ) -> bool | None:
        """Bring one server's card up to date: True; False when it could not be edited this time
        (reason logged); None when there is no card to edit (deleted, or its channel is gone)."""
        channel = self.bot.get_channel(offer.card_channel_id or 0)
        if offer.card_message_id is None or not isinstance(channel, discord.TextChannel | discord.Thread):
            return None
        session, now = summary.session, self.bot.clock.now()
        locale = channel.guild.preferred_locale
        open_ = not session.cancelled and session.starts_at > now
        try:
            await channel.get_partial_message(offer.card_message_id).edit(
                embed=card_embed(summary, now, locale, offer.guild_id, withdrawn=withdrawn),
                view=card_view(session.id, open_=open_, locale=locale, withdrawn=withdrawn),
            )
        except discord.NotFound:
            log.warning("The card of office hours %s on %s is gone", session.id, offer.guild_id)
            return None
        except discord.HTTPException as error:
            log.warning(
                "Could not edit the card of office hours %s on %s: %s", session.id, offer.guild_id, error
            )
            return False
        return True

    async def refresh_cards(self, summary: SessionSummary) -> tuple[int, bool]:
        """Edit the card on every linked server of this process offering the session: (edited, all
        done). A card that failed is to be tried again."""
        edited, failed = 0, False
        for offer in await self.repo.offers(summary.session.id):
            if not self.owns(offer.guild_id) or offer.card_message_id is None:
                continue
            done = await self.edit_card(offer, summary)
            edited += done is True
            failed = failed or done is False
        return edited, not failed

    async def channel(self, session: Session, guild_id: int) -> discord.abc.Messageable | None:
        """The session's thread on a linked server of this process (else its card's channel)."""
        if not self.owns(guild_id):
            return None
        offer = await self.repo.offer(session.id, guild_id)
        if offer is None:
            return None
        for channel_id in (offer.thread_id, offer.card_channel_id):
            channel = self.bot.get_channel(channel_id or 0)
            if isinstance(channel, discord.abc.Messageable):
                return channel
        return None

    async def servers(self, session: Session) -> list[int]:
        """The linked servers of this process where the session is offered now."""
        return [o.guild_id for o in await self.repo.offers(session.id) if self.owns(o.guild_id)]

    async def move_events(self, session: Session) -> None:
        """The session moved or was renamed at home: every linked server's event follows."""
        for offer in await self.repo.offers(session.id):
            event = await self._event(offer)
            if event is None:
                continue
            try:
                await event.edit(
                    name=session.title,
                    start_time=session.starts_at,
                    end_time=session.ends_at,
                    location=event_place(session)[:100],
                )
            except discord.HTTPException as error:
                log.warning("Could not move the event of %s on %s: %s", session.id, offer.guild_id, error)

    async def set_event_status(self, session: Session, status: discord.EventStatus) -> int:
        """The session started or ended (claimed once at home): the linked servers' events of this
        process follow. Returns how many changed."""
        changed = 0
        for offer in await self.repo.offers(session.id):
            event = await self._event(offer)
            if event is None:
                continue
            try:
                if status is discord.EventStatus.active and event.status is discord.EventStatus.scheduled:
                    await event.start()
                elif status is discord.EventStatus.completed and event.status is discord.EventStatus.active:
                    await event.end()
                else:
                    continue
            except (discord.HTTPException, discord.ClientException) as error:
                log.warning("Could not set the event of %s on %s: %s", session.id, offer.guild_id, error)
                continue
            changed += 1
        return changed

    async def cancel_events(self, session: Session) -> None:
        for offer in await self.repo.offers(session.id):
            await self._end_event(offer)

    async def _end_event(self, offer: Offer) -> None:
        event = await self._event(offer)
        if event is None:
            return
        try:
            await withdraw_event(event)
        except (discord.HTTPException, discord.ClientException) as error:
            log.warning("Could not end the event of %s on %s: %s", offer.session_id, offer.guild_id, error)

    async def _event(self, offer: Offer) -> discord.ScheduledEvent | None:
        guild = self.bot.get_guild(offer.guild_id) if self.owns(offer.guild_id) else None
        if guild is None or offer.scheduled_event_id is None:
            return None
        event = guild.get_scheduled_event(offer.scheduled_event_id)
        if event is not None:
            return event
        try:
            return await guild.fetch_scheduled_event(offer.scheduled_event_id)
        except discord.HTTPException:
            return None
