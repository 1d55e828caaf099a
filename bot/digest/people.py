"""Names, not numbers, in the working group's files: a member is shown by name and id.

Ids in CSV are written as text a spreadsheet keeps whole. Discord ids have 17 to 19 digits; Excel and
LibreOffice hold numbers as doubles (15 significant digits), so ``1577465902515880968`` opens as
``1.57746590251588E+18`` and two members one apart become one number. Quoting the field does not help
(both still convert it). The id is written after a tab character (``"\\t1577465902515880968"``):

* LibreOffice (checked with 7.4, default import) and Excel keep a cell that starts with a tab as
  text, every digit intact; the tab is invisible.
* Programs read it back with a strip (``int(cell)`` in Python accepts it as it is; ``cell.strip()``
  elsewhere). A leading apostrophe, the other common trick, is shown as a visible ``'`` when a CSV
  is opened, and a ``="…"`` formula would be neutralised by ``csvfile.neutralise`` (and is not data).

Anonymous feedback has neither name nor id: the data layer blanks the author before it gets here.
Pseudonyms (negative, written by retention) are shown as such and have no name.
"""

from __future__ import annotations

from bot.data.digest import FeedbackItem, SignupRow
from bot.digest.csvfile import neutralise
from bot.i18n import t

NO_AREA: tuple[int | str, str] = ("", "")


def id_text(user_id: int | None) -> str:
    """An id as spreadsheet-proof CSV text (empty for nobody)."""
    return "" if user_id is None else f"\t{user_id}"


def name_cell(user_id: int | None, names: dict[int, str]) -> object:
    return "" if user_id is None else neutralise(names.get(user_id, ""))


def member_text(user_id: int, names: dict[int, str], locale: object) -> str:
    """A member in digest.md: "Name (id)", or the id alone when no name is known."""
    if user_id < 0:
        return t("digest.md.pseudonym", locale, id=user_id)
    name = names.get(user_id)
    if name:
        return t("digest.md.named", locale, name=name, id=user_id)
    return t("digest.md.member", locale, id=user_id)


def feedback_row(
    item: FeedbackItem,
    recommendations: dict[int, tuple[int, object]],
    areas: dict[int, tuple[int, object]],
    names: dict[int, str],
) -> tuple[object, ...]:
    """One feedback.csv row; titles and area names come neutralised, the free text is done here."""
    number, title = recommendations[item.recommendation_id]
    area_number, area_name = areas.get(item.area_id, NO_AREA) if item.area_id is not None else NO_AREA
    author = None if item.anonymous or item.author_id is None else item.author_id
    return (
        item.id,
        item.created_at,
        number,
        title,
        item.version,
        area_number,
        area_name,
        neutralise(item.language or ""),
        item.source,
        "yes" if item.anonymous else "no",
        id_text(author),
        name_cell(author, names),
        "yes" if item.responses else "no",
        item.responses,
        neutralise(item.body),
    )


def signup_row(signup: SignupRow, names: dict[int, str]) -> tuple[object, ...]:
    """One signups.csv row; the name is the latest seen, else the one given at sign-up."""
    name = names.get(signup.user_id) or signup.display_name or ""
    return (
        signup.session_id,
        neutralise(signup.session_title),
        signup.starts_at,
        signup.session_status,
        id_text(signup.user_id),
        neutralise(name) if signup.user_id > 0 else "",
        signup.status,
        neutralise(signup.question or ""),
        signup.signed_up_at,
    )
