"""A loopback Discord emulator (REST API v10 + gateway) for end-to-end tests of the real client.

Modules: ``state`` (ground truth), ``payloads`` (JSON shapes), ``limits`` (Discord's limits and
error shape), ``ratelimits`` (Discord's rate limits, at a ``pace``), ``actions`` (state changes +
events), ``rest*`` (HTTP routes), ``gateway``
(websocket), ``interactions`` (interaction records/payloads), ``control`` (``DiscordEmulator``),
``client`` (``run_client``)."""

from .client import run_client
from .control import DiscordEmulator
from .interactions import EmulatorError, InteractionResult
from .limits import ApiError
from .state import Channel, Guild, Member, Message, Overwrite, Role, ScheduledEvent, User

__all__ = [
    "ApiError",
    "Channel",
    "DiscordEmulator",
    "EmulatorError",
    "Guild",
    "InteractionResult",
    "Member",
    "Message",
    "Overwrite",
    "Role",
    "ScheduledEvent",
    "User",
    "run_client",
]
