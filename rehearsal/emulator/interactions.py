"""Interactions as the emulator sees them: the record of one interaction and its answers, and the
INTERACTION_CREATE payloads built from the synced command tree."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .command_permissions import hidden_reason
from .payloads import channel_payload, member_payload, role_payload, user_payload
from .state import Message, snowflake

if TYPE_CHECKING:
    from .control import DiscordEmulator

DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60


class EmulatorError(RuntimeError):
    """The scripted action is impossible (command not synced, not visible, unknown object...)."""


@dataclass
class InteractionResult:
    """One interaction dispatched to the bot and everything the bot answered."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    response_data: dict[str, Any] = field(default_factory=dict)
    message_id: int | None = None
    message: Message | None = None
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    followups: list[Message] = field(default_factory=list)
    elapsed: float | None = None
    late_attempts: int = 0
    source_message_id: int | None = None
    _answered: asyncio.Event = field(default_factory=asyncio.Event)
    _followup: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def answered_within_deadline(self) -> bool:
        return self.elapsed is not None and self.elapsed <= DEADLINE

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return bool(self.message.flags & 64)
        return bool(self.response_data.get("flags", 0) & 64)

    @property
    def content(self) -> str | None:
        return self.message.content if self.message is not None else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message is not None else []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.message.components if self.message is not None else []

    @property
    def files(self) -> list[tuple[str, bytes]]:
        return self.message.files if self.message is not None else []

    @property
    def token_valid(self) -> bool:
        return time.monotonic() - self.created <= TOKEN_LIFETIME

    async def wait(self, timeout: float = 5) -> InteractionResult:
        """Wait until the bot called back (any response type)."""
        await asyncio.wait_for(self._answered.wait(), timeout)
        return self

    async def wait_for_followup(self, timeout: float = 5, count: int = 1) -> Message:
        """Wait until the bot sent ``count`` followups; returns the latest one."""

        async def _wait() -> None:
            while len(self.followups) < count:
                self._followup.clear()
                await self._followup.wait()

        await asyncio.wait_for(_wait(), timeout)
        return self.followups[-1]


def new_result(kind: int, user_id: int, guild_id: int | None, channel_id: int) -> InteractionResult:
    return InteractionResult(
        id=snowflake(),
        token=f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(48)}",
        type=kind,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
    )


def base_payload(emu: DiscordEmulator, res: InteractionResult) -> dict[str, Any]:
    """Everything of INTERACTION_CREATE but ``data`` (and ``message`` for components)."""
    state = emu.state
    channel = state.channels[res.channel_id]
    payload: dict[str, Any] = {
        "id": str(res.id),
        "application_id": str(emu.application_id),
        "type": res.type,
        "token": res.token,
        "version": 1,
        "channel_id": str(channel.id),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(res.guild_id or 0)},
        "attachment_size_limit": emu.attachment_size_limit,
    }
    user = state.users[res.user_id]
    if res.guild_id is not None:
        guild = state.guilds[res.guild_id]
        member = guild.members[res.user_id]
        perms = state.permissions(res.user_id, channel.id)
        payload.update(
            {
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                "guild_locale": guild.preferred_locale,
                "locale": member.locale,
                "member": member_payload(member, permissions=perms),
                "app_permissions": str(state.permissions(emu.bot_user_id, channel.id)),
                "context": 0,
                "channel": channel_payload(channel, permissions=perms),
            }
        )
    else:
        payload.update(
            {
                "user": user_payload(user),
                "locale": "en-US",
                "context": 1,
                "channel": channel_payload(channel),
                "app_permissions": "0",
            }
        )
    return payload


def find_command(emu: DiscordEmulator, guild_id: int | None, name: str) -> dict[str, Any]:
    for cmd in emu.state.guild_commands.get(guild_id or 0, []):
        if cmd["name"] == name and cmd.get("type", 1) == 1:
            return cmd
    for cmd in emu.state.global_commands:
        if cmd["name"] == name and cmd.get("type", 1) == 1:
            return cmd
    raise EmulatorError(f"/{name} is not synced (neither for guild {guild_id} nor globally)")


def check_visible(
    emu: DiscordEmulator,
    cmd: dict[str, Any],
    user_id: int,
    guild_id: int,
    channel_id: int | None = None,
) -> None:
    """Raise unless Discord offers ``cmd`` to the member (in ``channel_id``): administrators see
    everything; then command permission overrides; then ``default_member_permissions``."""
    reason = hidden_reason(emu, cmd, user_id, guild_id, channel_id)
    if reason is not None:
        raise EmulatorError(reason)


