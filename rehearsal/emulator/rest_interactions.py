"""REST routes for interactions: the callback (3-second deadline, single acknowledgement), the
interaction webhooks (followups, ``@original``; tokens valid 15 minutes) and application command
sync (global and per guild)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import actions
from .actions import msg_json, rest_msg_json
from .interactions import DEADLINE, InteractionResult
from .limits import ApiError, check_choices, check_commands, check_modal, not_found
from .rest import Req, router
from .state import Message, snowflake

if TYPE_CHECKING:
    from .control import DiscordEmulator


def _interaction(emu: DiscordEmulator, req: Req) -> InteractionResult:
    res = emu.interactions.get(req.int("interaction_id"))
    if res is None or res.token != req.params["token"]:
        raise ApiError(404, 10062, "Unknown interaction")
    return res


@router.add("POST", "/interactions/{interaction_id}/{token}/callback", auth=False)
async def callback(emu: DiscordEmulator, req: Req) -> Any:
    res = _interaction(emu, req)
    elapsed = time.monotonic() - res.created
    if res.response_type is not None:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    if elapsed > DEADLINE:
        res.late_attempts += 1
        if res.elapsed is None:
            res.elapsed = elapsed
            res._answered.set()
        raise ApiError(404, 10062, "Unknown interaction")
    body = req.body or {}
    kind = int(body.get("type", 0))
    data = body.get("data") or {}
    ephemeral = bool(int(data.get("flags") or 0) & 64)
    message: Message | None = None
    if kind == 4:
        message = _response_message(emu, res, data, req, ephemeral=ephemeral)
    elif kind == 5:
        message = _response_message(emu, res, {"flags": 128}, req, ephemeral=ephemeral)
    elif kind in (6, 7):
        if res.source_message_id is None:
            raise ApiError(400, 40043, "Interaction callback type is not valid for this interaction")
        source = emu.state.messages[res.source_message_id]
        if kind == 7:
            actions.edit_message(emu, source, data, req.files)
            message = source
        res.message_id = source.id
    elif kind == 8:
        check_choices(data.get("choices"))
        res.choices = list(data.get("choices") or [])
    elif kind == 9:
        check_modal(data)
        res.modal = data
    elif kind != 1:
        raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": []}})
    res.response_type = kind
    res.response_data = data
    res.elapsed = elapsed
    if message is not None:
        res.message = message
        res.message_id = message.id
    res._answered.set()
    interaction: dict[str, Any] = {
        "id": str(res.id),
        "type": res.type,
        "activity_instance_id": None,
        "response_message_loading": kind == 5,
        "response_message_ephemeral": ephemeral,
    }
    if res.message_id:
        interaction["response_message_id"] = str(res.message_id)
    if req.query.get("with_response", "").lower() not in ("1", "true"):
        return None  # Discord answers 204 unless asked for the callback response
    result: dict[str, Any] = {"interaction": interaction}
    # Discord describes a resource only for the answers that are a message (4 and 7); a deferral,
    # a modal or autocomplete choices come back with the interaction alone.
    if message is not None and kind in (4, 7):
        result["resource"] = {"type": kind, "message": rest_msg_json(emu, message)}
    return result


def _response_message(
    emu: DiscordEmulator, res: InteractionResult, data: dict[str, Any], req: Req, *, ephemeral: bool
) -> Message:
    meta = _metadata(emu, res)
    body = dict(data)
    if "flags" in body and body["flags"] & 128:
        msg = Message(
            id=snowflake(),
            channel_id=res.channel_id,
            author_id=emu.bot_user_id,
            guild_id=res.guild_id,
            flags=128 | (64 if ephemeral else 0),
            ephemeral=ephemeral,
            type=20 if res.type == 2 else 0,
            interaction_metadata=meta,
            webhook_id=emu.application_id,
        )
        emu.state.messages[msg.id] = msg
        if not ephemeral:
            emu.state.history.setdefault(msg.channel_id, []).append(msg.id)
            emu.gateway.emit("MESSAGE_CREATE", msg_json(emu, msg))
        return msg
    return _app_message(emu, res, body, req, ephemeral=ephemeral, type=20 if res.type == 2 else 0)


def _app_message(
    emu: DiscordEmulator, res: InteractionResult, body: dict[str, Any], req: Req, **kw: Any
) -> Message:
    """A message the application sends in answer to ``res`` (a response or a followup)."""
    return actions.create_message(
        emu,
        emu.bot_user_id,
        res.channel_id,
        body,
        req.files,
        interaction_metadata=_metadata(emu, res),
        webhook_id=emu.application_id,
        **kw,
    )


def _metadata(emu: DiscordEmulator, res: InteractionResult) -> dict[str, Any]:
    from .payloads import user_payload

    meta: dict[str, Any] = {
        "id": str(res.id),
        "type": res.type,
        "user": user_payload(emu.state.users[res.user_id]),
        "authorizing_integration_owners": {"0": str(res.guild_id or 0)},
    }
    if res.type == 3 and res.source_message_id:
        meta["interacted_message_id"] = str(res.source_message_id)
    if res.type == 5:
        # A modal is opened by a command or a component; which one is not tracked, so the metadata
        # names the command shape (the fields both share).
        meta["triggering_interaction_metadata"] = {
            "id": str(res.id),
            "type": 2,
            "user": meta["user"],
            "authorizing_integration_owners": meta["authorizing_integration_owners"],
        }
    return meta


# -- interaction webhooks ---------------------------------------------------------------------------


def _by_token(emu: DiscordEmulator, req: Req) -> InteractionResult:
    if req.int("app_id") != emu.application_id:
        raise not_found("Webhook", 10015)
    res = emu.interactions_by_token.get(req.params["token"])
    if res is None or not res.token_valid:
        raise ApiError(401, 50027, "Invalid Webhook Token")
    return res


def _webhook_message(emu: DiscordEmulator, res: InteractionResult, mid: str) -> Message:
    if mid == "@original":
        if res.response_type is None:
            raise not_found("Message", 10008)
        message_id = res.message_id
    else:
        message_id = int(mid)
    msg = emu.state.messages.get(message_id or 0)
    if msg is None or msg.deleted:
        raise not_found("Message", 10008)
    return msg


@router.add("POST", "/webhooks/{app_id}/{token}", auth=False)
async def followup(emu: DiscordEmulator, req: Req) -> Any:
    res = _by_token(emu, req)
    if res.response_type is None:
        raise ApiError(404, 10015, "Unknown Webhook")
    body = dict(req.body or {})
    original = res.message
    if res.response_type == 5 and original is not None and original.flags & 128:
        # Discord: the first followup after a "thinking" defer replaces the loading message.
        msg = actions.edit_message(emu, original, body, req.files)
    else:
        msg = _app_message(emu, res, body, req, ephemeral=bool(int(body.get("flags") or 0) & 64))
    res.followups.append(msg)
    res._followup.set()
    return rest_msg_json(emu, msg)


@router.add("GET", "/webhooks/{app_id}/{token}/messages/{message}", auth=False)
async def get_webhook_message(emu: DiscordEmulator, req: Req) -> Any:
    res = _by_token(emu, req)
    return rest_msg_json(emu, _webhook_message(emu, res, req.params["message"]))


@router.add("PATCH", "/webhooks/{app_id}/{token}/messages/{message}", auth=False)
async def edit_webhook_message(emu: DiscordEmulator, req: Req) -> Any:
    res = _by_token(emu, req)
    msg = _webhook_message(emu, res, req.params["message"])
    actions.edit_message(emu, msg, req.body or {}, req.files)
    if req.params["message"] == "@original" or msg.id == res.message_id:
        res.message = msg
        res._followup.set()
    return rest_msg_json(emu, msg)


@router.add("DELETE", "/webhooks/{app_id}/{token}/messages/{message}", auth=False)
async def delete_webhook_message(emu: DiscordEmulator, req: Req) -> Any:
    res = _by_token(emu, req)
    actions.delete_message(emu, _webhook_message(emu, res, req.params["message"]))
    return None


# -- application commands ---------------------------------------------------------------------------


def _store(emu: DiscordEmulator, guild_id: int | None, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    check_commands(body, global_=guild_id is None)
    old = emu.state.global_commands if guild_id is None else emu.state.guild_commands.get(guild_id, [])
    known = {(c["name"], c.get("type", 1)): c["id"] for c in old}
    stored = []
    for cmd in body:
        ctype = cmd.get("type", 1)
        entry = {
            "id": known.get((cmd["name"], ctype)) or str(snowflake()),
            "application_id": str(emu.application_id),
            "version": str(snowflake()),
            "type": ctype,
            "name": cmd["name"],
            "description": cmd.get("description", ""),
            "options": cmd.get("options", []),
            # Discord answers a permission bit set as a string, whatever the request sent.
            "default_member_permissions": _bits(cmd.get("default_member_permissions")),
            "dm_permission": cmd.get("dm_permission", True),
            "nsfw": cmd.get("nsfw", False),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
            "name_localizations": cmd.get("name_localizations"),
            "description_localizations": cmd.get("description_localizations"),
        }
        if guild_id is not None:
            entry["guild_id"] = str(guild_id)
        stored.append(entry)
    if guild_id is None:
        emu.state.global_commands = stored
    else:
        emu.state.guild_commands[guild_id] = stored
    return stored


def _bits(value: Any) -> str | None:
    return None if value is None else str(int(value))


def _check_app(emu: DiscordEmulator, req: Req) -> int | None:
    if req.int("app_id") != emu.application_id:
        raise ApiError(403, 50001, "Missing Access")
    if "guild_id" in req.params:
        guild_id = req.int("guild_id")
        if guild_id not in emu.state.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return guild_id
    return None


@router.add("PUT", "/applications/{app_id}/commands")
@router.add("PUT", "/applications/{app_id}/guilds/{guild_id}/commands")
async def bulk_overwrite(emu: DiscordEmulator, req: Req) -> Any:
    return _store(emu, _check_app(emu, req), list(req.body or []))


@router.add("GET", "/applications/{app_id}/commands")
@router.add("GET", "/applications/{app_id}/guilds/{guild_id}/commands")
async def list_commands(emu: DiscordEmulator, req: Req) -> Any:
    guild_id = _check_app(emu, req)
    if guild_id is None:
        return emu.state.global_commands
    return emu.state.guild_commands.get(guild_id, [])


@router.add("POST", "/applications/{app_id}/commands")
@router.add("POST", "/applications/{app_id}/guilds/{guild_id}/commands")
async def upsert_command(emu: DiscordEmulator, req: Req) -> Any:
    guild_id = _check_app(emu, req)
    current = emu.synced_commands(guild_id)
    body = req.body or {}
    others = [c for c in current if (c["name"], c["type"]) != (body.get("name"), body.get("type", 1))]
    stored = _store(emu, guild_id, [*others, body])
    return (201, stored[-1])


@router.add("DELETE", "/applications/{app_id}/commands/{command_id}")
@router.add("DELETE", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_command(emu: DiscordEmulator, req: Req) -> Any:
    guild_id = _check_app(emu, req)
    current = emu.synced_commands(guild_id)
    remaining = [c for c in current if c["id"] != req.params["command_id"]]
    if len(remaining) == len(current):
        raise not_found("application command", 10063)
    _store(emu, guild_id, remaining)
    return None
