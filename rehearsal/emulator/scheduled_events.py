"""Guild scheduled events as Discord documents them: the status machine, edits through REST and what
an administrator does on Discord's own event page (edit, cancel, delete), each dispatched as a
``GUILD_SCHEDULED_EVENT_UPDATE``/``_DELETE`` to the bot.

Valid transitions (Discord's "Valid Guild Scheduled Event Status Transitions"): SCHEDULED -> ACTIVE,
SCHEDULED -> CANCELED, ACTIVE -> COMPLETED. A COMPLETED or CANCELED event can no longer change:
Discord answers 400 with JSON code 180000 "Cannot update a finished event".
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from .limits import ApiError, FormErrors, missing_permissions, not_found
from .payloads import event_payload
from .state import MANAGE_EVENTS, ScheduledEvent

if TYPE_CHECKING:
    from .control import DiscordEmulator

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
TRANSITIONS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}, COMPLETED: set(), CANCELED: set()}
FINISHED_EVENT = 180000
EDITABLE = (
    "name",
    "description",
    "scheduled_start_time",
    "scheduled_end_time",
    "entity_metadata",
    "privacy_level",
    "entity_type",
)


def check_transition(event: ScheduledEvent, status: int) -> None:
    """Refuse what Discord refuses: any change to a finished event, or a status it cannot reach."""
    if event.status in (COMPLETED, CANCELED):
        raise ApiError(400, FINISHED_EVENT, "Cannot update a finished event")
    if status == event.status:
        return
    if status not in TRANSITIONS.get(event.status, set()):
        form = FormErrors()
        form.add(
            "status",
            "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
            f"Cannot change the status of an event from {event.status} to {status}.",
        )
        form.raise_if_any()


def apply_edit(emu: DiscordEmulator, event: ScheduledEvent, body: dict[str, Any]) -> dict[str, Any]:
    """Validate and apply a PATCH body to ``event``, dispatch the update; returns the new payload."""
    form = FormErrors()
    if "name" in body:
        form.length("name", body["name"], 1, 100)
    if body.get("description") is not None:
        form.length("description", body["description"], 0, 1000)
    form.raise_if_any()
    if event.status in (COMPLETED, CANCELED):
        raise ApiError(400, FINISHED_EVENT, "Cannot update a finished event")
    if "status" in body:
        check_transition(event, int(body["status"]))
    for key in EDITABLE:
        if key in body:
            setattr(event, key, body[key])
    if "status" in body:
        event.status = int(body["status"])
    if "channel_id" in body:
        event.channel_id = int(body["channel_id"]) if body["channel_id"] else None
    payload = event_payload(event)
    emu.gateway.emit("GUILD_SCHEDULED_EVENT_UPDATE", payload)
    return payload


def _iso(moment: datetime.datetime | str) -> str:
    return moment if isinstance(moment, str) else moment.isoformat()


class ScheduledEventControl:
    """The control API's part for events: what a person does on Discord's event page."""

    def _event_as_user(self: DiscordEmulator, guild_id: int, event_id: int, user_id: int | None) -> Any:
        guild = self.state.guilds[guild_id]
        actor = guild.owner_id if user_id is None else user_id
        if not self.state.base_permissions(guild_id, actor) & MANAGE_EVENTS:
            raise missing_permissions()
        event = guild.events.get(event_id)
        if event is None:
            raise not_found("Guild Scheduled Event", 10070)
        return event

    async def edit_scheduled_event_as_user(
        self: DiscordEmulator,
        guild_id: int,
        event_id: int,
        *,
        user_id: int | None = None,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        name: str | None = None,
        description: str | None = None,
        location: str | None = None,
        channel_id: int | None = None,
        status: int | None = None,
    ) -> ScheduledEvent:
        """An administrator (the owner unless ``user_id``) edits the event in Discord's interface.

        Only the fields given change; a ``location`` makes it an external event, a ``channel_id`` a
        voice event. Raises ``ApiError`` where Discord would refuse (finished event, bad status)."""
        event = self._event_as_user(guild_id, event_id, user_id)
        body: dict[str, Any] = {}
        if start is not None:
            body["scheduled_start_time"] = _iso(start)
        if end is not None:
            body["scheduled_end_time"] = _iso(end)
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        if location is not None:
            body.update(entity_type=3, channel_id=None, entity_metadata={"location": location})
        if channel_id is not None:
            body.update(entity_type=2, channel_id=channel_id, entity_metadata=None)
        if status is not None:
            body["status"] = status
        apply_edit(self, event, body)
        return event

    async def cancel_scheduled_event_as_user(
        self: DiscordEmulator, guild_id: int, event_id: int, *, user_id: int | None = None
    ) -> ScheduledEvent:
        """ "Cancel Event" on Discord's event page: the status becomes CANCELED."""
        return await self.edit_scheduled_event_as_user(guild_id, event_id, user_id=user_id, status=CANCELED)

    async def delete_scheduled_event_as_user(
        self: DiscordEmulator, guild_id: int, event_id: int, *, user_id: int | None = None
    ) -> None:
        """ "Delete Event" on Discord's event page: the event is gone."""
        event = self._event_as_user(guild_id, event_id, user_id)
        del self.state.guilds[guild_id].events[event.id]
        self.gateway.emit("GUILD_SCHEDULED_EVENT_DELETE", event_payload(event))
