"""Discord's published request rules, as the fake API enforces them.

Each check returns the `errors` object of Discord's "Invalid Form Body" answer (code
50035): a tree keyed by the path of the offending value, `_errors` at its leaves, each
with Discord's error code and message. An empty dict means the body is valid.
Limits: https://discord.com/developers/docs/resources/message (embed limits, components),
.../resources/channel (threads), .../interactions/application-commands (naming).
"""

from __future__ import annotations

import re
from typing import Any

EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
NONCE_MAX = 25
ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
THREAD_NAME_MAX = 100
ROWS_MAX = 5
ROW_ITEMS_MAX = 5
CUSTOM_ID_MAX = 100
LABEL_MAX = 80
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
OPTIONS_MAX = 25
CHOICES_MAX = 25
DESCRIPTION_MAX = 100
MENTION_KINDS = frozenset({"roles", "users", "everyone"})

Errors = dict[str, Any]


def _put(errors: Errors, path: list[str | int], code: str, message: str) -> None:
    node = errors
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _max_len(errors: Errors, path: list[str | int], value: object, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        _put(errors, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _embed_size(embed: dict[str, Any]) -> int:
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    n += len((embed.get("footer") or {}).get("text") or "")
    n += len((embed.get("author") or {}).get("name") or "")
    n += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields", []))
    return n


def message_errors(body: dict[str, Any]) -> Errors:
    """The errors of a create-message body (channel message, webhook or follow-up)."""
    errors: Errors = {}
    _max_len(errors, ["content"], body.get("content"), CONTENT_MAX)
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        _put(errors, ["nonce"], "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        _put(errors, ["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    for i, embed in enumerate(embeds):
        where: list[str | int] = ["embeds", i]
        _max_len(errors, [*where, "title"], embed.get("title"), 256)
        _max_len(errors, [*where, "description"], embed.get("description"), 4096)
        _max_len(errors, [*where, "footer", "text"], (embed.get("footer") or {}).get("text"), 2048)
        _max_len(errors, [*where, "author", "name"], (embed.get("author") or {}).get("name"), 256)
        url = embed.get("url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            _put(errors, [*where, "url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            _put(
                errors, [*where, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        for j, f in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = f.get(key)
                if not value:
                    _put(
                        errors,
                        [*where, "fields", j, key],
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )
                _max_len(errors, [*where, "fields", j, key], value, limit)
    if sum(_embed_size(e) for e in embeds) > EMBED_TOTAL_MAX:
        _put(
            errors, ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    _components(errors, body.get("components") or [])
    _allowed_mentions(errors, body.get("allowed_mentions"))
    empty = not (body.get("content") or embeds or body.get("components"))
    if empty and not (body.get("attachments") or body.get("flags")):
        _put(errors, [], "50006", "Cannot send an empty message")
    return errors


def _components(errors: Errors, rows: list[dict[str, Any]]) -> None:
    if len(rows) > ROWS_MAX:
        _put(errors, ["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            _put(
                errors,
                ["components", i, "type"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "Not an action row",
            )
            continue
        items = row.get("components") or []
        if not 1 <= len(items) <= ROW_ITEMS_MAX:
            _put(
                errors,
                ["components", i, "components"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            )
        for j, item in enumerate(items):
            where: list[str | int] = ["components", i, "components", j]
            _max_len(errors, [*where, "label"], item.get("label"), LABEL_MAX)
            if item.get("style") == 5:
                continue  # a link button has a url, not a custom id
            cid = item.get("custom_id")
            if not isinstance(cid, str) or not cid:
                _put(errors, [*where, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
                continue
            _max_len(errors, [*where, "custom_id"], cid, CUSTOM_ID_MAX)
            if cid in seen:
                _put(
                    errors,
                    [*where, "custom_id"],
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(cid)


def _allowed_mentions(errors: Errors, mentions: Any) -> None:
    if mentions is None:
        return
    parse = mentions.get("parse") or []
    for kind in parse:
        if kind not in MENTION_KINDS:
            _put(
                errors,
                ["allowed_mentions", "parse"],
                "ENUM_TYPE_COERCE",
                f"Value {kind!r} is not a valid enum value.",
            )
    for kind in ("roles", "users"):
        if kind in parse and mentions.get(kind):
            _put(
                errors,
                ["allowed_mentions", kind],
                "MUTUALLY_EXCLUSIVE",
                f"parse:[{kind}] and {kind}: [ids] are mutually exclusive.",
            )
        if len(mentions.get(kind) or []) > 100:
            _put(
                errors,
                ["allowed_mentions", kind],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            )


def thread_errors(body: dict[str, Any]) -> Errors:
    """The errors of a start-thread body."""
    errors: Errors = {}
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= THREAD_NAME_MAX:
        _put(errors, ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        _put(
            errors,
            ["auto_archive_duration"],
            "BASE_TYPE_CHOICES",
            "Value must be one of {60, 1440, 4320, 10080}.",
        )
    return errors


def command_errors(commands: list[dict[str, Any]]) -> Errors:
    """The errors of a bulk-overwrite of application commands."""
    errors: Errors = {}
    for i, cmd in enumerate(commands):
        _command(errors, [i], cmd)
    return errors


def _command(errors: Errors, where: list[str | int], cmd: dict[str, Any]) -> None:
    name = cmd.get("name", "")
    if not COMMAND_NAME.fullmatch(name) or name != name.lower():
        _put(
            errors, [*where, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
        )
    description = cmd.get("description", "")
    if not 1 <= len(description) <= DESCRIPTION_MAX:
        _put(
            errors,
            [*where, "description"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        )
    options = cmd.get("options") or []
    if len(options) > OPTIONS_MAX:
        _put(errors, [*where, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    optional_seen = False
    for j, opt in enumerate(options):
        if opt.get("type") in (1, 2):  # a subcommand (group)
            _command(errors, [*where, "options", j], opt)
            continue
        if opt.get("required"):
            if optional_seen:
                _put(
                    errors,
                    [*where, "options", j],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        _command(errors, [*where, "options", j], {**opt, "options": []})
        choices = opt.get("choices") or []
        if len(choices) > CHOICES_MAX:
            _put(
                errors,
                [*where, "options", j, "choices"],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            )
        for k, choice in enumerate(choices):
            if not 1 <= len(choice.get("name", "")) <= 100:
                _put(
                    errors,
                    [*where, "options", j, "choices", k, "name"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )


def invalid_form_body(errors: Errors) -> dict[str, Any]:
    """Discord's answer to a body that breaks a rule (HTTP 400)."""
    return {"code": 50035, "errors": errors, "message": "Invalid Form Body"}
