"""Errors a member should read: raised anywhere, answered in one place in the member's language."""

from __future__ import annotations

from discord import app_commands


class UserError(Exception):
    """Bad input or a refused action; ``key`` names the sentence in the message catalogue."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class AccessDenied(app_commands.CheckFailure):
    """The member lacks the role the command needs; nothing was changed."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
