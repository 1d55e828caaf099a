"""/consultation translate: the working group's form for a draft's translation into one language."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.access import Access
from bot.content import MAX_BODY, MAX_TITLE
from bot.forms import PersistentForm, nonce
from bot.i18n import languages, t
from bot.languages import display_name
from bot.recommendations.render import shorten
from bot.recommendations.translations import language_code
from bot.replies import respond

if TYPE_CHECKING:
    from bot.client import ConsultationBot  # noqa: F401  (the string annotation below)

Interaction = discord.Interaction["ConsultationBot"]


class TranslateModal(
    PersistentForm, template=r"consultation:translate:(?P<number>[0-9]+):(?P<language>[a-z-]+):[0-9a-f]+"
):
    """A draft's title and text in one language, for its current version (the last translation prefilled)."""

    access = Access.WORKING_GROUP

    def __init__(self, number: int, language: str, title: str, body: str, locale: object) -> None:
        super().__init__(
            title=shorten(
                t("translate.modal_title", locale, number=number, language=display_name(language)), 45
            ),
            custom_id=f"consultation:translate:{number}:{language}:{nonce()}",
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("edit.field_title", locale),
                default=title or None,
                max_length=MAX_TITLE,
                custom_id="title",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("edit.field_text", locale),
                style=discord.TextStyle.paragraph,
                default=body or None,
                required=False,
                max_length=MAX_BODY,
                custom_id="text",
            )
        )

    @classmethod
    async def receive(cls, interaction: Interaction, match: re.Match[str], values: dict[str, Any]) -> None:
        assert interaction.guild_id is not None
        service = interaction.client.services.translations
        number, language = int(match["number"]), match["language"]
        await interaction.client.services.mirrors.ensure_home(interaction.guild_id)
        saved = await service.translate(
            interaction.guild_id,
            number,
            language,
            str(values.get("title") or ""),
            str(values.get("text") or ""),
            interaction.user.id,
        )
        await respond(
            interaction,
            t(
                "translate.saved",
                interaction.locale,
                language=display_name(language),
                number=number,
                version=saved.version,
            ),
        )
        # A linked server whose language this is shows it on its post (the copies carry every translation).
        await interaction.client.services.mirrors.translation_added(interaction.guild_id, saved)


async def open_translation_form(interaction: Interaction, number: int, language: str) -> None:
    assert interaction.guild_id is not None
    service = interaction.client.services.translations
    await interaction.client.services.mirrors.ensure_home(interaction.guild_id)
    code = language_code(language)
    draft = await service.draft(interaction.guild_id, number)
    last = await service.latest(draft.id, code)
    title, body = (last.title, last.body) if last else ("", "")
    await TranslateModal(number, code, title, body, interaction.locale).show(interaction)


async def language_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    typed = current.strip().lower()
    options = [(f"{display_name(code)} ({code})", code) for code in languages()]
    found = [
        app_commands.Choice(name=n[:100], value=v) for n, v in options if not typed or typed in n.lower()
    ]
    if typed and typed not in {c.value for c in found}:
        found.insert(0, app_commands.Choice(name=current[:100], value=current[:20]))
    return found[:25]
