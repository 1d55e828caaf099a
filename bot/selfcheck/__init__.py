"""The bot checks, from Discord's real state, that the consultation can run: that the roles chosen
at set-up reach their commands (``reach``) and that the bot itself may do what it must in the
channels it uses (``permissions``); ``render`` says what to do about it."""

from bot.selfcheck.permissions import Gap, Need, PermissionReport, check_permissions, consultation_gaps
from bot.selfcheck.reach import RoleReach, SyncedCommand, audience_commands, check_reach, role_sees

__all__ = [
    "Gap",
    "Need",
    "PermissionReport",
    "RoleReach",
    "SyncedCommand",
    "audience_commands",
    "check_permissions",
    "check_reach",
    "consultation_gaps",
    "role_sees",
]
