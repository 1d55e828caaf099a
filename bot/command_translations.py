"""Slash-command descriptions in the member's language, shown by Discord's own command picker.

``bot/locales/<language>/commands.toml`` holds ``[descriptions] "English description" = "translation"``.
Only *descriptions* (of commands, groups and options) are translated: command and option names stay the
English ones the rest of the bot and its documentation refer to. Install it once, before syncing::

    await bot.tree.set_translator(CommandTranslator())

A description without a translation, or one longer than Discord accepts, stays in English.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation, TranslationContextTypes, locale_str

from bot.i18n import FALLBACK, LOCALES_DIR, language_of

log = logging.getLogger(__name__)

FILE_NAME = "commands.toml"
TABLE = "descriptions"
DESCRIPTION_LIMIT = 100  # Discord refuses a whole sync if one localised description is longer
TRANSLATED = frozenset(
    {
        TranslationContextLocation.command_description,
        TranslationContextLocation.group_description,
        TranslationContextLocation.parameter_description,
    }
)


def load_descriptions(folder: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """``{"fr": {"English description": "description française", ...}, ...}``; English itself is left out."""
    tables: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob(f"*/{FILE_NAME}")):
        language = path.parent.name
        if language == FALLBACK:
            continue
        with path.open("rb") as handle:
            table = tomllib.load(handle).get(TABLE, {})
        usable = {}
        for english, translated in table.items():
            if not isinstance(translated, str) or not translated.strip():
                continue
            if len(translated) > DESCRIPTION_LIMIT:
                log.warning(
                    "%s: %r is longer than %d characters; kept in English", path, english, DESCRIPTION_LIMIT
                )
                continue
            usable[english] = translated
        tables[language] = usable
    return tables


class CommandTranslator(app_commands.Translator):
    """Translates command, group and option descriptions from ``commands.toml``; never names or choices."""

    def __init__(self, folder: Path = LOCALES_DIR) -> None:
        self.folder = folder
        self.tables: dict[str, dict[str, str]] = {}

    async def load(self) -> None:
        self.tables = load_descriptions(self.folder)
        log.info("Command descriptions translated into %s", ", ".join(sorted(self.tables)) or "no language")

    async def unload(self) -> None:
        self.tables = {}

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContextTypes
    ) -> str | None:
        if context.location not in TRANSLATED:
            return None
        table = self.tables.get(language_of(locale))
        if not table:
            return None
        return table.get(string.message)