def build_command_data(
    emu: DiscordEmulator,
    guild_id: int | None,
    path: str,
    options: dict[str, Any],
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """The ``data`` of an APPLICATION_COMMAND(_AUTOCOMPLETE) interaction for ``path``."""
    names = path.split()
    cmd = find_command(emu, guild_id, names[0])
    data: dict[str, Any] = {"id": str(cmd["id"]), "name": cmd["name"], "type": 1}
    if cmd.get("guild_id"):
        data["guild_id"] = str(cmd["guild_id"])
    resolved: dict[str, dict[str, Any]] = {}
    container: list[dict[str, Any]] = []
    data["options"] = container
    node = cmd
    for sub in names[1:]:
        match = [o for o in node.get("options", []) if o["name"] == sub and o["type"] in (1, 2)]
        if not match:
            raise EmulatorError(f"/{path}: no subcommand {sub!r} in the synced tree")
        node = match[0]
        inner: list[dict[str, Any]] = []
        container.append({"name": sub, "type": node["type"], "options": inner})
        container = inner
    defined = {o["name"]: o for o in node.get("options", [])}
    for key in options:
        if key not in defined:
            raise EmulatorError(f"/{path} has no option {key!r} (has {sorted(defined)})")
    for opt in node.get("options", []):
        if opt["name"] not in options:
            if opt.get("required") and focused is None:
                raise EmulatorError(f"/{path}: option {opt['name']!r} is required")
            continue
        value = options[opt["name"]]
        entry: dict[str, Any] = {"name": opt["name"], "type": opt["type"]}
        if opt["type"] in (6, 7, 8, 9, 11):
            value = int(getattr(value, "id", value))
            _resolve(emu, guild_id, opt["type"], value, resolved)
            entry["value"] = str(value)
        else:
            entry["value"] = value
        if focused == opt["name"]:
            entry["focused"] = True
        container.append(entry)
    if resolved:
        data["resolved"] = resolved
    return data


def _resolve(
    emu: DiscordEmulator,
    guild_id: int | None,
    kind: int,
    value: int,
    resolved: dict[str, dict[str, Any]],
) -> None:
    state = emu.state
    key = str(value)
    if kind in (6, 9) and value in state.users:
        resolved.setdefault("users", {})[key] = user_payload(state.users[value])
        member = state.member(guild_id, value) if guild_id else None
        if member is not None:
            resolved.setdefault("members", {})[key] = member_payload(member, with_user=False)
        return
    if kind in (8, 9) and guild_id and value in state.guilds[guild_id].roles:
        role = state.guilds[guild_id].roles[value]
        resolved.setdefault("roles", {})[key] = role_payload(role)
        return
    if kind == 7 and value in state.channels:
        channel = state.channels[value]
        perms = state.permissions(emu.bot_user_id, value)
        resolved.setdefault("channels", {})[key] = channel_payload(channel, permissions=perms)
        return
    raise EmulatorError(f"cannot resolve option value {value} (option type {kind})")


def modal_submit_components(modal: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """MODAL_SUBMIT components mirroring the modal's layout (action rows or labels)."""

    def item(comp: dict[str, Any]) -> dict[str, Any] | None:
        cid = comp.get("custom_id")
        if cid is None:
            return None
        out: dict[str, Any] = {"type": comp["type"], "custom_id": cid}
        if "id" in comp:
            out["id"] = comp["id"]
        value = values.get(cid, comp.get("value", ""))
        if comp["type"] in (3, 5, 6, 7, 8, 19, 22):
            out["values"] = value if isinstance(value, list) else [value]
        else:
            out["value"] = value
        return out

    result: list[dict[str, Any]] = []
    for top in modal.get("components", []):
        if top.get("type") == 1:
            inner = [x for x in (item(c) for c in top.get("components", [])) if x]
            result.append({"type": 1, "components": inner})
        elif top.get("type") == 18:
            sub = item(top["component"])
            if sub is not None:
                result.append({"type": 18, "id": top.get("id", 0), "component": sub})
        elif top.get("type") == 10:
            result.append({"type": 10, "id": top.get("id", 0), "content": top.get("content")})
    unknown = set(values) - _custom_ids(modal)
    if unknown:
        raise EmulatorError(f"modal {modal.get('custom_id')} has no inputs {sorted(unknown)}")
    return result


def _custom_ids(modal: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for top in modal.get("components", []):
        for comp in top.get("components", []) + ([top["component"]] if "component" in top else []):
            if comp.get("custom_id"):
                found.add(comp["custom_id"])
    return found
