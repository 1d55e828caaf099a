"""Discord's rate limits, modelled: per-route buckets split by top-level resource, the global limit,
shared (per-resource) limits, their ``X-RateLimit-*`` headers and the 429 answers.

What Discord documents (docs/topics/rate-limits): the header set (``X-RateLimit-Limit``, ``-Remaining``,
``-Reset`` (epoch), ``-Reset-After``, ``-Bucket``; on 429 only ``-Scope`` (``user``, ``global``,
``shared``) and ``-Global``), a 429 body with ``message``, ``retry_after`` (float seconds) and
``global``; buckets shared by similar routes and split by the top-level resource of the path
(``channel_id``, ``guild_id``, ``webhook_id`` + token); the global limit of 50 requests a second per bot,
which interaction endpoints (callback, original response, follow-ups) are not bound to; emoji routes
limited per guild whatever the headers say; 401/403/429 counting as invalid requests except 429s with
scope ``shared``. The per-route figures are not documented ("do not hard-code them"): the table below
takes the values clients observe (reactions one per 0.25 s per channel, message sends and edits five per
5 s per channel) and generous guesses for the rest. Each window is ``window * pace`` seconds: ``pace``
1.0 is Discord's real pace, a small factor keeps a test suite fast with the same shape. The headers a
request gets are exactly the state the next request is judged by (reset times rounded up to the
millisecond), so a client that honours them never sees a 429.

Windows are fixed: the first request into an idle bucket opens a window of ``window`` seconds with
``limit`` requests; a request beyond them gets a 429 that says how long the window still lasts. A 429
consumes nothing.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

GLOBAL_LIMIT = 50  # requests per second per bot (documented)
GLOBAL_WINDOW = 1.0
INVALID_WINDOW = 600.0  # the invalid-request limit counts over 10 minutes (documented: 10,000)
INVALID_LIMIT = 10_000


@dataclass(frozen=True)
class Rule:
    """One bucket: ``limit`` requests per ``window`` seconds (at pace 1.0) per top-level resource."""

    name: str
    limit: int
    window: float
    scope: str = "user"  # "shared": counted across every user of the resource (emoji routes)

    @property
    def hash(self) -> str:
        """``X-RateLimit-Bucket``: an opaque id, the same for every resource (Discord's hashes exclude it)."""
        return hashlib.sha1(self.name.encode()).hexdigest()[:32]


def _route(methods: str, template: str) -> tuple[frozenset[str], re.Pattern[str]]:
    regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", template)
    return frozenset(methods.split()), re.compile(f"^{regex}$")


REACTIONS = Rule("reactions", 1, 0.25)
MESSAGE_SEND = Rule("message-send", 5, 5.0)
MESSAGE_EDIT = Rule("message-edit", 5, 5.0)
EMOJIS = Rule("emojis", 5, 5.0, scope="shared")
WEBHOOK_EDIT = Rule("webhook-edit", 5, 2.0)
# A channel's (a thread's) name or topic: two changes per ten minutes per channel, on top of the route's
# bucket and invisible in its headers (discord/discord-api-docs#1900: the third rename's 429 carries the
# route bucket's headers, remaining 4 of 5, and a retry_after of up to ten minutes).
RENAMES = Rule("channel-rename", 2, 600.0)
RENAMED_FIELDS = ("name", "topic")
CHANNEL_PATH = re.compile(r"^/channels/(?P<channel_id>[0-9]+)$")

# (methods, path template, rule), first match wins. ``{channel_id}``, ``{guild_id}`` and
# ``{webhook_id}``/``{webhook_token}`` are the top-level resources that split a bucket.
RULES: list[tuple[frozenset[str], re.Pattern[str], Rule]] = [
    (*_route("PUT DELETE", "/channels/{channel_id}/messages/{m}/reactions/{emoji}/{user}"), REACTIONS),
    (*_route("DELETE", "/channels/{channel_id}/messages/{m}/reactions/{emoji}"), REACTIONS),
    (*_route("DELETE", "/channels/{channel_id}/messages/{m}/reactions"), REACTIONS),
    (*_route("GET", "/channels/{channel_id}/messages/{m}/reactions/{emoji}"), Rule("reaction-list", 5, 1.0)),
    (*_route("POST", "/channels/{channel_id}/messages"), MESSAGE_SEND),
    (*_route("PATCH", "/channels/{channel_id}/messages/{m}"), MESSAGE_EDIT),
    (*_route("DELETE", "/channels/{channel_id}/messages/{m}"), Rule("message-delete", 5, 1.0)),
    (*_route("POST", "/channels/{channel_id}/messages/bulk-delete"), Rule("bulk-delete", 1, 1.0)),
    (*_route("POST", "/channels/{channel_id}/threads"), Rule("thread-create", 5, 5.0)),
    (*_route("POST", "/channels/{channel_id}/messages/{m}/threads"), Rule("thread-create", 5, 5.0)),
    (*_route("PATCH DELETE", "/channels/{channel_id}"), Rule("channel-edit", 5, 5.0)),
    (*_route("GET", "/channels/{channel_id}/messages"), Rule("message-history", 5, 1.0)),
    (*_route("GET", "/channels/{channel_id}/messages/{m}"), Rule("message-get", 5, 1.0)),
    (*_route("PUT DELETE", "/channels/{channel_id}/pins/{m}"), Rule("pins", 5, 5.0)),
    (*_route("PUT DELETE", "/channels/{channel_id}/messages/pins/{m}"), Rule("pins", 5, 5.0)),
    (*_route("POST", "/users/@me/channels"), Rule("dm-create", 10, 1.0)),
    (*_route("GET POST PATCH DELETE", "/guilds/{guild_id}/emojis"), EMOJIS),
    (*_route("GET PATCH DELETE", "/guilds/{guild_id}/emojis/{emoji}"), EMOJIS),
    (*_route("POST PATCH DELETE", "/guilds/{guild_id}/scheduled-events"), Rule("events", 5, 5.0)),
    (*_route("POST PATCH DELETE", "/guilds/{guild_id}/scheduled-events/{e}"), Rule("events", 5, 5.0)),
    (*_route("PUT POST DELETE", "/applications/{a}/guilds/{guild_id}/commands"), Rule("commands", 5, 20.0)),
    (*_route("PUT POST DELETE", "/applications/{a}/commands"), Rule("commands", 5, 20.0)),
    (*_route("POST", "/interactions/{webhook_id}/{webhook_token}/callback"), Rule("interaction", 5, 1.0)),
    (*_route("POST", "/webhooks/{webhook_id}/{webhook_token}"), Rule("webhook-send", 5, 2.0)),
    (*_route("PATCH DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{m}"), WEBHOOK_EDIT),
    (*_route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{m}"), Rule("webhook-get", 5, 1.0)),
]
DEFAULT_LIMIT, DEFAULT_WINDOW = 10, 1.0  # any other route: its own bucket per method and template
PRUNE_ABOVE = 4096  # idle windows are forgotten once there are this many (one per interaction token)
PARAMETER = re.compile(r"/[0-9]+(?=/|$)")

# Interaction endpoints are not bound to the global limit (documented).
INTERACTION_PATHS = (re.compile(r"^/interactions/"), re.compile(r"^/webhooks/[0-9]+/[^/]+"))


@dataclass(frozen=True)
class Verdict:
    """What the model decided for one request: its headers, and a 429 body if it is refused."""

    headers: dict[str, str]
    refused: dict[str, object] | None = None
    scope: str | None = None


@dataclass
class Window:
    reset_at: float  # monotonic
    used: int


@dataclass
class RateLimits:
    """The buckets of one emulator. ``pace`` scales every window (1.0: Discord's real pace)."""

    pace: float
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    windows: dict[tuple[str, str], Window] = field(default_factory=dict)
    answered: Counter[str] = field(default_factory=Counter)  # 429s answered, by scope
    refusals: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, scope)
    requests: int = 0
    invalid: list[float] = field(default_factory=list)  # times of 401/403/non-shared 429 answers

    # -- the model ------------------------------------------------------------------------------

    @staticmethod
    def rule_for(method: str, path: str) -> tuple[Rule, str]:
        """The bucket a request falls in and its top-level resource (``""`` when it has none)."""
        for methods, pattern, rule in RULES:
            if method in methods:
                found = pattern.match(path)
                if found:
                    return rule, _resource(found.groupdict())
        template = PARAMETER.sub("/{id}", path)
        parts = path.strip("/").split("/")
        resource = f"{parts[0]}:{parts[1]}" if len(parts) > 1 and parts[0] in ("channels", "guilds") else ""
        return Rule(f"{method} {template}", DEFAULT_LIMIT, DEFAULT_WINDOW), resource

    def check(self, method: str, path: str, *, authed: bool = True) -> Verdict:
        """Decide one request arriving now, and count it if it is let through."""
        now = self.clock()
        self.requests += 1
        rule, resource = self.rule_for(method, path)
        if authed and not any(p.match(path) for p in INTERACTION_PATHS):
            held = self._take(("global", ""), GLOBAL_LIMIT, GLOBAL_WINDOW, now)
            if held is not None:
                return self._refuse_global(method, path, held, now)
        window = self._window((rule.hash, resource), rule.window, now)
        if window.used >= rule.limit:
            return self._refuse(method, path, rule, window, now)
        window.used += 1
        return Verdict(self._headers(rule, window, now))

    def check_rename(self, method: str, path: str, body: object, headers: dict[str, str]) -> Verdict | None:
        """A 429 for a third name or topic change of a channel within ten minutes (``headers``: the route
        bucket's, which is all Discord shows); None lets the request through, counted."""
        found = CHANNEL_PATH.match(path)
        if method != "PATCH" or found is None or not isinstance(body, dict):
            return None
        if not any(name in body for name in RENAMED_FIELDS):
            return None
        now = self.clock()
        window = self._window((RENAMES.hash, f"channel_id:{found['channel_id']}"), RENAMES.window, now)
        if window.used < RENAMES.limit:
            window.used += 1
            return None
        return self._refuse(method, path, RENAMES, window, now, shown=headers)

    def _window(self, key: tuple[str, str], window: float, now: float) -> Window:
        current = self.windows.get(key)
        if current is None or now >= current.reset_at:
            if len(self.windows) > PRUNE_ABOVE:
                self.windows = {k: w for k, w in self.windows.items() if now < w.reset_at}
            current = self.windows[key] = Window(now + window * self.pace, 0)
        return current

    def _take(self, key: tuple[str, str], limit: int, window: float, now: float) -> Window | None:
        """Count one request in ``key``'s window; the exhausted window if there is no room."""
        current = self._window(key, window, now)
        if current.used >= limit:
            return current
        current.used += 1
        return None

    def _headers(self, rule: Rule, window: Window, now: float) -> dict[str, str]:
        reset_after = _ceil_ms(window.reset_at - now)
        return {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(max(rule.limit - window.used, 0)),
            "X-RateLimit-Reset": f"{self.wall() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": rule.hash,
        }

    def _refuse(
        self,
        method: str,
        path: str,
        rule: Rule,
        window: Window,
        now: float,
        shown: dict[str, str] | None = None,
    ) -> Verdict:
        """A 429 for ``rule``'s exhausted ``window``; ``shown``: the bucket headers Discord sends instead of
        the rule's own (a limit it does not show, as on renames)."""
        retry_after = _ceil_ms(window.reset_at - now)
        headers = dict(shown) if shown is not None else self._headers(rule, window, now)
        headers.update(
            {
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Scope": rule.scope,
                "Via": "1.1 google",
            }
        )
        shared = rule.scope == "shared"
        message = "The resource is being rate limited." if shared else "You are being rate limited."
        body = {"message": message, "retry_after": retry_after, "global": False, "code": 0}
        self._count(method, path, rule.scope, now)
        return Verdict(headers, body, rule.scope)

    def _refuse_global(self, method: str, path: str, window: Window, now: float) -> Verdict:
        retry_after = _ceil_ms(window.reset_at - now)
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
            "Via": "1.1 google",
        }
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": True}
        body["code"] = 0
        self._count(method, path, "global", now)
        return Verdict(headers, body, "global")

    def _count(self, method: str, path: str, scope: str, now: float) -> None:
        self.answered[scope] += 1
        self.refusals.append((method, path, scope))
        if scope != "shared":
            self.invalid_request(now)

    def invalid_request(self, now: float | None = None) -> None:
        """Count a 401, 403 or (not shared) 429 towards the invalid-request limit."""
        now = self.clock() if now is None else now
        self.invalid.append(now)
        horizon = now - INVALID_WINDOW * self.pace
        while self.invalid and self.invalid[0] < horizon:
            self.invalid.pop(0)

    # -- what tests read ------------------------------------------------------------------------

    @property
    def total_429(self) -> int:
        return sum(self.answered.values())

    @property
    def invalid_requests(self) -> int:
        """Invalid requests in the last 10 minutes (scaled); Discord bans an IP past 10,000."""
        return len(self.invalid)

    def summary(self) -> str:
        scopes = ", ".join(f"{scope} {count}" for scope, count in sorted(self.answered.items())) or "none"
        return f"{self.requests} requests at pace {self.pace:g}, 429s answered: {scopes}"


def _resource(params: dict[str, str]) -> str:
    for name in ("channel_id", "guild_id"):
        if name in params:
            return f"{name}:{params[name]}"
    if "webhook_id" in params:
        return f"webhook:{params['webhook_id']}:{params.get('webhook_token', '')}"
    return ""


def _ceil_ms(seconds: float) -> float:
    """Rounded up to the millisecond: a client waiting this long never arrives early."""
    return max(math.ceil(seconds * 1000 - 1e-9), 0) / 1000


# -- the default for emulators created from now on (tests turn pacing on for a whole suite) -------

_default_pace: float | None = None


def default_pace() -> float | None:
    return _default_pace


def set_default_pace(pace: float | None) -> float | None:
    """Emulators created from now on model rate limits at ``pace`` (None: no limits); returns the old."""
    global _default_pace
    previous, _default_pace = _default_pace, pace
    return previous
