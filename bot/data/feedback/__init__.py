"""Feedback on the drafts, its edit history and the working group's responses.

Anonymity lives here as much as in the views: an anonymous item still stores ``author_id`` (so the
author can list, edit and withdraw it with ``/feedback mine``), but every method meant for the working
group (``for_working_group``, ``working_group_item``, ``count_for_working_group``) returns
``WorkingGroupItem`` rows whose ``author_id`` is ``None`` for anonymous items: the SQL itself blanks it,
so no view built on these methods can leak it. ``get``/``by_message``/``for_author``/``export_author`` return
the author and are for the author, moderation and privacy requests only.
"""

from bot.data.feedback._forms import FormBatch, NewForm
from bot.data.feedback._repository import FeedbackRepository
from bot.data.feedback._rows import (
    SOURCES,
    STATUSES,
    Feedback,
    HistoryEntry,
    PendingResponse,
    Response,
    WorkingGroupItem,
)

__all__ = [
    "SOURCES",
    "STATUSES",
    "Feedback",
    "FeedbackRepository",
    "FormBatch",
    "HistoryEntry",
    "NewForm",
    "PendingResponse",
    "Response",
    "WorkingGroupItem",
]
