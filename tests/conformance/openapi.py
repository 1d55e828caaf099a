"""Checks recorded REST calls against Discord's published OpenAPI description of API v10.

The description is Discord's own (``discord/discord-api-spec``, ``specs/openapi.json``, MIT). It is not
kept in this repository: ``spec_path()`` finds it (see ``SPEC_HELP``) and ``load_spec()`` checks that it is
the version the allow-list below was written against.

The spec is OpenAPI 3.1, whose schemas are JSON Schema 2020-12. Two readings of it:
- requests are checked as written (objects open: Discord ignores fields it does not know);
- responses are checked *closed*: every object lists all the fields Discord sends, so a field the
  emulator invents (``guild_id`` on a fetched message, a ``resource`` for a deferral) is a violation.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from rehearsal.emulator.recording import Exchange

ROOT = Path(__file__).resolve().parents[2]
SPEC_ENV = "DISCORD_OPENAPI_SPEC"
# Beside the repository, as the workplace lays out ``shared/`` next to every clone (CI included), or a
# local copy inside it (git-ignored).
SPEC_CANDIDATES = (
    ROOT.parent / "shared" / "discord-api-spec" / "openapi.json",
    ROOT / "tests" / "data" / "discord-api-spec" / "openapi.json",
)
# The version the allow-list was reviewed against: discord/discord-api-spec at this commit.
SPEC_COMMIT = "74fda0fad044407ea280043a03ffc9bc64c4e49e"  # "Automated spec update (242668)", 2026-07-18
SPEC_SHA256 = "8c1d0707ccdf8e380a86dfba04058820a66435c1b69d5ed82e04dd8c0520dd73"
SPEC_HELP = (
    f"Discord's OpenAPI description (discord/discord-api-spec@{SPEC_COMMIT[:12]}, specs/openapi.json) "
    f"was not found: set {SPEC_ENV} to its path, or place it (with its LICENSE) at "
    f"{SPEC_CANDIDATES[0]}"
)
SPEC_URI = "urn:discord:openapi"


def spec_path() -> Path | None:
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return Path(configured)
    return next((p for p in SPEC_CANDIDATES if p.is_file()), None)


def load_spec(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SPEC_SHA256:
        raise AssertionError(
            f"{path} is not the reviewed spec (sha256 {digest}, expected {SPEC_SHA256} from "
            f"discord/discord-api-spec@{SPEC_COMMIT}); review ALLOWED against the new version, then "
            "update SPEC_COMMIT and SPEC_SHA256"
        )
    return json.loads(raw)


@dataclass(frozen=True)
class Allowed:
    """A known gap in the spec itself (Discord accepts or sends it; the description disagrees)."""

    side: str  # "request", "response" or "both"
    route: str  # regex on "METHOD /openapi/path/{template}"
    where: str  # regex on the JSON path of the error
    message: str  # regex on the error message
    reason: str


SNOWFLAKE_AS_INTEGER = r"^\d{15,20} is not (of type 'string'|valid under any of the given schemas)$"

ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "request",
        ".",
        ".",
        SNOWFLAKE_AS_INTEGER,
        "discord.py sends ids as JSON integers (recipient_id, channel_id, allowed_mentions.users); "
        "Discord has always accepted integer snowflakes in requests, the spec types them string only",
    ),
    Allowed(
        "request",
        r"^POST /(channels/\{channel_id\}/messages|webhooks/|interactions/)",
        r"\.attachments\[\d+\]\.id$",
        r"^\d{1,2} is not of type 'string'$",
        "when uploading, an attachment's id is the index n of its files[n] part, an integer "
        "(Discord's 'Uploading Files' reference); the spec types it as a snowflake string",
    ),
    Allowed(
        "request",
        r"^POST /channels/\{channel_id\}/threads$",
        r"^\?use_nested_fields$",
        ".",
        "discord.py adds use_nested_fields=true when starting a forum post (forums' launch form); "
        "Discord accepts it, the spec lists no query parameter",
    ),
    Allowed(
        "response",
        r"^POST /channels/\{channel_id\}/threads$",
        r"^\$$",
        r"\('message' was unexpected\)",
        "a post started in a forum comes back 'with a nested message object' (Discord's Start Thread "
        "in Forum reference; discord.py reads it); CreatedThreadResponse omits it",
    ),
    Allowed(
        "both",
        r"/commands$",
        r"\.channel_types\[\d+\]$",
        r"^16 is not one of \[",
        "GUILD_MEDIA (16) is a documented channel type that the spec's ChannelTypes enum lacks; "
        "discord.py lists it for a ForumChannel option",
    ),
)


# Error paths the rehearsal never takes, met in a whole test run (``suite.py``): refused bodies and
# injected faults.
ERROR_PATHS: tuple[Allowed, ...] = (
    Allowed(
        "response",
        ".",
        r"^\$\.errors\..*\['_errors'\]$",
        "is not valid under any of the given schemas$",
        "a field's error code is a string (BASE_TYPE_BAD_LENGTH...) in Discord's Invalid Form Body "
        "answers (Discord's error-messages reference); the spec types every Error.code as an integer",
    ),
    Allowed(
        "response",
        ".",
        "^$",
        r"^status 5\d\d is not one Discord answers$",
        "reliability tests inject 500/502/503 answers, as Discord gives during incidents (its docs tell "
        "clients to retry them); the spec documents no 5XX",
    ),
)


@dataclass(frozen=True)
class Violation:
    side: str
    route: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.side:8} {self.route}  at {self.where}: {self.message}"


def _close_objects(node: Any, *, in_all_of: bool = False) -> None:
    """Every object schema that lists its properties, and says nothing of others, admits no others."""
    if isinstance(node, dict):
        open_keys = {"additionalProperties", "unevaluatedProperties", "patternProperties"}
        if "properties" in node and not in_all_of and not open_keys & node.keys():
            # additionalProperties is far cheaper to check; unevaluatedProperties only where the
            # object is assembled from subschemas.
            composed = {"allOf", "anyOf", "oneOf", "if", "$ref"} & node.keys()
            node["unevaluatedProperties" if composed else "additionalProperties"] = False
        for key, value in node.items():
            if key == "allOf":
                for member in value:
                    _close_objects(member, in_all_of=True)
            elif key not in ("properties", "$defs"):
                _close_objects(value)
            else:
                for member in value.values():
                    _close_objects(member)
    elif isinstance(node, list):
        for member in node:
            _close_objects(member)


def _discriminate(node: Any, spec: dict[str, Any]) -> None:
    """A union of objects told apart by their ``type`` constant (components, command options, callback
    bodies) is checked against the one member its ``type`` names: faster than trying every member,
    and the errors are that member's own. Anything else falls back to the union as written."""
    if isinstance(node, list):
        for member in node:
            _discriminate(member, spec)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _discriminate(value, spec)
    key = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
    if key is None:
        return
    if all(
        isinstance(m, dict) and "const" in m and m.keys() <= {"const", "title", "description"}
        for m in node[key]
    ):
        node["enum"] = [member["const"] for member in node.pop(key)]  # an enumeration, written long-hand
        return
    if not all("$ref" in member for member in node[key]):
        return
    tags: list[list[Any]] = []
    for member in node[key]:
        target = spec
        for part in member["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        field = target.get("properties", {}).get("type", {})
        values = field.get("enum") or ([field["const"]] if "const" in field else None)
        if not values:
            return
        tags.append(list(values))
    known = [v for values in tags for v in values]
    if len(known) != len(set(known)):
        return
    union = node.pop(key)
    node["if"] = {"type": "object", "required": ["type"], "properties": {"type": {"enum": known}}}
    node["then"] = {
        "allOf": [
            {"if": {"properties": {"type": {"enum": values}}}, "then": member}
            for values, member in zip(tags, union, strict=True)
        ]
    }
    node["else"] = {key: union}


def _extended(spec: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for member in node.get("allOf", []):
                if isinstance(member, dict) and member.get("$ref", "").startswith("#/components/schemas/"):
                    found.add(member["$ref"].rsplit("/", 1)[1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def _template_regex(template: str) -> re.Pattern[str]:
    parts = [re.escape(p) if not p.startswith("{") else "[^/]+" for p in re.split(r"(\{\w+\})", template)]
    return re.compile("^" + "".join(parts) + "$")


class OpenApi:
    """Route lookup and schema validation over one loaded spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        opened = copy.deepcopy(spec)
        _discriminate(opened, spec)
        closed = copy.deepcopy(opened)
        _close_objects(closed["components"])
        _close_objects(closed["paths"])
        # A schema that others extend through allOf (Error, under ErrorResponse and
        # RatelimitedResponse) stays open: the extension closes the whole.
        for name in _extended(spec):
            target = closed["components"]["schemas"][name]
            target.pop("additionalProperties", None)
            target.pop("unevaluatedProperties", None)
        self._open = self._registry(opened)
        self._closed = self._registry(closed)
        self._validators: dict[tuple[bool, str], Draft202012Validator] = {}
        # Literal segments beat templates (``/users/@me`` before ``/users/{user_id}``).
        self.routes = sorted(
            ((template, _template_regex(template)) for template in spec["paths"]),
            key=lambda item: (item[0].count("{"), -len(item[0])),
        )

    @staticmethod
    def _registry(contents: dict[str, Any]) -> Registry:
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        return Registry().with_resource(SPEC_URI, resource)

    def template(self, path: str) -> str | None:
        return next((t for t, regex in self.routes if regex.match(path)), None)

    def _validate(self, pointer: str, instance: Any, *, closed: bool) -> list[ValidationError]:
        key = (closed, pointer)
        validator = self._validators.get(key)
        if validator is None:
            registry = self._closed if closed else self._open
            validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)
            self._validators[key] = validator
        return list(validator.iter_errors(instance))

    def check(self, exchange: Exchange) -> list[Violation]:
        path = exchange.path
        template = self.template(path)
        route = f"{exchange.method} {template or path}"
        if template is None:
            return [Violation("route", route, "", "no such route in Discord's API")]
        item = self.spec["paths"][template]
        operation = item.get(exchange.method.lower())
        if operation is None:
            return [Violation("route", route, "", f"{exchange.method} is not a method of this route")]
        base = f"/paths/{_escape(template)}/{exchange.method.lower()}"
        found: list[Violation] = []
        known_query = {p["name"] for p in [*item.get("parameters", []), *operation.get("parameters", [])]}
        for name in exchange.query:
            if name not in known_query:
                found.append(Violation("request", route, f"?{name}", "query parameter not in Discord's API"))
        refused = exchange.status == 400 and isinstance(exchange.response, dict)
        refused = refused and exchange.response.get("code") == 50035
        # A body Discord refused as an Invalid Form Body (a test probing a limit) is invalid by design.
        if exchange.request is not None and not refused:
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                found.append(Violation("request", route, "$", "this route takes no JSON body"))
            else:
                pointer = f"{base}/requestBody/content/application~1json/schema"
                found += self._errors("request", route, pointer, exchange.request, closed=False)
        responses = operation.get("responses", {})
        status = str(exchange.status)
        key = status if status in responses else f"{status[0]}XX" if f"{status[0]}XX" in responses else None
        if key is None:
            found.append(Violation("response", route, "", f"status {status} is not one Discord answers"))
            return found
        response = responses[key]
        pointer = f"{base}/responses/{key}"
        if "$ref" in response:
            pointer = response["$ref"][1:]
            response = self._resolve(response["$ref"])
        schema_node = response.get("content", {}).get("application/json")
        if schema_node is None:
            if exchange.response is not None:
                found.append(Violation("response", route, "$", f"status {status} carries no body on Discord"))
            return found
        if exchange.response is None:
            found.append(Violation("response", route, "$", f"status {status} has a JSON body on Discord"))
            return found
        pointer = f"{pointer}/content/application~1json/schema"
        found += self._errors("response", route, pointer, exchange.response, closed=True)
        return found

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _errors(self, side: str, route: str, pointer: str, instance: Any, *, closed: bool) -> list[Violation]:
        out = []
        for error in self._validate(pointer, instance, closed=closed):
            for leaf in _leaves(error):
                out.append(Violation(side, route, leaf.json_path, _short(leaf.message)))
        return out


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf, the failures of the alternative the instance was meant to be: branches that
    fail on their discriminator (the value's type, or a ``type`` field's constant) are not it."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def wrong(sub: ValidationError) -> bool:
        return sub.validator in ("type", "const", "enum") and len(sub.relative_path) <= 1

    ranked = sorted(branches.values(), key=lambda errs: (any(wrong(e) for e in errs), len(errs)))
    if any(wrong(e) for e in ranked[0]):
        return [error]
    return [leaf for sub in ranked[0] for leaf in _leaves(sub)]


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def allowed(violation: Violation, allow: tuple[Allowed, ...] = ALLOWED) -> bool:
    return any(
        a.side in (violation.side, "both")
        and re.search(a.route, violation.route)
        and re.search(a.where, violation.where)
        and re.search(a.message, violation.message)
        for a in allow
    )


def violations(api: OpenApi, exchanges: list[Exchange], *, per_route: int = 0) -> list[Violation]:
    """Every distinct violation in ``exchanges`` (the allow-list is applied by the caller). With
    ``per_route``, at most that many distinct calls of each route and status are checked."""
    seen: dict[Violation, None] = {}
    checked: set[str] = set()
    counts: dict[tuple[str, str | None, int], int] = {}
    for exchange in exchanges:
        if per_route:
            route = (exchange.method, api.template(exchange.path), exchange.status)
            if counts.get(route, 0) >= per_route:
                continue
        # Identical calls (a reaction list fetched twice, the same ack) need one check.
        key = json.dumps(
            [
                exchange.method,
                exchange.path,
                exchange.query,
                exchange.request,
                exchange.status,
                exchange.response,
            ],
            sort_keys=True,
            default=str,
        )
        if key in checked:
            continue
        checked.add(key)
        if per_route:
            counts[route] = counts.get(route, 0) + 1
        for violation in api.check(exchange):
            seen.setdefault(violation)
    return list(seen)
