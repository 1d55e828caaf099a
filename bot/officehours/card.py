"""The sign-up card's persistent buttons: ``officehours:<action>:<session id>``, alive across restarts.

Each custom id is built (``custom_id_for``) and parsed (``template``, ``from_custom_id``) here only.
The publisher puts these buttons on the card; the office-hours cog subclasses each with the click's
answer (``handle``), keeping the same template, so both sides cannot drift apart. Parsing reads no
database, so a rush of clicks costs nothing before the sign-up itself.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import discord

from bot.i18n import t
from bot.replies import AnsweringButton


def action_template(action: str) -> str:
    return rf"officehours:{action}:(?P<id>[0-9]+)"


class SessionButton(AnsweringButton, template=r"(?!)"):
    """Base: a button bound to one session; subclasses set ``action`` (in their template too),
    ``label_key``, ``style`` and ``emoji``."""

    action: ClassVar[str] = ""
    label_key: ClassVar[str] = ""
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary
    emoji: ClassVar[str | None] = None

    def __init__(self, session_id: int, locale: object = None, *, labelled: bool = True) -> None:
        super().__init__(
            discord.ui.Button(
                label=t(self.label_key, locale) if self.label_key and labelled else None,
                style=self.style,
                emoji=self.emoji,
                custom_id=self.custom_id_for(session_id),
            )
        )
        self.session_id = session_id

    @classmethod
    def custom_id_for(cls, session_id: int) -> str:
        return f"officehours:{cls.action}:{session_id}"

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> SessionButton:
        # The item a click is answered by is never shown: no label to translate (once per click of a rush).
        return cls(int(match["id"]), labelled=False)


class SignUpButton(SessionButton, template=action_template("signup")):
    action = "signup"
    label_key = "officehours.card.signup"
    style = discord.ButtonStyle.success
    emoji = "✋"


class CancelButton(SessionButton, template=action_template("cancel")):
    action = "cancel"
    label_key = "officehours.card.cancel"


class QuestionButton(SessionButton, template=action_template("question")):
    action = "question"
    label_key = "officehours.card.question"
    emoji = "💬"


class DmButton(SessionButton, template=action_template("dm")):
    action = "dm"
    label_key = "officehours.card.dm"
    emoji = "🔔"


class CalendarButton(SessionButton, template=action_template("calendar")):
    action = "calendar"
    label_key = "officehours.card.calendar"
    emoji = "📅"
