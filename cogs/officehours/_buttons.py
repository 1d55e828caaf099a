"""The card's persistent buttons: ``officehours:<action>:<session id>``, alive across restarts.

Each button only parses its session id (no database read in ``from_custom_id``) and hands the click
to the cog, so a rush of clicks costs one transaction each.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.i18n import t
from bot.officehours.service import MAX_QUESTION
from bot.replies import AnsweringButton

if TYPE_CHECKING:
    from bot.client import ConsultationBot
    from cogs.officehours._cog import OfficeHoursCog

log = logging.getLogger(__name__)

COG_NAME = "OfficeHoursCog"


def cog_of(interaction: discord.Interaction[ConsultationBot]) -> OfficeHoursCog:
    cog = interaction.client.get_cog(COG_NAME)
    if cog is None:
        raise RuntimeError("the office-hours cog is not loaded")
    return cog  # type: ignore[return-value]


class _SessionButton(AnsweringButton, template=r"officehours:_:(?P<id>[0-9]+)"):
    """Base: a button bound to one session; subclasses set ``action``, ``label_key`` and ``style``."""

    action = "_"
    label_key = ""
    style = discord.ButtonStyle.secondary
    emoji: str | None = None

    def __init__(self, session_id: int, locale: object = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=t(self.label_key, locale) if self.label_key else None,
                style=self.style,
                emoji=self.emoji,
                custom_id=f"officehours:{self.action}:{session_id}",
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[ConsultationBot],
        item: discord.ui.Button[Any],
        match: re.Match[str],
        /,
    ) -> _SessionButton:
        return cls(int(match["id"]))


class SignUpButton(_SessionButton, template=r"officehours:signup:(?P<id>[0-9]+)"):
    action = "signup"
    label_key = "officehours.card.signup"
    style = discord.ButtonStyle.success
    emoji = "✋"

    async def handle(self, interaction: discord.Interaction[ConsultationBot]) -> None:
        await cog_of(interaction).sign_up(interaction, self.session_id)


class CancelButton(_SessionButton, template=r"officehours:cancel:(?P<id>[0-9]+)"):
    action = "cancel"
    label_key = "officehours.card.cancel"

    async def handle(self, interaction: discord.Interaction[ConsultationBot]) -> None:
        await cog_of(interaction).cancel_sign_up(interaction, self.session_id)


class QuestionButton(_SessionButton, template=r"officehours:question:(?P<id>[0-9]+)"):
    action = "question"
    label_key = "officehours.card.question"
    emoji = "💬"

    async def handle(self, interaction: discord.Interaction[ConsultationBot]) -> None:
        await interaction.response.send_modal(QuestionModal(self.session_id, interaction.locale))


class DmButton(_SessionButton, template=r"officehours:dm:(?P<id>[0-9]+)"):
    action = "dm"
    label_key = "officehours.card.dm"
    emoji = "🔔"

    async def handle(self, interaction: discord.Interaction[ConsultationBot]) -> None:
        await cog_of(interaction).toggle_dm(interaction, self.session_id)


class CalendarButton(_SessionButton, template=r"officehours:calendar:(?P<id>[0-9]+)"):
    action = "calendar"
    label_key = "officehours.card.calendar"
    emoji = "📅"

    async def handle(self, interaction: discord.Interaction[ConsultationBot]) -> None:
        await cog_of(interaction).send_calendar(interaction, self.session_id)


class QuestionModal(discord.ui.Modal):
    """ "What would you like to discuss?": only the hosts see the answer (attendee list and CSV)."""

    def __init__(self, session_id: int, locale: object) -> None:
        super().__init__(
            title=t("officehours.question.modal_title", locale)[:45],
            custom_id=f"officehours:question_modal:{session_id}",
        )
        self.session_id = session_id
        self.question: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label=t("officehours.question.label", locale)[:45],
            placeholder=t("officehours.question.placeholder", locale)[:100],
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_QUESTION,
            custom_id="question",
        )
        self.add_item(self.question)

    async def on_submit(self, interaction: discord.Interaction[ConsultationBot]) -> None:  # type: ignore[override]
        await cog_of(interaction).save_question(interaction, self.session_id, self.question.value)

    async def on_error(self, interaction: discord.Interaction[ConsultationBot], error: Exception) -> None:  # type: ignore[override]
        await interaction.client.answer_error(interaction, error)


DYNAMIC_ITEMS: tuple[type[_SessionButton], ...] = (
    SignUpButton,
    CancelButton,
    QuestionButton,
    DmButton,
    CalendarButton,
)
