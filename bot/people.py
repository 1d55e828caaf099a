"""Names, not numbers: the display name the bot last saw for a member, kept for the working group's files.

The bot has no members intent and no member cache, so a name is learnt when the member acts: a slash
command that ran, a feedback form and a feedback reply in a draft's thread each carry the member with
their server nickname or global name (a sign-up keeps the name seen at sign-up in its own row).
The name is written only when it changed since this process
last wrote it, so a busy server costs one write per member, not one per click. Members who asked to be
forgotten are never written again; ``/privacy forget`` and retention erase the rows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.data.people import PeopleRepository

if TYPE_CHECKING:
    from bot.moderation.privacy import ForgottenRegistry

log = logging.getLogger(__name__)

NAME_LIMIT = 100  # Discord's nicknames are at most 32 characters, global names 32: room to spare


class NameBook:
    def __init__(
        self, repo: PeopleRepository, clock: Clock, forgotten: ForgottenRegistry | None = None
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.forgotten = forgotten
        self._written: dict[tuple[int, int], str] = {}

    async def seen(self, guild_id: int, user_id: int, name: str | None) -> bool:
        """Remember the member's current name; True when it was written."""
        name = " ".join((name or "").split())[:NAME_LIMIT]
        key = (guild_id, user_id)
        if not name or user_id <= 0 or self._written.get(key) == name:
            return False
        if self.forgotten is not None and self.forgotten.contains(guild_id, user_id):
            return False
        await self.repo.remember(guild_id, user_id, name, self.clock.now())
        self._written[key] = name
        return True

    def forget_guild_member(self, guild_id: int, user_id: int) -> None:
        """Their row was erased (``/privacy forget``): write it again only if they come back."""
        self._written.pop((guild_id, user_id), None)

    def forget_guild(self, guild_id: int) -> None:
        """Retention erased the guild's names in the database: forget what this process wrote."""
        for key in [key for key in self._written if key[0] == guild_id]:
            del self._written[key]
