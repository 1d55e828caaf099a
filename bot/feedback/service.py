"""The feedback rules in one place: who may send what, when, about which draft; thread replies; answers.

No discord.py here: the cog turns interactions and gateway events into these calls and renders what
they return. Every refusal is a ``UserError`` whose key names its sentence in the catalogue.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.batching import GroupCommit
from bot.clock import Clock
from bot.data.database import Database
from bot.data.feedback import Feedback, FeedbackRepository, PendingResponse, Response, WorkingGroupItem
from bot.data.guilds import GuildRepository, GuildSettings, ScopingArea
from bot.data.recommendations import Post, Recommendation, RecommendationRepository
from bot.errors import UserError
from bot.feedback.language import LanguageDetector
from bot.feedback.rules import (
    COOLDOWN_ITEMS,
    COOLDOWN_WINDOW,
    MAX_LENGTH,
    MAX_RESPONSE,
    check_text,
    is_blank,
    refuse_if_too_fast,
)
from bot.feedback.submissions import PHASE_REFUSALS, FormSubmission, FormWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answered:
    """A working-group response and what the cog needs to tell the author."""

    item: WorkingGroupItem
    response: Response
    author_id: int  # for the notification only; never shown to the working group
    anonymous: bool
    thread_id: int | None  # the draft's live thread, where a named author is told


@dataclass(frozen=True, slots=True)
class WorkingGroupPage:
    """One page of the working group's list, unanswered first; ``page`` is clamped to those that exist."""

    items: list[WorkingGroupItem]
    total: int
    unanswered: int
    page: int
    pages: int
    recommendation_number: int | str | None  # the filter's draft ("?" if it is gone), None: all drafts


