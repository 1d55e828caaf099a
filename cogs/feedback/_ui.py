"""The feedback forms and what they do: give feedback, edit one's own, the working group's answer.

Each form is a ``PersistentForm`` (``bot/forms.py``): its custom id, built and parsed by the class
alone, carries its whole state, so a form opened before a restart is still received after it.
  feedback:form:<recommendation id>:<area number | x>:<anonymous 0 | 1 | x>:<nonce>  (x: asked in the form)
  feedback:edit:<feedback id>:<nonce>      feedback:answer:<feedback id>:<nonce>
The commands, buttons and forms reach the service through ``interaction.client.services``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.access import Access
from bot.audit import record_action
from bot.data.guilds import ScopingArea
from bot.data.recommendations import Recommendation
from bot.errors import UserError
from bot.feedback.rules import MAX_LENGTH, MAX_RESPONSE
from bot.feedback.service import Answered
from bot.forms import PersistentForm, nonce
from bot.i18n import t
from bot.replies import respond
from cogs.feedback._render import PENDING_SHOWN, clip, pending_embed

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
MODAL_TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
OPTION_LIMIT = 100
USAGE_LIMIT = 200  # one line of a text display (Discord allows 4000 characters in a modal's text)


def locale_code(interaction: Interaction) -> str:
    return str(getattr(interaction.locale, "value", interaction.locale))


def area_from(values: Any) -> int | None:
    """The area chosen in the form's select ("0" is "no particular area")."""
    value = values[0] if isinstance(values, list) and values else ""
    return int(value) if isinstance(value, str) and value.isdigit() and int(value) > 0 else None


def text_from(values: dict[str, Any]) -> str | None:
    text = values.get("text")
    return text if isinstance(text, str) else None


async def answer_member(
    interaction: Interaction, content: str | None, *, embeds: list[discord.Embed] | None = None
) -> None:
    """Answer ephemerally, adding the working group's answers the member has not seen yet."""
    assert interaction.guild_id is not None
    service = interaction.client.services.feedback
    pending, taken_at = await service.take_pending(interaction.guild_id, interaction.user.id, PENDING_SHOWN)
    embeds = list(embeds or [])
    if pending:
        embeds.append(pending_embed(pending, interaction.locale))
    try:
        await respond(interaction, content, embeds=embeds)
    except discord.HTTPException:
        if pending:  # not shown after all: the next command shows them
            await service.give_back([p.id for p in pending], taken_at)
        raise


async def open_form(
    interaction: Interaction,
    *,
    recommendation_id: int,
    area_number: int | None = None,
    anonymous: bool | None = None,
) -> None:
    """Refuse early (phase, cooldown, unknown draft) so nobody writes a text that cannot be kept."""
    if interaction.guild_id is None:
        raise UserError("errors.guild_only")
    service = interaction.client.services.feedback
    await service.check_may_give(interaction.guild_id, interaction.user.id)
    rec = await service.recommendation_by_id(interaction.guild_id, recommendation_id)
    area = await service.area_by_number(interaction.guild_id, area_number)
    areas = await service.scoping_areas(interaction.guild_id)
    await FeedbackModal(rec, areas, interaction.locale, area=area, anonymous=anonymous).show(interaction)


