"""``DiscordEmulator``: the Python control API used by tests and the demo. It owns the state, the
aiohttp server (REST + gateway), scripts members' actions and exposes what the bot did."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from . import actions, command_permissions
from .command_permissions import CommandPermission
from .gateway import Gateway
from .interactions import (
    EmulatorError,
    InteractionResult,
    base_payload,
    build_command_data,
    check_visible,
    find_command,
    modal_submit_components,
    new_result,
)
from .limits import ATTACHMENT_SIZE_LIMIT, ApiError
from .payloads import event_payload, role_payload
from .recording import Exchange, new_sink
from .rest import Fault, make_app
from .scheduled_events import ScheduledEventControl
from .state import (
    BOT_DEFAULT,
    EVERYONE_DEFAULT,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    State,
    User,
    snowflake,
)

log = logging.getLogger(__name__)


class DiscordEmulator(ScheduledEventControl):
    """A loopback Discord (API v10 + gateway) for the unmodified discord.py client."""

    def __init__(self, *, bot_name: str = "Consultation Bot") -> None:
        self.state = State()
        self.gateway = Gateway(self)
        self.requests: list[tuple[str, str, int]] = []
        # None: not recording; a list collects every REST call (see ``recording``).
        self.exchanges: list[Exchange] | None = new_sink()
        self.faults: list[Fault] = []
        self.interactions: dict[int, InteractionResult] = {}
        self.interactions_by_token: dict[str, InteractionResult] = {}
        self.attachment_size_limit = ATTACHMENT_SIZE_LIMIT
        owner = self._new_user("Application Owner")
        self.owner_user_id = owner.id
        bot = self._new_user(bot_name, bot=True)
        self.bot_user_id = bot.id
        # Shaped like a real token (user id, timestamp, HMAC), so the bot's own checks accept it.
        user_part = base64.urlsafe_b64encode(str(bot.id).encode()).decode().rstrip("=")
        self.token = f"{user_part}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        self.application_id = bot.id
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> None:
        self._runner = web.AppRunner(make_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        log.info("Discord emulator listening on %s", self.api_base)

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- building the world ---------------------------------------------------------------------

    def _new_user(self, name: str, *, bot: bool = False, dm_open: bool = True) -> User:
        user = User(snowflake(), name, bot=bot, global_name=name, dm_open=dm_open)
        self.state.users[user.id] = user
        return user

    def create_guild(self, name: str, *, owner_id: int | None = None, locale: str = "en-US") -> Guild:
        """A guild with @everyone, a "Bot" role (``BOT_DEFAULT`` permissions) and the bot as member.

        Without ``owner_id`` an "Owner" member is created."""
        gid = snowflake()
        if owner_id is None:
            owner_id = self._new_user(f"{name} Owner").id
        guild = Guild(gid, name, owner_id, preferred_locale=locale)
        guild.roles[gid] = Role(gid, gid, "@everyone", EVERYONE_DEFAULT)
        bot_role = Role(snowflake(), gid, "Bot", BOT_DEFAULT, position=1, managed=True)
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        self.state.guilds[gid] = guild
        guild.members[owner_id] = Member(self.state.users[owner_id], gid)
        bot = self.state.users[self.bot_user_id]
        guild.members[bot.id] = Member(bot, gid, roles=[bot_role.id])
        return guild

    def override_command_visibility(
        self, guild_id: int, command: str | None, target_id: int, *, allow: bool = True
    ) -> None:
        """What an administrator does in Server Settings > Integrations > the bot: show (or hide) the
        top-level ``command`` (``None``: every command of the app, the page's top section) to a
        member, a role, everyone (``target_id`` = the guild id), or in a channel (a channel id, or
        the guild id - 1 for All Channels). Discord tells the bot with
        APPLICATION_COMMAND_PERMISSIONS_UPDATE."""
        key = self.application_id if command is None else int(find_command(self, guild_id, command)["id"])
        entries = self.state.command_overrides.setdefault((guild_id, key), {})
        entries[target_id] = CommandPermission(
            target_id, command_permissions.target_type(self, guild_id, target_id), allow
        )
        self.gateway.emit(
            "APPLICATION_COMMAND_PERMISSIONS_UPDATE",
            command_permissions.permissions_payload(self, guild_id, key),
        )

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """Change the bot's role's permissions (as an administrator in Server Settings > Roles)."""
        guild = self.state.guilds[guild_id]
        role = guild.roles[guild.bot_role_id]
        role.permissions = int(permissions)
        self.gateway.emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role_payload(role)})

    def set_channel_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> Channel:
        """Set (or, with neither ``allow`` nor ``deny``, remove) a channel's permission overwrite for a
        role (or a ``member``), as an administrator does in the channel's Permissions."""
        channel = self.state.channels[channel_id]
        kept = [ow for ow in channel.overwrites if ow.id != target_id]
        if allow or deny:
            kept.append(Overwrite(target_id, 1 if member else 0, int(allow), int(deny)))
        channel.overwrites = kept
        actions.thread_update(self, channel)
        return channel

    def create_role(self, guild_id: int, name: str, *, permissions: int = 0, **kw: Any) -> Role:
        guild = self.state.guilds[guild_id]
        role = Role(snowflake(), guild_id, name, int(permissions), position=len(guild.roles), **kw)
        guild.roles[role.id] = role
        self.gateway.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role_payload(role)})
        return role

    def create_member(
        self,
        guild_id: int,
        name: str,
        *,
        roles: Iterable[int] = (),
        locale: str = "en-US",
        dm_open: bool = True,
        bot: bool = False,
        nick: str | None = None,
    ) -> Member:
        user = self._new_user(name, bot=bot, dm_open=dm_open)
        return self.add_member(guild_id, user.id, roles=roles, locale=locale, nick=nick)

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: Iterable[int] = (),
        locale: str = "en-US",
        nick: str | None = None,
    ) -> Member:
        """Add an existing user (e.g. a member of another guild) to a guild."""
        member = Member(self.state.users[user_id], guild_id, list(roles), nick, locale)
        self.state.guilds[guild_id].members[user_id] = member
        return member

    def create_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: Any = 0,
        parent_id: int | None = None,
        available_tags: Iterable[Any] = (),
        topic: str | None = None,
        overwrites: Iterable[Overwrite] = (),
    ) -> Channel:
        """A guild channel; ``available_tags`` items are names or dicts (name, moderated, emoji_name)."""
        kind = int(getattr(type, "value", type))
        tags = []
        for tag in available_tags:
            spec = {"name": tag} if isinstance(tag, str) else dict(tag)
            spec.setdefault("id", snowflake())
            spec["id"] = int(spec["id"])
            tags.append(spec)
        guild = self.state.guilds[guild_id]
        channel = Channel(
            id=snowflake(),
            type=kind,
            name=name,
            guild_id=guild_id,
            parent_id=parent_id,
            position=len(guild.channel_ids),
            topic=topic,
            available_tags=tags,
            overwrites=list(overwrites),
        )
        self.state.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    async def create_thread(
        self,
        user_id: int,
        parent_id: int,
        name: str,
        *,
        content: str = "",
        applied_tags: Iterable[int] = (),
        message_id: int | None = None,
    ) -> Channel:
        """A member opens a thread (forum post with ``content`` when the parent is a forum)."""
        parent = self.state.channels[parent_id]
        starter = {"content": content} if parent.type == 15 else None
        thread, _ = actions.create_thread(
            self,
            parent,
            user_id,
            name,
            thread_id=message_id,
            applied_tags=list(applied_tags),
            message=starter,
        )
        return thread

    def dm_channel(self, user_id: int) -> Channel:
        channel_id = self.state.dm_channels.get(user_id)
        if channel_id is None:
            channel = Channel(id=snowflake(), type=1, name=None, recipient_id=user_id)
            self.state.channels[channel.id] = channel
            self.state.dm_channels[user_id] = channel.id
            return channel
        return self.state.channels[channel_id]

    # -- scripting members ----------------------------------------------------------------------

    async def post_message(self, user_id: int, channel_id: int, content: str = "", **body: Any) -> Message:
        """``user_id`` posts in a channel, thread or (with the DM channel id) to the bot."""
        from .rest_channels import check_can_send

        channel = actions.get_channel(self, channel_id)
        check_can_send(self, user_id, channel)
        files = body.pop("files", None)
        return actions.create_message(self, user_id, channel_id, {"content": content, **body}, files)

    async def edit_message(self, user_id: int, channel_id: int, message_id: int, content: str) -> Message:
        msg = actions.get_message(self, channel_id, message_id)
        if msg.author_id != user_id:
            raise EmulatorError(f"message {message_id} is not by {user_id}")
        return actions.edit_message(self, msg, {"content": content})

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        actions.delete_message(self, actions.get_message(self, channel_id, message_id))

    async def react(self, user_id: int, channel_id: int, message_id: int, emoji: str) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.add_reaction(self, msg, user_id, emoji)

    async def unreact(self, user_id: int, channel_id: int, message_id: int, emoji: str) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.remove_reaction(self, msg, user_id, emoji)

    def react_silently(self, user_id: int, channel_id: int, message_id: int, emoji: str) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.add_reaction(self, msg, user_id, emoji, dispatch=False)

    def unreact_silently(self, user_id: int, channel_id: int, message_id: int, emoji: str) -> bool:
        msg = actions.get_message(self, channel_id, message_id)
        return actions.remove_reaction(self, msg, user_id, emoji, dispatch=False)

    async def react_many(self, events: Iterable[tuple[Any, ...]]) -> int:
        """Fast path for benchmarks: ``(user_id, channel_id, message_id, emoji[, add=True])``
        tuples, applied and queued without awaiting in between. Returns the number applied."""
        count = 0
        for event in events:
            user_id, channel_id, message_id, emoji = event[:4]
            add = event[4] if len(event) > 4 else True
            msg = actions.get_message(self, channel_id, message_id)
            func = actions.add_reaction if add else actions.remove_reaction
            count += func(self, msg, user_id, emoji)
        await asyncio.sleep(0)
        return count

    async def update_thread(self, channel_id: int, **changes: Any) -> Channel:
        """Change a thread as a moderator would (archived, locked, name...) and dispatch."""
        thread = self.state.channels[channel_id]
        for key, value in changes.items():
            setattr(thread, key, value)
        actions.thread_update(self, thread)
        return thread

    # -- interactions ---------------------------------------------------------------------------

    def _dispatch_interaction(self, res: InteractionResult, payload: dict[str, Any]) -> None:
        self.interactions[res.id] = res
        self.interactions_by_token[res.token] = res
        res.created = time.monotonic()
        self.gateway.emit("INTERACTION_CREATE", payload)

    async def run_command(
        self,
        user_id: int,
        guild_id: int | None,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel_id: int | None = None,
    ) -> InteractionResult:
        """A member runs ``/command [group] [sub]`` with ``options`` from the synced tree."""
        cmd = find_command(self, guild_id, command.split()[0])
        channel_id = channel_id or self._default_channel(user_id, guild_id)
        if guild_id is not None:
            check_visible(self, cmd, user_id, guild_id, channel_id)
        data = build_command_data(self, guild_id, command, options or {})
        res = new_result(2, user_id, guild_id, channel_id)
        payload = base_payload(self, res)
        payload["data"] = data
        self._dispatch_interaction(res, payload)
        return res

    async def autocomplete(
        self,
        user_id: int,
        guild_id: int | None,
        command: str,
        *,
        option: str,
        value: Any,
        options: dict[str, Any] | None = None,
        channel_id: int | None = None,
        timeout: float = 5,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while ``user_id`` types ``value`` into ``option``."""
        channel_id = channel_id or self._default_channel(user_id, guild_id)
        if guild_id is not None:
            cmd = find_command(self, guild_id, command.split()[0])
            check_visible(self, cmd, user_id, guild_id, channel_id)
        opts = dict(options or {})
        opts[option] = value
        data = build_command_data(self, guild_id, command, opts, focused=option)
        res = new_result(4, user_id, guild_id, channel_id)
        payload = base_payload(self, res)
        payload["data"] = data
        self._dispatch_interaction(res, payload)
        await res.wait(timeout)
        return res.choices or []

    async def click_button(
        self,
        user_id: int,
        channel_id: int,
        message_id: int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> InteractionResult:
        """A MESSAGE_COMPONENT interaction on a button (or a select menu with ``values``)."""
        msg = self.state.messages.get(message_id)
        if msg is None or msg.channel_id != channel_id or msg.deleted:
            raise EmulatorError(f"no message {message_id} in channel {channel_id}")
        component = _find_component(msg.components, custom_id)
        if component is None:
            raise EmulatorError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise EmulatorError(f"component {custom_id!r} is disabled")
        guild_id = self.state.channels[channel_id].guild_id
        res = new_result(3, user_id, guild_id, channel_id)
        res.source_message_id = message_id
        payload = base_payload(self, res)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        payload["data"] = data
        payload["message"] = actions.msg_json(self, msg)
        self._dispatch_interaction(res, payload)
        return res

    async def select(
        self, user_id: int, channel_id: int, message_id: int, custom_id: str, values: list[str]
    ) -> InteractionResult:
        return await self.click_button(user_id, channel_id, message_id, custom_id, values=values)

    async def submit_modal(
        self, user_id: int, opened_by: InteractionResult, values: dict[str, Any]
    ) -> InteractionResult:
        """A MODAL_SUBMIT for the modal the bot opened in answer to ``opened_by``."""
        if opened_by.modal is None:
            raise EmulatorError(f"interaction {opened_by.id} was not answered with a modal")
        modal = opened_by.modal
        res = new_result(5, user_id, opened_by.guild_id, opened_by.channel_id)
        res.source_message_id = opened_by.source_message_id
        payload = base_payload(self, res)
        payload["data"] = {
            "custom_id": modal["custom_id"],
            "components": modal_submit_components(modal, values),
        }
        if res.source_message_id is not None:
            payload["message"] = actions.msg_json(self, self.state.messages[res.source_message_id])
        self._dispatch_interaction(res, payload)
        return res

    def _default_channel(self, user_id: int, guild_id: int | None) -> int:
        if guild_id is None:
            return self.dm_channel(user_id).id
        for cid in self.state.guilds[guild_id].channel_ids:
            if self.state.channels[cid].type == 0:
                return cid
        raise EmulatorError(f"guild {guild_id} has no text channel; pass channel_id")

    # -- scheduled events (as a member/admin would create them) ---------------------------------

    async def create_scheduled_event(
        self, guild_id: int, name: str, start: str, *, entity_type: int = 3, **kw: Any
    ) -> ScheduledEvent:
        event = ScheduledEvent(snowflake(), guild_id, name, start, entity_type, **kw)
        self.state.guilds[guild_id].events[event.id] = event
        self.gateway.emit("GUILD_SCHEDULED_EVENT_CREATE", event_payload(event))
        return event

    # -- inspecting -----------------------------------------------------------------------------

    def messages(self, channel_id: int) -> list[Message]:
        return self.state.channel_messages(channel_id)

    def message(self, message_id: int) -> Message:
        return self.state.messages[message_id]

    def channel(self, channel_id: int) -> Channel:
        return self.state.channels[channel_id]

    def threads(self, parent_id: int) -> list[Channel]:
        return [c for c in self.state.channels.values() if c.is_thread and c.parent_id == parent_id]

    def reactions(self, channel_id: int, message_id: int) -> dict[str, list[int]]:
        msg = actions.get_message(self, channel_id, message_id)
        return {k: list(v) for k, v in msg.reactions.items() if v}

    def dms(self, user_id: int) -> list[Message]:
        channel_id = self.state.dm_channels.get(user_id)
        if channel_id is None:
            return []
        return [m for m in self.messages(channel_id) if m.author_id == self.bot_user_id]

    def scheduled_events(self, guild_id: int) -> list[ScheduledEvent]:
        return list(self.state.guilds[guild_id].events.values())

    def synced_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.state.global_commands)
        return list(self.state.guild_commands.get(guild_id, []))

    def request_count(self, method: str, pattern: str) -> int:
        regex = re.compile(pattern)
        return sum(1 for m, p, _ in self.requests if m == method and regex.search(p))

    async def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 5, interval: float = 0.01
    ) -> Any:
        """Poll ``predicate`` until it is truthy; returns its value or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    # -- gateway & faults -----------------------------------------------------------------------

    @property
    def connected(self) -> int:
        return self.gateway.connected

    async def wait_for_ready(self, count: int = 1, timeout: float = 10) -> None:
        await self.gateway.wait_for_ready(count, timeout)

    async def drop_connections(self, resume: bool = True) -> None:
        """Close every websocket (code 4000). ``resume=False`` also forgets the sessions, so the
        client's RESUME gets INVALID_SESSION and it re-IDENTIFIES."""
        await self.gateway.drop_connections(resume=resume)

    @property
    def duplicate_events(self) -> bool:
        return self.gateway.duplicate_events

    @duplicate_events.setter
    def duplicate_events(self, value: bool) -> None:
        self.gateway.duplicate_events = value

    def deliver_twice(self, next_n: int = 1) -> None:
        """The next ``next_n`` dispatches are each sent twice with the same ``s`` (as a replay)."""
        self.gateway.duplicate_next = next_n

    def hold_events(self) -> None:
        """Hold back every dispatch from now on (sequence numbers and replay buffers as usual) until
        ``release_events``: a way to deliver events late or out of order."""
        self.gateway.holding = True

    def release_events(self, *, reverse: bool = False) -> int:
        """Deliver the held dispatches, in the order they happened or (``reverse``) last first: an
        add followed by a remove arrives as the remove, then the add. Returns the frames sent."""
        return self.gateway.release_held(reverse=reverse)

    def fail_route(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 500,
        retry_after: float = 0.2,
        times: int = 1,
        code: int = 0,
    ) -> Fault:
        """The next ``times`` requests matching ``method`` and regex ``pattern`` (searched in the
        path after ``/api/v10``) fail with ``status`` (429s carry ``retry_after``)."""
        fault = Fault(method.upper(), re.compile(pattern), status, times, retry_after, code)
        self.faults.append(fault)
        return fault

    def dispatch_raw(self, event: str, data: dict[str, Any]) -> None:
        """Send any gateway event as is (for events the emulator does not model)."""
        self.gateway.emit(event, data)


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        for key in ("components", "accessory", "component"):
            inner = comp.get(key)
            if isinstance(inner, dict):
                inner = [inner]
            if isinstance(inner, list):
                found = _find_component(inner, custom_id)
                if found is not None:
                    return found
    return None


__all__ = ["ApiError", "DiscordEmulator", "EmulatorError", "InteractionResult"]
