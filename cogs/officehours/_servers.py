"""Office hours on linked servers (issue 16): offers follow the links, and each server's reminders.

* ``consultation_server_linked(home, guild)``: the home's upcoming sessions for everywhere are offered
  on the server (a card and an event there, posted by the process owning it).
* ``consultation_server_unlinked(home, guild, status)``: its offers are withdrawn; its sign-ups stay.
* Each round of the reminder loop: pending offers of this process's servers are posted (a session
  scheduled by another process), and due reminders are posted in each linked server's own thread,
  pinging that server's own attendees only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.officehours.publisher import SessionPublisher
from bot.officehours.service import OfficeHoursService

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class LinkedServers:
    """Listens to the links' events and sweeps this process's linked servers' offers and reminders."""

    def __init__(
        self, bot: ConsultationBot, service: OfficeHoursService, publisher: SessionPublisher
    ) -> None:
        self.bot = bot
        self.service = service
        self.publisher = publisher
        self.offers = publisher.offers
        self.handled = 0  # link events handled so far (tests wait on it)

    def start(self) -> None:
        self.bot.add_listener(self.on_consultation_server_linked, "on_consultation_server_linked")
        self.bot.add_listener(self.on_consultation_server_unlinked, "on_consultation_server_unlinked")

    def stop(self) -> None:
        self.bot.remove_listener(self.on_consultation_server_linked, "on_consultation_server_linked")
        self.bot.remove_listener(self.on_consultation_server_unlinked, "on_consultation_server_unlinked")

    async def on_consultation_server_linked(self, home_guild_id: int, guild_id: int) -> None:
        try:
            offered = await self.service.repo.offer_to(guild_id, home_guild_id, self.bot.clock.now())
            if offered:
                log.info("Office hours %s offered on linked server %s", offered, guild_id)
                await self.offers.post_pending(guild_id)  # nothing when another process owns it
        except Exception:
            log.exception("Could not offer office hours on linked server %s", guild_id)
        finally:
            self.handled += 1

    async def on_consultation_server_unlinked(self, home_guild_id: int, guild_id: int, status: str) -> None:
        try:
            withdrawn = await self.offers.withdraw(home_guild_id, guild_id)
            log.info("Office hours withdrawn from server %s (%s): %s card(s)", guild_id, status, withdrawn)
        except Exception:
            log.exception("Could not withdraw office hours from server %s", guild_id)
        finally:
            self.handled += 1

    async def run_round(self) -> int:
        """Post pending offers, then every due reminder of this process's linked servers; returns the
        number of reminders posted."""
        await self.offers.post_pending()
        posted = 0
        for due in await self.service.claim_due_offer_reminders(self.bot.scope):
            if due.attendee_ids:
                await self.publisher.announce(
                    due.session,
                    "officehours.notice.reminder_thread",
                    list(due.attendee_ids),
                    guild_id=due.guild_id,
                )
                posted += 1
        return posted
