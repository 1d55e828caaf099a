"""The "Give feedback" button under every published draft: its custom id built and parsed here only.

The publisher (``bot/recommendations``) puts it on posts; the feedback cog subclasses it with the click's
answer (open the form). Both sides share this one template and builder, so they cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.i18n import t
from bot.replies import AnsweringButton

GIVE_TEMPLATE = r"feedback:give:(?P<id>[0-9]+)"


class GiveButton(AnsweringButton, template=GIVE_TEMPLATE):
    """ "Give feedback" under a draft; ``handle`` is the feedback cog's (see ``cogs/feedback/_ui.py``)."""

    def __init__(self, recommendation_id: int, locale: object = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=t("recommendations.give_feedback", locale),
                emoji="📝",
                style=discord.ButtonStyle.primary,
                custom_id=self.custom_id_for(recommendation_id),
            )
        )
        self.recommendation_id = recommendation_id

    @staticmethod
    def custom_id_for(recommendation_id: int) -> str:
        return f"feedback:give:{recommendation_id}"

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> GiveButton:
        return cls(int(match["id"]))
