"""Slack's published request rules, as the fake Web API enforces them.

Blocks are parsed with slack_sdk's own models and checked with their `validate_json`
(the SDK's encoding of the Block Kit limits), plus the limits the models do not check
(block and element counts, block ids unique in a message and action ids in a block,
the length of a button's value). Each check
returns Slack's answer to a bad request (`{"ok": false, "error": ...}`, with the
`errors` and `response_metadata.messages` lists that `invalid_blocks` carries), or None
when the request is valid.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

TEXT_MAX = 40_000  # chat.postMessage `text` (longer: msg_too_long)
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
BUTTON_VALUE_MAX = 2000
BUTTON_TEXT_MAX = 75
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
EVENT_TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")

Answer = dict[str, Any]


def _bad(error: str, problems: list[str] | None = None) -> Answer:
    answer: Answer = {"ok": False, "error": error}
    if problems:
        answer["errors"] = problems
        answer["response_metadata"] = {"messages": [f"[ERROR] {p}" for p in problems]}
    return answer


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def block_problems(blocks: Any, *, limit: int = MESSAGE_BLOCKS_MAX) -> list[str]:
    """What is wrong with a list of blocks, as Slack words it ([]: nothing)."""
    blocks = _decode(blocks)
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"must be less than {limit + 1} items [json-pointer:/blocks]")
    block_ids: set[str] = set()
    for i, raw in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(raw, dict):
            problems.append(f"must be an object {where}")
            continue
        try:
            block = Block.parse(raw)
            if block is None:
                raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
            block.validate_json()
        except (SlackObjectFormationError, TypeError, KeyError) as exc:
            problems.append(f"{exc} {where}")
        problems += _limits(raw, where, block_ids)
    return problems


def _text_of(obj: Any) -> str:
    return str((obj or {}).get("text") or "") if isinstance(obj, dict) else ""


def _limits(raw: dict[str, Any], where: str, block_ids: set[str]) -> list[str]:
    problems: list[str] = []
    block_id = raw.get("block_id")
    if block_id is not None:
        if len(str(block_id)) > BLOCK_ID_MAX:
            problems.append(f"block_id must be at most {BLOCK_ID_MAX} characters {where}")
        if block_id in block_ids:
            problems.append(f"block_id {block_id!r} is not unique {where}")
        block_ids.add(str(block_id))
    kind = raw.get("type")
    if kind == "section":
        if len(_text_of(raw.get("text"))) > SECTION_TEXT_MAX:
            problems.append(f"must be less than {SECTION_TEXT_MAX + 1} characters {where}/text")
        fields = raw.get("fields") or []
        if len(fields) > SECTION_FIELDS_MAX:
            problems.append(f"must be less than {SECTION_FIELDS_MAX + 1} items {where}/fields")
        for j, f in enumerate(fields):
            if len(_text_of(f)) > FIELD_TEXT_MAX:
                problems.append(f"must be less than 2001 characters {where}/fields/{j}")
        if not raw.get("text") and not fields:
            problems.append(f"section needs text or fields {where}")
    elif kind == "header":
        if len(_text_of(raw.get("text"))) > HEADER_TEXT_MAX:
            problems.append(f"must be less than {HEADER_TEXT_MAX + 1} characters {where}/text")
    elif kind == "context":
        if len(raw.get("elements") or []) > CONTEXT_ELEMENTS_MAX:
            problems.append(f"must be less than 11 items {where}/elements")
    elif kind == "actions":
        action_ids: set[str] = set()  # an action_id is unique within its block
        elements = raw.get("elements") or []
        if not 1 <= len(elements) <= ACTIONS_ELEMENTS_MAX:
            problems.append(f"must hold 1 to {ACTIONS_ELEMENTS_MAX} items {where}/elements")
        for j, el in enumerate(elements):
            at = f"{where}/elements/{j}"
            action_id = str(el.get("action_id") or "")
            if len(action_id) > ACTION_ID_MAX:
                problems.append(f"action_id must be at most {ACTION_ID_MAX} characters {at}")
            if action_id and action_id in action_ids:
                problems.append(f"action_id {action_id!r} is not unique {at}")
            action_ids.add(action_id)
            if el.get("type") == "button":
                if len(str(el.get("value") or "")) > BUTTON_VALUE_MAX:
                    problems.append(
                        f"must be less than {BUTTON_VALUE_MAX + 1} characters {at}/value"
                    )
                if len(_text_of(el.get("text"))) > BUTTON_TEXT_MAX:
                    problems.append(f"must be less than {BUTTON_TEXT_MAX + 1} characters {at}/text")
    return problems


def metadata_problem(metadata: Any) -> Answer | None:
    """Slack's answer to message metadata without a valid event_type and event_payload."""
    if metadata is None:
        return None
    metadata = _decode(metadata)
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not EVENT_TYPE.fullmatch(metadata["event_type"])
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        return _bad("invalid_metadata_format")
    return None


def message_problem(args: dict[str, Any], *, needs_channel: bool = True) -> Answer | None:
    """Slack's answer to a chat.postMessage / chat.postEphemeral / response_url body that
    breaks a rule; None when it is valid."""
    if needs_channel and not args.get("channel"):
        return _bad("channel_not_found")
    text = args.get("text")
    blocks = args.get("blocks")
    if not text and not blocks and not args.get("attachments"):
        return _bad("no_text")
    if isinstance(text, str) and len(text) > TEXT_MAX:
        return _bad("msg_too_long")
    if blocks is not None:
        problems = block_problems(blocks)
        if problems:
            return _bad("invalid_blocks", problems)
    return metadata_problem(args.get("metadata"))


def view_problem(args: dict[str, Any]) -> Answer | None:
    """Slack's answer to a views.publish whose view breaks a rule."""
    view = _decode(args.get("view"))
    if not isinstance(view, dict) or view.get("type") not in ("home", "modal"):
        return _bad("invalid_arguments", ["view must be an object with a type"])
    problems = block_problems(view.get("blocks") or [], limit=VIEW_BLOCKS_MAX)
    return _bad("invalid_arguments", problems) if problems else None
