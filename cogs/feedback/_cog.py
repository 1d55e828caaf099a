"""/feedback: give, mine, edit, withdraw (members); /feedback-manage: list, respond (working group).

The commands are declared here; what they share with the buttons and forms (which outlive a restart
and reach the service through ``interaction.client.services``) is in ``_ui`` and ``_buttons``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import VISIBILITY, Access, require
from bot.errors import UserError
from bot.feedback.rules import MAX_RESPONSE
from bot.feedback.service import FeedbackService
from bot.i18n import t
from bot.recommendations.choices import recommendation_choices
from cogs.feedback._buttons import DYNAMIC_ITEMS, show_list
from cogs.feedback._choices import (
    area_choices,
    own_item_choices,
    working_group_choices,
)
from cogs.feedback._render import MINE_SHOWN, mine_embed
from cogs.feedback._ui import FORMS, EditModal, answer_member, open_form, save_response

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]


class FeedbackCog(commands.Cog):
    """Feedback on the drafts by form and by thread reply; the working group reads and answers it.

    Two top-level commands, because Discord's visibility default covers a whole one: ``/feedback``
    for every member and ``/feedback-manage`` for the working group.
    """

    members = app_commands.Group(
        name="feedback",
        description=(
            "Feedback on the drafts by form and by thread reply; the working group reads and answers it."
        ),
        guild_only=True,
    )
    manage = app_commands.Group(
        name="feedback-manage",
        description="Working group: read the feedback on the drafts and answer it.",
        guild_only=True,
        default_permissions=VISIBILITY[Access.WORKING_GROUP],
    )

    def __init__(self, bot: ConsultationBot, service: FeedbackService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.forms.add(*FORMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.forms.remove(*FORMS)

    # -- giving feedback --------------------------------------------------------------------

    @require(Access.MEMBER)
    @members.command(
        name="give", description="Tell the working group what you think of a draft recommendation."
    )
    @app_commands.describe(
        recommendation="The draft recommendation (start typing its number or title)",
        area="A scoping area your feedback is about in particular (optional)",
        anonymous="Hide your name from the working group (you can still see and withdraw it)",
    )
    @app_commands.autocomplete(recommendation=recommendation_choices, area=area_choices)
    async def give_command(
        self,
        interaction: Interaction,
        recommendation: int,
        area: int | None = None,
        anonymous: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        rec = await self.service.recommendation_by_number(interaction.guild_id, recommendation)
        await open_form(interaction, recommendation_id=rec.id, area_number=area, anonymous=anonymous)

    # -- the member's own items -------------------------------------------------------------

    @require(Access.MEMBER)
    @members.command(name="mine", description="See the feedback you gave, anonymous items included.")
    async def mine_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        items, answered = await self.service.mine(interaction.guild_id, interaction.user.id, shown=MINE_SHOWN)
        if not items:
            await answer_member(interaction, t("feedback.mine_empty", interaction.locale))
            return
        await answer_member(interaction, None, embeds=[mine_embed(items, answered, interaction.locale)])

    @require(Access.MEMBER)
    @members.command(name="edit", description="Change the text of feedback you gave with the form.")
    @app_commands.describe(item="The reference number of your feedback (start typing)")
    @app_commands.autocomplete(item=own_item_choices)
    async def edit_command(self, interaction: Interaction, item: int) -> None:
        assert interaction.guild_id is not None
        own = await self.service.own_item(interaction.guild_id, interaction.user.id, item)
        if own.source == "thread":
            raise UserError("feedback.edit_in_thread", reference=own.id)
        await self.service.open_settings(interaction.guild_id)
        await EditModal(own.id, own.body, interaction.locale).show(interaction)

    @require(Access.MEMBER)
    @members.command(
        name="withdraw", description="Take back feedback you gave; the working group no longer sees it."
    )
    @app_commands.describe(item="The reference number of your feedback (start typing)")
    @app_commands.autocomplete(item=own_item_choices)
    async def withdraw_command(self, interaction: Interaction, item: int) -> None:
        assert interaction.guild_id is not None
        withdrawn = await self.service.withdraw_own(interaction.guild_id, interaction.user.id, item)
        await answer_member(interaction, t("feedback.withdrawn", interaction.locale, reference=withdrawn.id))

    # -- the working group ------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @manage.command(
        name="list", description="Working group: read the feedback, unanswered first, and answer it."
    )
    @app_commands.describe(recommendation="Only the feedback on this draft recommendation (optional)")
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def list_command(self, interaction: Interaction, recommendation: int | None = None) -> None:
        assert interaction.guild_id is not None
        rec_id = None
        if recommendation is not None:
            rec_id = (await self.service.recommendation_by_number(interaction.guild_id, recommendation)).id
        await show_list(interaction, 0, rec_id, edit=False)

    @require(Access.WORKING_GROUP)
    @manage.command(
        name="respond", description="Working group: answer a piece of feedback; its author is told."
    )
    @app_commands.describe(item="The feedback's reference number (start typing)", text="Your answer")
    @app_commands.autocomplete(item=working_group_choices)
    async def respond_command(
        self, interaction: Interaction, item: int, text: app_commands.Range[str, 1, MAX_RESPONSE]
    ) -> None:
        await save_response(interaction, item, text)
