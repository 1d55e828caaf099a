"""The feedback cog's buttons and forms.

Persistent buttons are ``DynamicItem``s (alive across restarts, nothing kept in memory):
``feedback:give:<recommendation id>`` (posted under every draft by the recommendations cog),
``feedback:respond:<feedback id>`` and ``feedback:page:<n>:prev|next`` (the working group's list).
Each parses its id and hands the click to the cog.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

import discord

from bot.access import Access, member_access
from bot.data.guilds import ScopingArea
from bot.data.recommendations import Recommendation
from bot.errors import AccessDenied
from bot.feedback.rules import MAX_LENGTH, MAX_RESPONSE
from bot.i18n import t
from bot.recommendations.publisher import feedback_button
from bot.replies import AnsweringButton
from cogs.feedback._render import clip

if TYPE_CHECKING:
    from cogs.feedback._cog import FeedbackCog

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
COG_NAME = "FeedbackCog"
MODAL_TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
OPTION_LIMIT = 100
USAGE_LIMIT = 200  # one line of a text display (Discord allows 4000 characters in a modal's text)


def cog_of(interaction: Interaction) -> FeedbackCog:
    cog = interaction.client.get_cog(COG_NAME)
    if cog is None:
        raise RuntimeError("the feedback cog is not loaded")
    return cog  # type: ignore[return-value]


async def require_working_group(interaction: Interaction) -> None:
    """Buttons are checked too: a custom id can be replayed by anyone who sees it."""
    if interaction.guild is None or Access.WORKING_GROUP not in await member_access(interaction):
        raise AccessDenied("access.working_group")


class GiveButton(AnsweringButton, template=r"feedback:give:(?P<id>[0-9]+)"):
    """ "Give feedback" under a draft: opens the form for that draft."""

    def __init__(self, recommendation_id: int, locale: object = None) -> None:
        super().__init__(feedback_button(recommendation_id, locale))
        self.recommendation_id = recommendation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> GiveButton:
        return cls(int(match["id"]))

    async def handle(self, interaction: Interaction) -> None:
        await cog_of(interaction).open_form(interaction, recommendation_id=self.recommendation_id)


class RespondButton(AnsweringButton, template=r"feedback:respond:(?P<id>[0-9]+)"):
    """ "Answer #n" on an item of the working group's list."""

    def __init__(self, feedback_id: int, locale: object = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=t("feedback.respond_button", locale, reference=feedback_id),
                emoji="💬",
                style=discord.ButtonStyle.secondary,
                custom_id=f"feedback:respond:{feedback_id}",
            )
        )
        self.feedback_id = feedback_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> RespondButton:
        return cls(int(match["id"]))

    async def handle(self, interaction: Interaction) -> None:
        await require_working_group(interaction)
        await cog_of(interaction).open_response_form(interaction, self.feedback_id)


class PageButton(
    AnsweringButton, template=r"feedback:page:(?P<rec>[0-9]+):(?P<id>[0-9]+):(?P<way>prev|next)"
):
    """Previous / next page of the working group's list: the draft filter (0: all) and page are in the id."""

    def __init__(
        self, recommendation: int, page: int, way: str, locale: object = None, *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=t(f"feedback.{'previous' if way == 'prev' else 'next'}", locale),
                style=discord.ButtonStyle.secondary,
                custom_id=f"feedback:page:{recommendation}:{page}:{way}",
                disabled=disabled,
            )
        )
        self.page = page
        self.recommendation = recommendation

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(int(match["rec"]), int(match["id"]), match["way"])

    async def handle(self, interaction: Interaction) -> None:
        await require_working_group(interaction)
        await cog_of(interaction).show_list(interaction, self.page, self.recommendation or None, edit=True)


DYNAMIC_ITEMS: tuple[type[AnsweringButton], ...] = (GiveButton, RespondButton, PageButton)


# -- forms ------------------------------------------------------------------------------------
# Forms carry their whole state in their custom id and the cog stops each one right after showing it,
# so every submission is answered by ``FeedbackCog.on_interaction`` from the custom id and the submitted
# values alone: a form opened before a restart is still received after it.
#   feedback:form:<recommendation id>:<area number | x>:<anonymous 0 | 1 | x>:<nonce>  (x: asked in the form)
#   feedback:edit:<feedback id>:<nonce>      feedback:answer:<feedback id>:<nonce>
FORM_ID = re.compile(r"feedback:form:(?P<rec>[0-9]+):(?P<area>[0-9]+|x):(?P<anonymous>[01x]):[0-9a-f]+")
EDIT_ID = re.compile(r"feedback:edit:(?P<id>[0-9]+):[0-9a-f]+")
ANSWER_ID = re.compile(r"feedback:answer:(?P<id>[0-9]+):[0-9a-f]+")


def _nonce() -> str:
    return secrets.token_hex(6)


def submitted_values(components: list[dict[str, Any]]) -> dict[str, Any]:
    """A modal submission's values by custom id (text inputs: ``value``; selects: ``values``)."""
    values: dict[str, Any] = {}
    for top in components:
        inner = [top["component"]] if "component" in top else top.get("components", [])
        for comp in inner:
            if comp.get("custom_id"):
                values[comp["custom_id"]] = comp["value"] if "value" in comp else comp.get("values")
    return values


def area_from(values: Any) -> int | None:
    """The area chosen in the form's select ("0" is "no particular area")."""
    value = values[0] if isinstance(values, list) and values else ""
    return int(value) if isinstance(value, str) and value.isdigit() and int(value) > 0 else None


class FeedbackModal(discord.ui.Modal):
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
            custom_id=(
                f"feedback:form:{recommendation.id}:{area.number if area else 'x'}"
                f":{'x' if anonymous is None else int(anonymous)}:{_nonce()}"
            ),
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


class EditModal(discord.ui.Modal):
    """Change the text of one's own form feedback (the previous text is kept in its history)."""

    def __init__(self, feedback_id: int, body: str, locale: object) -> None:
        super().__init__(
            title=clip(t("feedback.edit_modal_title", locale, reference=feedback_id), MODAL_TITLE_LIMIT),
            custom_id=f"feedback:edit:{feedback_id}:{_nonce()}",
        )
        self.add_item(
            discord.ui.Label(
                text=clip(t("feedback.text_label", locale), LABEL_LIMIT),
                component=discord.ui.TextInput(
                    style=discord.TextStyle.paragraph,
                    default=body[:MAX_LENGTH],
                    max_length=MAX_LENGTH,
                    required=True,
                    custom_id="text",
                ),
            )
        )


class RespondModal(discord.ui.Modal):
    """The working group's answer to one item."""

    def __init__(self, feedback_id: int, locale: object) -> None:
        super().__init__(
            title=clip(t("feedback.respond_modal_title", locale, reference=feedback_id), MODAL_TITLE_LIMIT),
            custom_id=f"feedback:answer:{feedback_id}:{_nonce()}",
        )
        self.add_item(
            discord.ui.Label(
                text=clip(t("feedback.respond_label", locale), LABEL_LIMIT),
                component=discord.ui.TextInput(
                    style=discord.TextStyle.paragraph,
                    placeholder=clip(t("feedback.respond_placeholder", locale), DESCRIPTION_LIMIT),
                    max_length=MAX_RESPONSE,
                    required=True,
                    custom_id="text",
                ),
            )
        )