class FeedbackModal(
    PersistentForm,
    template=r"feedback:form:(?P<rec>[0-9]+):(?P<area>[0-9]+|x):(?P<anonymous>[01x]):[0-9a-f]+",
):
    """The feedback form: the text and, unless the slash command chose them, an area and anonymity."""

    def __init__(
        self,
        recommendation: Recommendation,
        areas: list[ScopingArea],
        locale: object,
        *,
        area: ScopingArea | None = None,
        anonymous: bool | None = None,
    ) -> None:
        super().__init__(
            title=clip(t("feedback.modal_title", locale, number=recommendation.number), MODAL_TITLE_LIMIT),
            custom_id=self.custom_id_for(recommendation.id, area, anonymous),
        )
        self.recommendation = recommendation
        self.add_item(
            discord.ui.TextDisplay(
                "### "
                + clip(
                    t(
                        "feedback.draft_label",
                        locale,
                        number=recommendation.number,
                        title=recommendation.title,
                        version=recommendation.version,
                    ),
                    300,
                )
                # How the feedback is used, in the member's language, before they write a word.
                + "\n-# "
                + clip(t("feedback.usage", locale), USAGE_LIMIT)
            )
        )
        self.text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph,
            placeholder=clip(t("feedback.text_placeholder", locale), DESCRIPTION_LIMIT),
            max_length=MAX_LENGTH,
            required=True,
            custom_id="text",
        )
        self.add_item(
            discord.ui.Label(
                text=clip(t("feedback.text_label", locale), LABEL_LIMIT),
                description=clip(t("feedback.text_description", locale, limit=MAX_LENGTH), DESCRIPTION_LIMIT),
                component=self.text,
            )
        )
        chosen = []
        self.area_select: discord.ui.Select[FeedbackModal] | None = None
        if area is None:
            options = [
                discord.SelectOption(label=clip(t("feedback.area_none", locale), OPTION_LIMIT), value="0")
            ]
            options += [
                discord.SelectOption(label=clip(f"{a.number}. {a.name}", OPTION_LIMIT), value=str(a.number))
                for a in areas[:24]
            ]
            self.area_select = discord.ui.Select(
                custom_id="area", options=options, min_values=0, required=False
            )
            self.add_item(
                discord.ui.Label(
                    text=clip(t("feedback.area_label", locale), LABEL_LIMIT),
                    description=clip(t("feedback.area_description", locale), DESCRIPTION_LIMIT),
                    component=self.area_select,
                )
            )
        else:
            chosen.append(t("feedback.chosen_area", locale, emoji=area.emoji, name=area.name))
        self.anonymous_box: discord.ui.Checkbox[FeedbackModal] | None = None
        if anonymous is None:
            self.anonymous_box = discord.ui.Checkbox(custom_id="anonymous", default=False)
            self.add_item(
                discord.ui.Label(
                    text=clip(t("feedback.anonymous_label", locale), LABEL_LIMIT),
                    description=clip(t("feedback.anonymous_description", locale), DESCRIPTION_LIMIT),
                    component=self.anonymous_box,
                )
            )
        else:
            chosen.append(t("feedback.chosen_anonymous" if anonymous else "feedback.chosen_named", locale))
        if chosen:
            self.add_item(discord.ui.TextDisplay("\n".join(chosen)))

    @staticmethod
    def custom_id_for(recommendation_id: int, area: ScopingArea | None, anonymous: bool | None) -> str:
        return (
            f"feedback:form:{recommendation_id}:{area.number if area else 'x'}"
            f":{'x' if anonymous is None else int(anonymous)}:{nonce()}"
        )

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        assert interaction.guild_id is not None
        item = await interaction.client.services.feedback.give(
            guild_id=interaction.guild_id,
            user_id=interaction.user.id,
            recommendation_id=int(match["rec"]),
            text=text_from(values),
            anonymous=bool(values.get("anonymous"))
            if match["anonymous"] == "x"
            else match["anonymous"] == "1",
            area_number=area_from(values.get("area")) if match["area"] == "x" else int(match["area"]),
            locale=locale_code(interaction),
            channel_id=interaction.channel_id,
        )
        message = t(
            "feedback.saved",
            interaction.locale,
            number=item.recommendation_number,
            version=item.version,
            reference=item.id,
        )
        if item.anonymous:
            message += "\n" + t("feedback.saved_anonymous", interaction.locale)
        await answer_member(interaction, message)
        # Answer first: the name beside the id is for the working group's files, written after.
        await interaction.client.services.names.seen(
            interaction.guild_id, interaction.user.id, interaction.user.display_name
        )


