"""Forms that survive a restart: the form counterpart of ``DynamicItem``.

discord.py answers a modal submission only while the ``Modal`` object that was shown is alive in this
process (its view store is keyed by custom id), so a form opened before a restart would be lost. A
``PersistentForm`` instead carries its whole state in its custom id: each subclass declares a
``template`` (the parser) beside the classmethod that builds its id, and answers in ``receive`` from
the parsed id and the submitted values alone. One ``FormRouter`` per bot, consulted by one
``on_interaction`` listener, routes every submission of every capability.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, ClassVar

import discord

from bot.access import Access, ensure_access

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]


def nonce() -> str:
    """Makes each shown form's custom id unique (two open forms never share one)."""
    return secrets.token_hex(6)


def submitted_values(components: list[dict[str, Any]]) -> dict[str, Any]:
    """A modal submission's values by custom id (text inputs: ``value``; selects: ``values``)."""
    values: dict[str, Any] = {}
    for top in components:
        inner = [top["component"]] if "component" in top else top.get("components", [])
        for comp in inner:
            if comp.get("custom_id"):
                values[comp["custom_id"]] = comp["value"] if "value" in comp else comp.get("values")
    return values


class PersistentForm(discord.ui.Modal):
    """Base of a form answered from its custom id (``template``) and its submitted values (``receive``).

    ``access`` is checked on submit as ``require`` checks a command: a custom id can be replayed.
    """

    template: ClassVar[re.Pattern[str]]
    access: ClassVar[Access | None] = None

    def __init_subclass__(cls, *, template: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if template is not None:
            cls.template = re.compile(template)

    async def show(self, interaction: Interaction) -> None:
        """Show the form and drop this object: the router answers the submission from its custom id."""
        await interaction.response.send_modal(self)
        self.stop()

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        raise NotImplementedError


class FormRouter:
    """Every persistent form class of the bot, by template; ``dispatch`` is the one listener."""

    def __init__(self) -> None:
        self._forms: list[type[PersistentForm]] = []

    def add(self, *forms: type[PersistentForm]) -> None:
        for form in forms:
            if form not in self._forms:
                self._forms.append(form)

    def remove(self, *forms: type[PersistentForm]) -> None:
        self._forms = [form for form in self._forms if form not in forms]

    def match(self, custom_id: str) -> tuple[type[PersistentForm], re.Match[str]] | None:
        for form in self._forms:
            if found := form.template.fullmatch(custom_id):
                return form, found
        return None

    async def dispatch(self, interaction: Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        routed = self.match(str(interaction.data.get("custom_id", "")))
        if routed is None:
            return  # a form answered by its live ``Modal`` object, or not ours
        form, match = routed
        values = submitted_values(list(interaction.data.get("components", [])))  # type: ignore[arg-type]
        try:
            if form.access is not None:
                await ensure_access(interaction, form.access)
            await form.receive(interaction, match, values)
        except Exception as error:  # every failure gets a sentence
            await interaction.client.answer_error(interaction, error)
