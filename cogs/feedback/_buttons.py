"""The feedback capability's persistent buttons, each a ``DynamicItem`` answered from its custom id.

``feedback:give:<recommendation id>`` (under every draft; built and parsed in ``bot.feedback.buttons``),
``feedback:respond:<feedback id>`` and ``feedback:page:<draft id | 0>:<page>:prev|next`` (the working
group's list). Nothing is kept in memory: each click reaches the service through
``interaction.client.services``, so a button still works after a restart.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.access import Access
from bot.feedback.buttons import GIVE_TEMPLATE, GiveButton
from bot.i18n import t
from bot.replies import AnsweringButton, respond
from cogs.feedback._render import working_group_embed
from cogs.feedback._ui import RespondModal, open_form

Interaction = discord.Interaction["ConsultationBot"]
PAGE_SIZE = 5  # items per page of the working group's list: one "Answer" button each in one row


class GiveFormButton(GiveButton, template=GIVE_TEMPLATE):
    """ "Give feedback" under a draft: opens the form for that draft."""

    async def handle(self, interaction: Interaction) -> None:
        await open_form(interaction, recommendation_id=self.recommendation_id)


class RespondButton(AnsweringButton, template=r"feedback:respond:(?P<id>[0-9]+)"):
    """ "Answer #n" on an item of the working group's list."""

    access = Access.WORKING_GROUP

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
        assert interaction.guild_id is not None
        service = interaction.client.services.feedback
        await service.working_group_item(interaction.guild_id, self.feedback_id)
        await RespondModal(self.feedback_id, interaction.locale).show(interaction)


class PageButton(
    AnsweringButton, template=r"feedback:page:(?P<rec>[0-9]+):(?P<id>[0-9]+):(?P<way>prev|next)"
):
    """Previous / next page of the working group's list: the draft filter (0: all) and page are in the id."""

    access = Access.WORKING_GROUP

    def __init__(
        self, recommendation: int, page: int, way: str, locale: object = None, *, disabled: bool = False
    ) -> None:
        label = t("feedback.previous", locale) if way == "prev" else t("feedback.next", locale)
        super().__init__(
            discord.ui.Button(
                label=label,
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
        await show_list(interaction, self.page, self.recommendation or None, edit=True)


DYNAMIC_ITEMS: tuple[type[AnsweringButton], ...] = (GiveFormButton, RespondButton, PageButton)


async def show_list(
    interaction: Interaction, page: int, recommendation_id: int | None = None, *, edit: bool
) -> None:
    """A page of the working group's list, one "Answer" button per item and previous/next buttons."""
    assert interaction.guild_id is not None
    locale = interaction.locale
    shown = await interaction.client.services.feedback.working_group_page(
        interaction.guild_id, page, recommendation_id, size=PAGE_SIZE
    )
    header = t("feedback.list_title", locale, unanswered=shown.unanswered, total=shown.total)
    if shown.recommendation_number is not None:
        header += " " + t("feedback.list_filtered", locale, number=shown.recommendation_number)
    if shown.total:
        header += "\n" + t("feedback.list_page", locale, page=shown.page + 1, pages=shown.pages)
    else:
        header += "\n" + t("feedback.list_empty", locale)
    view = discord.ui.View(timeout=None)
    for item in shown.items:
        view.add_item(RespondButton(item.id, locale))
    if shown.pages > 1:
        page, last = shown.page, shown.pages - 1
        rec = recommendation_id or 0
        view.add_item(PageButton(rec, max(page - 1, 0), "prev", locale, disabled=page == 0))
        view.add_item(PageButton(rec, min(page + 1, last), "next", locale, disabled=page >= last))
    view.stop()  # clicks are routed by custom id (DynamicItem), not by this object
    embeds = [working_group_embed(item, locale) for item in shown.items]
    if edit:
        await interaction.response.edit_message(content=header, embeds=embeds, view=view)
    else:
        await respond(interaction, header, embeds=embeds, view=view)