def text_field(
    label: str, limit: int, *, default: str | None = None, placeholder: str | None = None
) -> discord.ui.Label[Any]:
    """The one long text a feedback form asks for (``text`` in the submitted values), under its label."""
    return discord.ui.Label(
        text=clip(label, LABEL_LIMIT),
        component=discord.ui.TextInput(
            style=discord.TextStyle.paragraph,
            default=default,
            placeholder=clip(placeholder, DESCRIPTION_LIMIT) if placeholder else None,
            max_length=limit,
            required=True,
            custom_id="text",
        ),
    )


class EditModal(PersistentForm, template=r"feedback:edit:(?P<id>[0-9]+):[0-9a-f]+"):
    """Change the text of one's own form feedback (the previous text is kept in its history)."""

    def __init__(self, feedback_id: int, body: str, locale: object) -> None:
        super().__init__(
            title=clip(t("feedback.edit_modal_title", locale, reference=feedback_id), MODAL_TITLE_LIMIT),
            custom_id=f"feedback:edit:{feedback_id}:{nonce()}",
        )
        self.add_item(text_field(t("feedback.text_label", locale), MAX_LENGTH, default=body[:MAX_LENGTH]))

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        assert interaction.guild_id is not None
        item = await interaction.client.services.feedback.edit_own(
            interaction.guild_id, interaction.user.id, int(match["id"]), text_from(values)
        )
        await answer_member(interaction, t("feedback.edited", interaction.locale, reference=item.id))


class RespondModal(PersistentForm, template=r"feedback:answer:(?P<id>[0-9]+):[0-9a-f]+"):
    """The working group's answer to one item."""

    access = Access.WORKING_GROUP

    def __init__(self, feedback_id: int, locale: object) -> None:
        super().__init__(
            title=clip(t("feedback.respond_modal_title", locale, reference=feedback_id), MODAL_TITLE_LIMIT),
            custom_id=f"feedback:answer:{feedback_id}:{nonce()}",
        )
        placeholder = t("feedback.respond_placeholder", locale)
        self.add_item(text_field(t("feedback.respond_label", locale), MAX_RESPONSE, placeholder=placeholder))

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        await save_response(interaction, int(match["id"]), text_from(values))


async def save_response(interaction: Interaction, feedback_id: int, text: str | None) -> None:
    """Store the working group's answer and tell its author in the draft's thread when it may."""
    assert interaction.guild_id is not None
    service = interaction.client.services.feedback
    answered = await service.respond(interaction.guild_id, interaction.user.id, feedback_id, text)
    await record_action(
        interaction.client,
        interaction.guild_id,
        interaction.user.id,
        "feedback.respond",
        f"feedback #{feedback_id}",
    )
    told = await tell_in_thread(interaction, answered)
    delivery = (
        t("feedback.delivery_thread", interaction.locale)
        if told
        else t("feedback.delivery_later", interaction.locale)
    )
    await respond(
        interaction, t("feedback.responded", interaction.locale, reference=feedback_id, delivery=delivery)
    )


async def tell_in_thread(interaction: Interaction, answered: Answered) -> bool:
    """A named author is told in the draft's thread (pinging only them); anonymous ones never are."""
    if answered.anonymous or answered.thread_id is None:
        return False
    notice = t(
        "feedback.thread_notice",
        author=answered.author_id,
        reference=answered.item.id,
        number=answered.item.recommendation_number,
    )
    try:
        thread = interaction.client.get_partial_messageable(answered.thread_id)
        await thread.send(
            f"{notice}\n>>> {answered.response.body}",
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                roles=False,
                replied_user=False,
                users=[discord.Object(answered.author_id)],
            ),
        )
    except discord.HTTPException as error:
        log.warning("Could not tell the author of feedback #%s in its thread: %s", answered.item.id, error)
        return False
    await interaction.client.services.feedback.mark_delivered([answered.response.id])
    return True


FORMS: tuple[type[PersistentForm], ...] = (FeedbackModal, EditModal, RespondModal)
