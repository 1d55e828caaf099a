"""Every failure a member can meet reads as one clear sentence (``bot.replies.error_sentence``)."""

from __future__ import annotations

import discord

from bot.errors import UserError
from bot.i18n import t
from bot.replies import error_sentence


def test_a_rate_limit_longer_than_the_bot_waits_reads_as_discord_being_unavailable():
    """``max_ratelimit_timeout`` makes discord.py raise ``RateLimited`` (not an HTTPException) rather than
    sleep for minutes: the member is told to try again, not given an error reference."""
    text = error_sentence(discord.RateLimited(540.0), "de")
    assert text == t("errors.discord_unavailable", "de")


def test_refusals_keep_their_own_sentence_and_unknown_errors_get_a_reference():
    assert error_sentence(UserError("errors.guild_only"), "fr") == t("errors.guild_only", "fr")
    text = error_sentence(ValueError("boom"), "en-US")
    assert text is not None and text.startswith(t("errors.generic", "en-US", reference="")[:20])
