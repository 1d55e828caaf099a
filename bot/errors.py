"""Errors a member should read: raised anywhere, answered in one place in the member's language."""

from __future__ import annotations

from discord import app_commands

# What a refusal quotes back of what the member typed: Discord lets a string option carry 6,000
# characters, a message holds 2,000, and an answer that does not fit is no answer at all.
MAX_QUOTED = 200


def quoted(value: object) -> object:
    """A text parameter of a sentence, cut to ``MAX_QUOTED`` characters (other values as they are)."""
    if isinstance(value, str) and len(value) > MAX_QUOTED:
        return value[: MAX_QUOTED - 1] + "…"
    return value


class UserError(Exception):
    """Bad input or a refused action; ``key`` names the sentence in the message catalogue. Text
    parameters are cut to ``MAX_QUOTED`` characters: they often quote the member's own input."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = {name: quoted(value) for name, value in params.items()}


class AccessDenied(app_commands.CheckFailure):
    """The member lacks the role the command needs; nothing was changed."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
