"""The feedback forms' custom ids and submitted values: what lets a form outlive a restart."""

from __future__ import annotations

from bot.data.guilds import ScopingArea
from bot.data.recommendations import Recommendation
from bot.forms import submitted_values
from cogs.feedback._ui import EditModal, FeedbackModal, RespondModal, area_from

FORM_ID, EDIT_ID, ANSWER_ID = FeedbackModal.template, EditModal.template, RespondModal.template

REC = Recommendation(id=12, guild_id=1, number=3, version=2, title="Shared resources", body="")
AREAS = [
    ScopingArea(id=40 + n, number=n, name=f"Area {n}", short_name=f"A{n}", emoji=f"{n}️⃣", forum_tag_id=None)
    for n in (1, 2)
]


def inputs(modal: object) -> set[str]:
    payload = modal.to_dict()  # type: ignore[attr-defined]
    found = set()
    for top in payload["components"]:
        for comp in top.get("components", []) + ([top["component"]] if "component" in top else []):
            if comp.get("custom_id"):
                found.add(comp["custom_id"])
    return found


async def test_form_custom_id_carries_draft_and_presets() -> None:
    asked = FeedbackModal(REC, AREAS, None)
    match = FORM_ID.fullmatch(asked.custom_id)
    assert match and (match["rec"], match["area"], match["anonymous"]) == ("12", "x", "x")
    assert inputs(asked) == {"text", "area", "anonymous"}
    preset = FeedbackModal(REC, AREAS, None, area=AREAS[1], anonymous=True)
    match = FORM_ID.fullmatch(preset.custom_id)
    assert match and (match["area"], match["anonymous"]) == ("2", "1")
    assert inputs(preset) == {"text"}
    assert asked.custom_id != FeedbackModal(REC, AREAS, None).custom_id, "each form is unique"
    assert len(preset.custom_id) <= 100 and len(asked.title) <= 45


async def test_edit_and_answer_ids() -> None:
    assert EDIT_ID.fullmatch(EditModal(77, "text", None).custom_id)["id"] == "77"  # type: ignore[index]
    assert ANSWER_ID.fullmatch(RespondModal(78, None).custom_id)["id"] == "78"  # type: ignore[index]
    assert FORM_ID.fullmatch(EditModal(77, "text", None).custom_id) is None


def test_submitted_values_from_labels_and_rows() -> None:
    components = [
        {"type": 10, "id": 1, "content": "### R3"},
        {"type": 18, "id": 2, "component": {"type": 4, "custom_id": "text", "value": " é 👍 "}},
        {"type": 18, "id": 3, "component": {"type": 3, "custom_id": "area", "values": ["2"]}},
        {"type": 18, "id": 4, "component": {"type": 23, "custom_id": "anonymous", "value": True}},
        {"type": 1, "components": [{"type": 4, "custom_id": "old", "value": "row"}]},
    ]
    assert submitted_values(components) == {"text": " é 👍 ", "area": ["2"], "anonymous": True, "old": "row"}


def test_area_from_select_values() -> None:
    assert area_from(["4"]) == 4
    assert area_from(["0"]) is None, "no particular area"
    assert area_from([]) is None and area_from([""]) is None and area_from(None) is None
    assert area_from(["x"]) is None
