"""/feedback: give, mine, edit, withdraw (members); /feedback-manage: list, respond (working group)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import VISIBILITY, Access, require
from bot.audit import record_action
from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.feedback.rules import MAX_RESPONSE
from bot.feedback.service import Answered, FeedbackService
from bot.i18n import t
from bot.recommendations.choices import recommendation_choices
from bot.replies import respond
from cogs.feedback._choices import (
    area_choices,
    own_item_choices,
    working_group_choices,
)
from cogs.feedback._render import (
    PENDING_SHOWN,
    mine_embed,
    pending_embed,
    working_group_embed,
)
from cogs.feedback._ui import (
    ANSWER_ID,
    DYNAMIC_ITEMS,
    EDIT_ID,
    FORM_ID,
    EditModal,
    FeedbackModal,
    PageButton,
    RespondButton,
    RespondModal,
    area_from,
    require_working_group,
    submitted_values,
)

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
PAGE_SIZE = 5  # items per page of the working group's list: one "Answer" button each in one row


def locale_code(interaction: Interaction) -> str:
    return str(getattr(interaction.locale, "value", interaction.locale))


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
        self.feedback = FeedbackRepository(bot.db)
        self.recommendations = RecommendationRepository(bot.db)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

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
        await self.open_form(interaction, recommendation_id=rec.id, area_number=area, anonymous=anonymous)

    async def open_form(
        self,
        interaction: Interaction,
        *,
        recommendation_id: int,
        area_number: int | None = None,
        anonymous: bool | None = None,
    ) -> None:
        """Refuse early (phase, cooldown, unknown draft) so nobody writes a text that cannot be kept."""
        if interaction.guild_id is None:
            raise UserError("errors.guild_only")
        await self.service.check_may_give(interaction.guild_id, interaction.user.id)
        rec = await self.service.recommendation_by_id(interaction.guild_id, recommendation_id)
        area = await self.service.area_by_number(interaction.guild_id, area_number)
        areas = await self.bot.guild_repository.scoping_areas(interaction.guild_id)
        await self.show_form(
            interaction, FeedbackModal(rec, areas, interaction.locale, area=area, anonymous=anonymous)
        )

    @staticmethod
    async def show_form(interaction: Interaction, modal: discord.ui.Modal) -> None:
        """Show a form and stop tracking it: ``on_interaction`` answers it from its custom id."""
        await interaction.response.send_modal(modal)
        modal.stop()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        custom_id = str(interaction.data.get("custom_id", ""))
        if not custom_id.startswith("feedback:"):
            return
        try:
            await self.receive_form(interaction, custom_id)
        except Exception as error:  # every failure gets a sentence
            await self.bot.answer_error(interaction, error)

    async def receive_form(self, interaction: Interaction, custom_id: str) -> None:
        values = submitted_values(list(interaction.data.get("components", [])))  # type: ignore[union-attr]
        text = values.get("text")
        text = text if isinstance(text, str) else None
        if match := FORM_ID.fullmatch(custom_id):
            await self.submit_form(
                interaction,
                recommendation_id=int(match["rec"]),
                text=text,
                area_number=area_from(values.get("area")) if match["area"] == "x" else int(match["area"]),
                anonymous=bool(values.get("anonymous"))
                if match["anonymous"] == "x"
                else match["anonymous"] == "1",
            )
        elif match := EDIT_ID.fullmatch(custom_id):
            await self.save_edit(interaction, int(match["id"]), text)
        elif match := ANSWER_ID.fullmatch(custom_id):
            await require_working_group(interaction)
            await self.save_response(interaction, int(match["id"]), text)
        else:
            log.warning("A form with an unknown custom id was submitted: %s", custom_id)

    async def submit_form(
        self,
        interaction: Interaction,
        *,
        recommendation_id: int,
        text: str | None,
        area_number: int | None,
        anonymous: bool,
    ) -> None:
        assert interaction.guild_id is not None
        item = await self.service.give(
            guild_id=interaction.guild_id,
            user_id=interaction.user.id,
            recommendation_id=recommendation_id,
            text=text,
            anonymous=anonymous,
            area_number=area_number,
            locale=locale_code(interaction),
            channel_id=interaction.channel_id,
        )
        await self.bot.services.names.seen(
            interaction.guild_id, interaction.user.id, interaction.user.display_name
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
        await self.answer_member(interaction, message)

    # -- the member's own items -------------------------------------------------------------

    @require(Access.MEMBER)
    @members.command(name="mine", description="See the feedback you gave, anonymous items included.")
    async def mine_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        items = await self.feedback.for_author(interaction.guild_id, interaction.user.id)
        if not items:
            await self.answer_member(interaction, t("feedback.mine_empty", interaction.locale))
            return
        answered = {item.id: len(await self.feedback.responses(item.id)) for item in items[:15]}
        await self.answer_member(interaction, None, embeds=[mine_embed(items, answered, interaction.locale)])

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
        await self.show_form(interaction, EditModal(own.id, own.body, interaction.locale))

    async def save_edit(self, interaction: Interaction, feedback_id: int, text: str | None) -> None:
        assert interaction.guild_id is not None
        item = await self.service.edit_own(interaction.guild_id, interaction.user.id, feedback_id, text)
        await self.answer_member(interaction, t("feedback.edited", interaction.locale, reference=item.id))

    @require(Access.MEMBER)
    @members.command(
        name="withdraw", description="Take back feedback you gave; the working group no longer sees it."
    )
    @app_commands.describe(item="The reference number of your feedback (start typing)")
    @app_commands.autocomplete(item=own_item_choices)
    async def withdraw_command(self, interaction: Interaction, item: int) -> None:
        assert interaction.guild_id is not None
        withdrawn = await self.service.withdraw_own(interaction.guild_id, interaction.user.id, item)
        await self.answer_member(
            interaction, t("feedback.withdrawn", interaction.locale, reference=withdrawn.id)
        )

    async def answer_member(
        self, interaction: Interaction, content: str | None, *, embeds: list[discord.Embed] | None = None
    ) -> None:
        """Answer ephemerally, adding the working group's answers the member has not seen yet."""
        assert interaction.guild_id is not None
        pending = await self.service.pending_responses(interaction.guild_id, interaction.user.id)
        embeds = list(embeds or [])
        if pending:
            embeds.append(pending_embed(pending, interaction.locale))
        await respond(interaction, content, embeds=embeds)
        if pending:
            await self.service.mark_delivered([p.id for p in pending[:PENDING_SHOWN]])

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
        await self.show_list(interaction, 0, rec_id, edit=False)

    async def show_list(
        self, interaction: Interaction, page: int, recommendation_id: int | None = None, *, edit: bool
    ) -> None:
        """A page of visible items, unanswered first; ``recommendation_id`` narrows it to one draft."""
        assert interaction.guild_id is not None
        locale = interaction.locale
        total, unanswered = await self.feedback.count_for_working_group(
            interaction.guild_id, recommendation_id=recommendation_id
        )
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        items = await self.feedback.for_working_group(
            interaction.guild_id,
            recommendation_id=recommendation_id,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )
        header = t("feedback.list_title", locale, unanswered=unanswered, total=total)
        if recommendation_id is not None:
            rec = await self.recommendations.by_id(recommendation_id)
            header += " " + t("feedback.list_filtered", locale, number=rec.number if rec else "?")
        if total:
            header += "\n" + t("feedback.list_page", locale, page=page + 1, pages=pages)
        else:
            header += "\n" + t("feedback.list_empty", locale)
        view = discord.ui.View(timeout=None)
        for item in items:
            view.add_item(RespondButton(item.id, locale))
        if pages > 1:
            last = pages - 1
            rec = recommendation_id or 0
            view.add_item(PageButton(rec, max(page - 1, 0), "prev", locale, disabled=page == 0))
            view.add_item(PageButton(rec, min(page + 1, last), "next", locale, disabled=page >= last))
        view.stop()  # clicks are routed by custom id (DynamicItem), not by this object
        embeds = [working_group_embed(item, locale) for item in items]
        if edit:
            await interaction.response.edit_message(content=header, embeds=embeds, view=view)
        else:
            await respond(interaction, header, embeds=embeds, view=view)

    @require(Access.WORKING_GROUP)
    @manage.command(
        name="respond", description="Working group: answer a piece of feedback; its author is told."
    )
    @app_commands.describe(item="The feedback's reference number (start typing)", text="Your answer")
    @app_commands.autocomplete(item=working_group_choices)
    async def respond_command(
        self, interaction: Interaction, item: int, text: app_commands.Range[str, 1, MAX_RESPONSE]
    ) -> None:
        await self.save_response(interaction, item, text)

    async def open_response_form(self, interaction: Interaction, feedback_id: int) -> None:
        assert interaction.guild_id is not None
        if await self.feedback.working_group_item(interaction.guild_id, feedback_id) is None:
            raise UserError("feedback.unknown_item", reference=feedback_id)
        await self.show_form(interaction, RespondModal(feedback_id, interaction.locale))

    async def save_response(self, interaction: Interaction, feedback_id: int, text: str | None) -> None:
        assert interaction.guild_id is not None
        answered = await self.service.respond(interaction.guild_id, interaction.user.id, feedback_id, text)
        await record_action(
            self.bot,
            interaction.guild_id,
            interaction.user.id,
            "feedback.respond",
            f"feedback #{feedback_id}",
        )
        told = await self.tell_in_thread(answered)
        delivery = t("feedback.delivery_thread" if told else "feedback.delivery_later", interaction.locale)
        await respond(
            interaction, t("feedback.responded", interaction.locale, reference=feedback_id, delivery=delivery)
        )

    async def tell_in_thread(self, answered: Answered) -> bool:
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
            thread = self.bot.get_partial_messageable(answered.thread_id)
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
            log.warning(
                "Could not tell the author of feedback #%s in its thread: %s", answered.item.id, error
            )
            return False
        await self.service.mark_delivered([answered.response.id])
        return True
