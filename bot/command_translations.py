"""Slash-command descriptions in the member's language, shown by Discord's own command picker.

The descriptions are messages of the catalogue like any other (``bot/locales/<language>.json``), keyed by
where they stand in the command tree: ``commands.feedback-give`` for the description of ``/feedback give``,
``commands.feedback-give.anonymous`` for its ``anonymous`` option. ``en.json`` holds the English the code
declares (a test keeps the two equal); a translation is used only while its English is the one the code
still declares, so a description changed in the code stays in English until the catalogue follows.
Only *descriptions* are translated: command and option names stay the English ones the rest of the bot
and its documentation refer to. Install it once, before syncing::

    await bot.tree.set_translator(CommandTranslator())

A description without a translation, or one longer than Discord accepts, stays in English.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation, TranslationContextTypes, locale_str

from bot.i18n import FALLBACK, catalogue, language_of, languages

log = logging.getLogger(__name__)

SECTION = "commands"
DESCRIPTION_LIMIT = 100  # Discord refuses a whole sync if one localised description is longer


def command_key(command: app_commands.Command | app_commands.Group | app_commands.ContextMenu) -> str:
    return f"{SECTION}.{command.qualified_name.replace(' ', '-')}"


def option_key(parameter: app_commands.Parameter) -> str:
    return f"{command_key(parameter.command)}.{parameter.name}"


def description_keys(
    commands: Iterable[app_commands.Command | app_commands.Group | app_commands.ContextMenu],
) -> dict[str, str]:
    """``{"commands.feedback-give": "Tell the working group ...", ...}`` for a whole command tree."""
    found: dict[str, str] = {}
    for command in commands:
        if isinstance(command, app_commands.ContextMenu):
            continue  # context menus have a name and no description
        found[command_key(command)] = command.description
        if isinstance(command, app_commands.Group):
            found |= description_keys(command.commands)
        else:
            found |= {option_key(p): p.description for p in command.parameters}
    return found


def load_descriptions() -> dict[str, dict[str, str]]:
    """``{"fr": {"commands.feedback": "Avis sur ...", ...}, ...}``; English itself is left out."""
    tables: dict[str, dict[str, str]] = {}
    for language in languages():
        if language == FALLBACK:
            continue
        usable = {}
        for key, text in catalogue(language).items():
            if not key.startswith(f"{SECTION}.") or not text.strip():
                continue
            if len(text) > DESCRIPTION_LIMIT:
                log.warning(
                    "%s %s is longer than %d characters; kept in English", language, key, DESCRIPTION_LIMIT
                )
                continue
            usable[key] = text
        tables[language] = usable
    return tables


class CommandTranslator(app_commands.Translator):
    """Translates command, group and option descriptions; never names or choices."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, str]] = {}

    async def load(self) -> None:
        self.tables = load_descriptions()
        log.info("Command descriptions translated into %s", ", ".join(sorted(self.tables)) or "no language")

    async def unload(self) -> None:
        self.tables = {}

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContextTypes
    ) -> str | None:
        location, data = context.location, context.data
        if location in (
            TranslationContextLocation.command_description,
            TranslationContextLocation.group_description,
        ):
            key = command_key(data)
        elif location is TranslationContextLocation.parameter_description:
            key = option_key(data)
        else:
            return None
        if catalogue(FALLBACK).get(key) != string.message:
            return None  # the code's English changed since the catalogue's: not translated yet
        table = self.tables.get(language_of(locale))
        return table.get(key) if table else None