class FeedbackService:
    def __init__(
        self,
        db: Database,
        guilds: GuildRepository,
        clock: Clock,
        detector: LanguageDetector | None = None,
        *,
        cooldown_items: int = COOLDOWN_ITEMS,
    ) -> None:
        self.feedback = FeedbackRepository(db)
        self.recommendations = RecommendationRepository(db)
        self.guilds = guilds
        self.clock = clock
        self.detector = detector or LanguageDetector()
        self.cooldown_items = cooldown_items
        writer = FormWriter(self.feedback, self.recommendations, guilds, cooldown_items)
        # Per guild: form submissions waiting for the next transaction (group commit).
        self.forms: GroupCommit[int, FormSubmission, Feedback | UserError] = GroupCommit(
            lambda guild_id, forms: writer.write(guild_id, forms, self.clock.now()), name="feedback-forms"
        )

    # -- checks -----------------------------------------------------------------------------

    async def open_settings(self, guild_id: int) -> GuildSettings:
        settings = await self.guilds.get(guild_id)
        if settings is None:
            raise UserError("errors.not_set_up")
        if settings.phase != "open":
            raise UserError(PHASE_REFUSALS[settings.phase])
        return settings

    async def recommendation_by_number(self, guild_id: int, number: int) -> Recommendation:
        recommendation = await self.recommendations.by_number(guild_id, number)
        if recommendation is None:
            raise UserError("feedback.unknown_recommendation", number=number)
        return recommendation

    async def recommendation_by_id(self, guild_id: int, recommendation_id: int) -> Recommendation:
        recommendation = await self.recommendations.by_id(recommendation_id)
        if recommendation is None or recommendation.guild_id != guild_id:
            raise UserError("feedback.unknown_recommendation_button")
        return recommendation

    async def area_by_number(self, guild_id: int, number: int | None) -> ScopingArea | None:
        if number is None:
            return None
        for area in await self.guilds.scoping_areas(guild_id):
            if area.number == number:
                return area
        raise UserError("feedback.unknown_area", number=number)

    async def scoping_areas(self, guild_id: int) -> list[ScopingArea]:
        return await self.guilds.scoping_areas(guild_id)

    async def check_cooldown(self, guild_id: int, user_id: int) -> None:
        now = self.clock.now()
        recent = await self.feedback.recent_form_times(guild_id, user_id, now - COOLDOWN_WINDOW)
        refuse_if_too_fast(recent, now, self.cooldown_items)

    async def check_may_give(self, guild_id: int, user_id: int) -> None:
        """Before the form opens: the phase and the cooldown (checked again on submit)."""
        await self.open_settings(guild_id)
        await self.check_cooldown(guild_id, user_id)

    # -- form feedback ----------------------------------------------------------------------

    async def give(
        self,
        *,
        guild_id: int,
        user_id: int,
        recommendation_id: int,
        text: str | None,
        anonymous: bool,
        area_number: int | None,
        locale: str | None,
        channel_id: int | None = None,
    ) -> Feedback:
        """Store form feedback on the draft's current version, text exactly as written.

        Refused outside the open phase, for a draft of another server, for blank or too long text, an
        unknown scoping area, or more than ``cooldown_items`` items within the cooldown window.
        Submissions arriving together are stored in one transaction (``bot.feedback.submissions``).
        The language recorded is the text's (detected off the event loop before the group is written),
        not the member's client locale, which is kept beside it.
        """
        language = await asyncio.to_thread(self.detector.detect, text) if text else None
        form = FormSubmission(
            guild_id, user_id, recommendation_id, text, anonymous, area_number, locale, channel_id, language
        )
        result = await self.forms.submit(guild_id, form)
        if isinstance(result, UserError):
            raise result
        log.info("Feedback #%s on R%s (form)", result.id, result.recommendation_number)
        return result

    # -- thread replies ---------------------------------------------------------------------

    async def tracked_post(self, thread_id: int) -> Post | None:
        return await self.recommendations.post_by_thread(thread_id)

    async def capture_reply(
        self,
        *,
        post: Post,
        message_id: int,
        channel_id: int,
        author_id: int,
        text: str,
        written_at: datetime | None = None,
    ) -> Feedback | None:
        """A member's reply in a draft's thread, tied to the version current when it was written
        (``written_at``, for a reply read back after downtime; now otherwise); ``None`` if ignored."""
        settings = await self.guilds.get(post.guild_id)
        if settings is None or settings.phase != "open" or is_blank(text):
            return None
        recommendation = await self.recommendations.by_id(post.recommendation_id)
        if recommendation is None:
            return None
        if await self.feedback.by_message(message_id) is not None:
            return None  # a replayed gateway event
        version = recommendation.version
        if written_at is not None:
            versions = await self.recommendations.versions(recommendation.id)
            version = max((v.version for v in versions if v.created_at <= written_at), default=1)
        item = await self.feedback.add(
            guild_id=post.guild_id,
            recommendation_id=recommendation.id,
            version=version,
            author_id=author_id,
            body=text[:MAX_LENGTH],
            source="thread",
            now=written_at or self.clock.now(),
            language=self.detector.detect(text),
            channel_id=channel_id,
            message_id=message_id,
        )
        log.info("Feedback #%s on R%s (thread reply)", item.id, recommendation.number)
        return item

    async def reply_edited(self, message_id: int, text: str) -> bool:
        """The reply was edited: the new text replaces it (the old one goes to history)."""
        item = await self.feedback.by_message(message_id)
        if item is None or item.status != "active" or item.body == text:
            return False
        settings = await self.guilds.get(item.guild_id)
        if settings is None or settings.phase != "open":
            return False  # what was said while it was open stays as it was
        if is_blank(text):
            return await self.feedback.set_status(item.id, "deleted", self.clock.now())
        return await self.feedback.edit(
            item.id, text[:MAX_LENGTH], self.clock.now(), language=self.detector.detect(text)
        )

    async def thread_replies(self, channel_id: int) -> dict[int, str]:
        return await self.feedback.thread_replies(channel_id)

    async def live_posts(self) -> list[Post]:
        return await self.recommendations.live_posts()

    async def reply_deleted(self, message_id: int) -> bool:
        item = await self.feedback.by_message(message_id)
        if item is None:
            return False
        return await self.feedback.set_status(item.id, "deleted", self.clock.now())

    # -- the author's own items -------------------------------------------------------------

    async def own_item(self, guild_id: int, user_id: int, feedback_id: int) -> Feedback:
        item = await self.feedback.get(feedback_id)
        if item is None or item.guild_id != guild_id or item.author_id != user_id or item.status != "active":
            raise UserError("feedback.not_yours", reference=feedback_id)
        return item

    async def edit_own(self, guild_id: int, user_id: int, feedback_id: int, text: str | None) -> Feedback:
        item = await self.own_item(guild_id, user_id, feedback_id)
        if item.source == "thread":
            raise UserError("feedback.edit_in_thread", reference=feedback_id)
        await self.open_settings(guild_id)
        body = check_text(text, MAX_LENGTH)
        language = await asyncio.to_thread(self.detector.detect, body)
        await self.feedback.edit(item.id, body, self.clock.now(), language=language)
        edited = await self.feedback.get(item.id)
        assert edited is not None
        return edited

    async def own_items(self, guild_id: int, user_id: int) -> list[Feedback]:
        return await self.feedback.for_author(guild_id, user_id)

    async def mine(self, guild_id: int, user_id: int, *, shown: int) -> tuple[list[Feedback], dict[int, int]]:
        """The member's active items, newest first, and how many answers each of the first ``shown`` has."""
        items = await self.own_items(guild_id, user_id)
        answered = {item.id: len(await self.feedback.responses(item.id)) for item in items[:shown]}
        return items, answered

    async def withdraw_own(self, guild_id: int, user_id: int, feedback_id: int) -> Feedback:
        """Always allowed, also once the consultation is closed: members may take their words back."""
        item = await self.own_item(guild_id, user_id, feedback_id)
        await self.feedback.set_status(item.id, "withdrawn", self.clock.now())
        return item

    # -- the working group's answers --------------------------------------------------------

    async def working_group_page(
        self, guild_id: int, page: int, recommendation_id: int | None, *, size: int
    ) -> WorkingGroupPage:
        """A page of visible items, unanswered first; ``recommendation_id`` narrows it to one draft."""
        total, unanswered = await self.feedback.count_for_working_group(
            guild_id, recommendation_id=recommendation_id
        )
        pages = max(1, -(-total // size))
        page = min(max(page, 0), pages - 1)
        items = await self.feedback.for_working_group(
            guild_id, recommendation_id=recommendation_id, limit=size, offset=page * size
        )
        number: int | str | None = None
        if recommendation_id is not None:
            recommendation = await self.recommendations.by_id(recommendation_id)
            number = recommendation.number if recommendation else "?"
        return WorkingGroupPage(items, total, unanswered, page, pages, number)

    async def working_group_choices(self, guild_id: int, typed: str) -> list[WorkingGroupItem]:
        """What to offer while the working group types a reference: the first 200 items, unanswered
        first, or the one item whose number was typed when it is further down."""
        items = await self.feedback.for_working_group(guild_id, limit=200)
        if typed.isdigit() and not any(item.id == int(typed) for item in items):
            found = await self.feedback.working_group_item(guild_id, int(typed))
            items = [found] if found is not None else items
        return items

    async def working_group_item(self, guild_id: int, feedback_id: int) -> WorkingGroupItem:
        item = await self.feedback.working_group_item(guild_id, feedback_id)
        if item is None:
            raise UserError("feedback.unknown_item", reference=feedback_id)
        return item

    async def respond(self, guild_id: int, responder_id: int, feedback_id: int, text: str | None) -> Answered:
        item = await self.working_group_item(guild_id, feedback_id)
        body = check_text(text, MAX_RESPONSE)
        response = await self.feedback.add_response(item.id, responder_id, body, self.clock.now())
        stored = await self.feedback.get(item.id)
        assert stored is not None
        post = await self.recommendations.live_post_for(item.recommendation_id)
        answered = await self.feedback.working_group_item(guild_id, feedback_id)
        return Answered(
            item=answered or item,
            response=response,
            author_id=stored.author_id,
            anonymous=stored.anonymous,
            thread_id=post.thread_id if post else None,
        )

    async def mark_delivered(self, response_ids: list[int], now: datetime | None = None) -> None:
        await self.feedback.mark_delivered(response_ids, now or self.clock.now())

    async def take_pending(
        self, guild_id: int, user_id: int, limit: int
    ) -> tuple[list[PendingResponse], datetime]:
        """The answers to show the member now, already marked delivered (once, even for two commands
        at once); ``give_back`` them with the returned moment if they could not be shown."""
        now = self.clock.now()
        return await self.feedback.take_undelivered(guild_id, user_id, limit, now), now

    async def give_back(self, response_ids: list[int], taken_at: datetime) -> None:
        await self.feedback.give_back(response_ids, taken_at)
