"""Persistent forms and buttons: each custom id is built and parsed in one place, routed by one router."""

from __future__ import annotations

from bot.feedback.buttons import GiveButton
from bot.forms import FormRouter
from bot.recommendations.publisher import feedback_view
from bot.recommendations.translations import ReadButton
from cogs.feedback._buttons import DYNAMIC_ITEMS, GiveFormButton
from cogs.feedback._ui import FORMS, EditModal, FeedbackModal, RespondModal


def test_the_router_finds_each_form_by_its_own_template() -> None:
    router = FormRouter()
    router.add(*FORMS)
    router.add(*FORMS)  # adding twice (a reloaded extension) keeps one route each
    for custom_id, form, group, value in (
        ("feedback:form:12:x:1:abc123", FeedbackModal, "rec", "12"),
        ("feedback:edit:77:abc123", EditModal, "id", "77"),
        ("feedback:answer:78:abc123", RespondModal, "id", "78"),
    ):
        routed = router.match(custom_id)
        assert routed is not None and routed[0] is form and routed[1][group] == value, custom_id
    for foreign in (
        "officehours:question:3",
        "feedback:answer:78",
        "xfeedback:edit:77:abc",
        "feedback:give:1",
    ):
        assert router.match(foreign) is None, foreign
    router.remove(*FORMS)
    assert router.match("feedback:edit:77:abc123") is None


def test_the_posts_give_button_is_the_one_the_feedback_cog_answers() -> None:
    """The publisher builds the id with ``GiveButton``; the cog subclass parses it with its template."""
    view = feedback_view(12)
    [button, read] = view.children  # "Give feedback", then "Read in my language" (its translations)
    assert read.custom_id == ReadButton.custom_id_for(
        12
    ) and ReadButton.__discord_ui_compiled_template__.fullmatch(read.custom_id)
    assert isinstance(button, GiveButton) and button.custom_id == GiveButton.custom_id_for(12)
    assert GiveFormButton in DYNAMIC_ITEMS and issubclass(GiveFormButton, GiveButton)
    match = GiveFormButton.__discord_ui_compiled_template__.fullmatch(button.custom_id)
    assert match is not None and match["id"] == "12"
