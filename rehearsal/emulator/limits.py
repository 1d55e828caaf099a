"""Discord's documented limits, checked on request bodies; violations raise ``ApiError``."""

from __future__ import annotations

import re
from typing import Any

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class ApiError(Exception):
    """An error answer in Discord's JSON shape."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
            body["global"] = False
        return body


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def not_found(what: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


class FormErrors:
    """Collects field errors, then raises one 400 50035 "Invalid Form Body"."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: str, code: str, message: str) -> None:
        node = self.errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def length(self, path: str, value: Any, low: int, high: int) -> None:
        if value is None:
            if low > 0:
                self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return
        size = len(value)
        if not low <= size <= high:
            self.add(
                path,
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between {low} and {high} in length.",
            )

    def at_most(self, path: str, items: Any, high: int) -> None:
        if items is not None and len(items) > high:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError(400, 50035, "Invalid Form Body", self.errors)


def check_embeds(form: FormErrors, embeds: list[dict[str, Any]] | None) -> None:
    if not embeds:
        return
    form.at_most("embeds", embeds, 10)
    total = 0
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        for key, high in (("title", 256), ("description", 4096)):
            if embed.get(key) is not None:
                form.length(f"{p}.{key}", embed[key], 0, high)
                total += len(embed[key])
        fields = embed.get("fields") or []
        form.at_most(f"{p}.fields", fields, 25)
        for j, fld in enumerate(fields):
            form.length(f"{p}.fields.{j}.name", fld.get("name"), 1, 256)
            form.length(f"{p}.fields.{j}.value", fld.get("value"), 1, 1024)
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
        footer = (embed.get("footer") or {}).get("text")
        if footer is not None:
            form.length(f"{p}.footer.text", footer, 0, 2048)
            total += len(footer)
        author = (embed.get("author") or {}).get("name")
        if author is not None:
            form.length(f"{p}.author.name", author, 0, 256)
            total += len(author)
    if total > 6000:
        form.add("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def check_components(form: FormErrors, components: list[dict[str, Any]] | None) -> None:
    if not components:
        return
    form.at_most("components", components, 5)
    for i, row in enumerate(components):
        children = row.get("components") or []
        if row.get("type") == 1:
            buttons = [c for c in children if c.get("type") == 2]
            form.at_most(f"components.{i}.components", buttons, 5)
        for j, comp in enumerate(children):
            p = f"components.{i}.components.{j}"
            if comp.get("custom_id") is not None:
                form.length(f"{p}.custom_id", comp["custom_id"], 1, 100)
            if comp.get("type") == 2 and comp.get("label") is not None:
                form.length(f"{p}.label", comp["label"], 0, 80)
            if comp.get("options") is not None:
                form.at_most(f"{p}.options", comp["options"], 25)


def check_message(body: dict[str, Any], *, require_body: bool = True) -> None:
    form = FormErrors()
    content = body.get("content")
    if content is not None:
        form.length("content", content, 0, 2000)
    check_embeds(form, body.get("embeds"))
    check_components(form, body.get("components"))
    form.raise_if_any()


def check_files(files: list[tuple[str, bytes, str | None]]) -> None:
    for _name, data, _ in files:
        if len(data) > ATTACHMENT_SIZE_LIMIT:
            raise ApiError(413, 40005, "Request entity too large")


def check_modal(data: dict[str, Any]) -> None:
    form = FormErrors()
    form.length("data.title", data.get("title"), 1, 45)
    form.length("data.custom_id", data.get("custom_id"), 1, 100)
    rows = data.get("components") or []
    form.at_most("data.components", rows, 5)
    for i, row in enumerate(rows):
        items = row.get("components") or ([row["component"]] if row.get("component") else [])
        if row.get("type") == 18:  # a label: its text at most 45 characters, its description 100
            form.length(f"data.components.{i}.label", row.get("label"), 1, 45)
            if row.get("description") is not None:
                form.length(f"data.components.{i}.description", row["description"], 0, 100)
        if row.get("type") == 10:  # a text display
            form.length(f"data.components.{i}.content", row.get("content"), 1, 4000)
        for j, item in enumerate(items):
            p = f"data.components.{i}.components.{j}"
            if item.get("type") == 4:
                if item.get("label") is not None:
                    form.length(f"{p}.label", item["label"], 1, 45)
                if item.get("placeholder") is not None:
                    form.length(f"{p}.placeholder", item["placeholder"], 0, 100)
                if item.get("max_length") is not None and not 1 <= item["max_length"] <= 4000:
                    form.add(f"{p}.max_length", "NUMBER_TYPE_MAX", "Must be 4000 or less.")
            if item.get("custom_id") is not None:
                form.length(f"{p}.custom_id", item["custom_id"], 1, 100)
    form.raise_if_any()


def check_choices(choices: list[dict[str, Any]] | None, path: str = "data.choices") -> None:
    form = FormErrors()
    form.at_most(path, choices or [], 25)
    form.raise_if_any()


def check_commands(commands: list[dict[str, Any]], *, global_: bool) -> None:
    form = FormErrors()
    if len(commands) > 100:
        form.add("_", "APPLICATION_COMMANDS_TOO_MANY", "Maximum number of commands reached (100)")
    for i, cmd in enumerate(commands):
        _check_command(form, str(i), cmd)
    form.raise_if_any()


def _check_command(form: FormErrors, p: str, cmd: dict[str, Any]) -> None:
    name = cmd.get("name") or ""
    ctype = cmd.get("type", 1)
    if ctype == 1 and (not COMMAND_NAME.match(name) or name != name.lower()):
        form.add(f"{p}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if ctype == 1:
        form.length(f"{p}.description", cmd.get("description"), 1, 100)
    options = cmd.get("options") or []
    form.at_most(f"{p}.options", options, 25)
    for j, opt in enumerate(options):
        q = f"{p}.options.{j}"
        if opt.get("type") in (1, 2):
            _check_command(form, q, opt)
            continue
        oname = opt.get("name") or ""
        if not COMMAND_NAME.match(oname) or oname != oname.lower():
            form.add(f"{q}.name", "APPLICATION_COMMAND_INVALID_NAME", "Option name is invalid")
        form.length(f"{q}.description", opt.get("description"), 1, 100)
        form.at_most(f"{q}.choices", opt.get("choices"), 25)


def check_tags(form: FormErrors, tags: list[dict[str, Any]]) -> None:
    form.at_most("available_tags", tags, 20)
    for i, tag in enumerate(tags):
        form.length(f"available_tags.{i}.name", tag.get("name"), 1, 20)
