"""The answers to the card's buttons and to the question form, each routed by its custom id alone.

The buttons' custom ids are built and parsed in ``bot.officehours.card`` (the publisher puts them on
the card); each class here keeps its base's template and adds ``handle``. The question form is a
``PersistentForm`` (``officehours:question_modal:<session id>``), so a form opened before a restart is
still answered after it. Nothing is kept in memory: every answer reaches the service through
``interaction.client.services``.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.access import Access
from bot.clicks import ButtonClick, ClickHandler
from bot.forms import PersistentForm
from bot.i18n import t
from bot.officehours.card import (
    CalendarButton,
    CancelButton,
    DmButton,
    QuestionButton,
    SessionButton,
    SignUpButton,
    action_template,
)
from bot.officehours.render import discord_timestamp
from bot.officehours.service import MAX_QUESTION

if TYPE_CHECKING:
    from bot.services import Services

Interaction = discord.Interaction["ConsultationBot"]


def _guild_id(interaction: Interaction) -> int:
    assert interaction.guild_id is not None  # ``access`` refused any click outside a server
    return interaction.guild_id


async def sign_up(
    services: Services, guild_id: int, session_id: int, user_id: int, locale: str, display_name: str
) -> str:
    """The sign-up committed, then its sentence; the card edit comes later, coalesced."""
    outcome = await services.officehours.sign_up(guild_id, session_id, user_id, locale, display_name)
    params = {
        "title": outcome.title,
        "when": discord_timestamp(outcome.starts_at) if outcome.starts_at else "",
    }
    if outcome.already and outcome.status == "confirmed":
        text = t("officehours.signup.already_confirmed", locale, **params)
    elif outcome.already:
        text = t("officehours.signup.already_waitlisted", locale, position=outcome.position, **params)
    elif outcome.status == "waitlisted":
        text = t("officehours.signup.waitlisted", locale, position=outcome.position, **params)
    else:
        text = t("officehours.signup.confirmed", locale, **params)
    if not outcome.already:
        services.officehours_publisher.seats_changed([session_id])
    return text


async def cancel(services: Services, guild_id: int, session_id: int, user_id: int, locale: str) -> str:
    """Cancellations are grouped like sign-ups (one transaction per burst); the card comes later."""
    outcome = await services.officehours.cancel_signup(guild_id, session_id, user_id)
    if outcome.previous == "confirmed":
        text = t("officehours.cancel_signup.done_seat", locale, title=outcome.title)
    else:
        text = t("officehours.cancel_signup.done_waitlist", locale, title=outcome.title)
    services.officehours_publisher.seats_changed([session_id], notices=outcome.promoted_user_id is not None)
    return text


class SignUpAnswer(SignUpButton, template=action_template("signup")):
    access = Access.MEMBER

    async def handle(self, interaction: Interaction) -> None:
        text = await sign_up(
            interaction.client.services,
            _guild_id(interaction),
            self.session_id,
            interaction.user.id,
            str(interaction.locale),
            interaction.user.display_name,
        )
        await interaction.response.send_message(text, ephemeral=True)


class CancelAnswer(CancelButton, template=action_template("cancel")):
    access = Access.MEMBER

    async def handle(self, interaction: Interaction) -> None:
        text = await cancel(
            interaction.client.services,
            _guild_id(interaction),
            self.session_id,
            interaction.user.id,
            str(interaction.locale),
        )
        await interaction.response.send_message(text, ephemeral=True)


def click_routes(services: Services) -> dict[re.Pattern[str], ClickHandler]:
    """Sign up and Cancel answered straight from the gateway (``bot.clicks``): a rush's two buttons."""

    async def on_sign_up(click: ButtonClick) -> str:
        session_id = int(click.match["id"])
        return await sign_up(
            services, click.guild_id, session_id, click.user_id, click.locale, click.display_name
        )

    async def on_cancel(click: ButtonClick) -> str:
        return await cancel(services, click.guild_id, int(click.match["id"]), click.user_id, click.locale)

    return {
        SignUpAnswer.__discord_ui_compiled_template__: on_sign_up,
        CancelAnswer.__discord_ui_compiled_template__: on_cancel,
    }


class QuestionAnswer(QuestionButton, template=action_template("question")):
    access = Access.MEMBER

    async def handle(self, interaction: Interaction) -> None:
        await QuestionForm(self.session_id, interaction.locale).show(interaction)


class DmAnswer(DmButton, template=action_template("dm")):
    access = Access.MEMBER

    async def handle(self, interaction: Interaction) -> None:
        service = interaction.client.services.officehours
        guild_id = _guild_id(interaction)
        session = await service.visible_session(guild_id, self.session_id)
        wanted = await service.toggle_dm_reminders(guild_id, self.session_id, interaction.user.id)
        key = "officehours.dm.on" if wanted else "officehours.dm.off"
        await interaction.response.send_message(
            t(key, interaction.locale, title=session.title), ephemeral=True
        )


class CalendarAnswer(CalendarButton, template=action_template("calendar")):
    access = Access.MEMBER

    async def handle(self, interaction: Interaction) -> None:
        services = interaction.client.services
        session = await services.officehours.visible_session(_guild_id(interaction), self.session_id)
        await interaction.response.send_message(
            t("officehours.list.calendar_sent", interaction.locale, title=session.title),
            file=discord.File(
                io.BytesIO(services.officehours_publisher.calendar(session, interaction.locale)),
                filename=f"officehours-{session.id}.ics",
            ),
            ephemeral=True,
        )


class QuestionForm(PersistentForm, template=r"officehours:question_modal:(?P<id>[0-9]+)"):
    """ "What would you like to discuss?": only the hosts see the answer (attendee list and CSV)."""

    access = Access.MEMBER

    def __init__(self, session_id: int, locale: object) -> None:
        super().__init__(
            title=t("officehours.question.modal_title", locale)[:45],
            custom_id=self.custom_id_for(session_id),
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("officehours.question.label", locale)[:45],
                placeholder=t("officehours.question.placeholder", locale)[:100],
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=MAX_QUESTION,
                custom_id="question",
            )
        )

    @staticmethod
    def custom_id_for(session_id: int) -> str:
        return f"officehours:question_modal:{session_id}"

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        saved = await interaction.client.services.officehours.set_question(
            _guild_id(interaction), int(match["id"]), interaction.user.id, str(values.get("question") or "")
        )
        key = "officehours.question.saved" if saved else "officehours.question.cleared"
        await interaction.response.send_message(t(key, interaction.locale), ephemeral=True)


DYNAMIC_ITEMS: tuple[type[SessionButton], ...] = (
    SignUpAnswer,
    CancelAnswer,
    QuestionAnswer,
    DmAnswer,
    CalendarAnswer,
)
FORMS: tuple[type[PersistentForm], ...] = (QuestionForm,)
