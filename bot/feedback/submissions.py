"""Form submissions in groups: a burst of feedback forms in one guild is checked and stored in one
transaction, in arrival order, each member answered from its own result.

Every rule is the one a lone submission meets (``FeedbackService.give`` documents them): open phase,
a draft of this server, text, scoping area, and the cooldown, which also counts the items the same
member sent earlier in the group. A refusal is that member's answer only; a failed transaction
answers every member of the group with its error and stores none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.data.feedback import Feedback, FeedbackRepository, NewForm
from bot.data.guilds import GuildRepository, GuildSettings, ScopingArea
from bot.data.recommendations import Recommendation, RecommendationRepository
from bot.errors import UserError
from bot.feedback.rules import COOLDOWN_WINDOW, MAX_LENGTH, check_text, refuse_if_too_fast

# Why feedback is refused outside the open phase, by phase.
PHASE_REFUSALS = {"draft": "feedback.phase_draft", "closed": "feedback.phase_closed"}


@dataclass(frozen=True, slots=True)
class FormSubmission:
    """What a member sent in the feedback form."""

    guild_id: int
    user_id: int
    recommendation_id: int
    text: str | None
    anonymous: bool
    area_number: int | None
    locale: str | None
    channel_id: int | None = None
    language: str | None = None  # the text's, detected; ``locale`` is the member's client


def phase_refusal(settings: GuildSettings | None) -> UserError | None:
    if settings is None:
        return UserError("errors.not_set_up")
    if settings.phase != "open":
        return UserError(PHASE_REFUSALS[settings.phase])
    return None


class FormWriter:
    """Decides and stores one group of form submissions (the ``GroupCommit`` of ``FeedbackService``)."""

    def __init__(
        self,
        feedback: FeedbackRepository,
        recommendations: RecommendationRepository,
        guilds: GuildRepository,
        cooldown_items: int,
    ) -> None:
        self.feedback = feedback
        self.recommendations = recommendations
        self.guilds = guilds
        self.cooldown_items = cooldown_items

    async def write(
        self, guild_id: int, forms: list[FormSubmission], now: datetime
    ) -> list[Feedback | UserError]:
        settings = await self.guilds.get(guild_id)
        if phase_refusal(settings) is not None:
            return [phase_refusal(settings) or UserError("errors.not_set_up") for _ in forms]
        drafts: dict[int, Recommendation | None] = {}
        for rec_id in dict.fromkeys(f.recommendation_id for f in forms):
            drafts[rec_id] = await self.recommendations.by_id(rec_id)
        areas: dict[int, ScopingArea] = {}
        if any(f.area_number is not None for f in forms):
            areas = {a.number: a for a in await self.guilds.scoping_areas(guild_id)}
        results: list[Feedback | UserError | NewForm] = []
        async with self.feedback.submitting(now) as batch:
            recent = await batch.recent_form_times(
                guild_id, [f.user_id for f in forms], now - COOLDOWN_WINDOW
            )
            for form in forms:
                try:
                    results.append(self._decide(form, drafts, areas, recent[form.user_id], now))
                except UserError as error:
                    results.append(error)
            stored = iter(await batch.add([r for r in results if isinstance(r, NewForm)]))
        return [next(stored) if isinstance(r, NewForm) else r for r in results]

    def _decide(
        self,
        form: FormSubmission,
        drafts: dict[int, Recommendation | None],
        areas: dict[int, ScopingArea],
        recent: list[datetime],
        now: datetime,
    ) -> NewForm:
        """The checks of a lone submission, in the same order; ``recent`` grows with each item kept."""
        recommendation = drafts[form.recommendation_id]
        if recommendation is None or recommendation.guild_id != form.guild_id:
            raise UserError("feedback.unknown_recommendation_button")
        body = check_text(form.text, MAX_LENGTH)
        area = None
        if form.area_number is not None:
            area = areas.get(form.area_number)
            if area is None:
                raise UserError("feedback.unknown_area", number=form.area_number)
        refuse_if_too_fast(recent, now, self.cooldown_items)
        recent.append(now)
        return NewForm(
            guild_id=form.guild_id,
            recommendation_id=recommendation.id,
            version=recommendation.version,
            author_id=form.user_id,
            body=body,
            anonymous=form.anonymous,
            scoping_area_id=area.id if area else None,
            language=form.language,
            locale=form.locale,
            channel_id=form.channel_id,
        )
