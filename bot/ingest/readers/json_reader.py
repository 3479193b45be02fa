"""JSON articles: one object as an article (:func:`parse_json_article`, also what the
ingest HTTP API reads), and the ``.json`` (one object, a list of objects, or
``{"articles": [...]}``) and ``.jsonl`` (one object per line) files that hold them.

A bad item or line is rejected with its number and the batch goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final

from bot.ingest.readers.files import clean_text
from bot.ingest.readers.messages import (
    MSG_BAD_JSON_FILE,
    MSG_BLANK,
    MSG_EMPTY_JSON,
    MSG_JSON_NUMBER,
    MSG_JSON_TOO_DEEP,
)
from bot.ingest.readers.metadata import InputError, json_type, meta_from_mapping
from bot.ingest.readers.text_reader import split_title_body
from handlers.model import RawArticle, Rejected

_TEXT_FIELDS: Final = ("text", "body", "content")


class Unreadable(ValueError):
    """JSON that cannot be decoded; the message is the reason, without any place."""


def loads(text: str) -> object:
    """``json.loads`` whose every failure on hostile input (bad syntax, nesting deep enough
    to exhaust the stack, an integer past Python's digit limit) is a ``json.JSONDecodeError``
    or :class:`Unreadable`, never another exception."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise Unreadable(MSG_JSON_TOO_DEEP) from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise Unreadable(MSG_JSON_NUMBER.format(error=str(exc).split(":", 1)[0])) from None


def parse_json_article(obj: object, where: str) -> RawArticle | Rejected:
    """Read one decoded JSON object as an article.

    Fields: ``text`` (required; ``body`` or ``content`` accepted), ``title``
    (``headline``; derived from the text when missing), ``url`` (``link``),
    ``published_at`` (``date``, ``published``, ``publishedAt``: ISO 8601, a date,
    or epoch seconds), ``source`` (a string, or ``{"name": ...}``), ``lang``
    (``language``). Unknown fields are ignored. The returned rejection's reason
    does not repeat ``where``; callers reading files prefix the line number.
    """
    if not isinstance(obj, dict):
        return Rejected(where, f"expected a JSON object with at least 'text', got {json_type(obj)}")
    raw_text: object = None
    for name in _TEXT_FIELDS:
        if obj.get(name) is not None:
            raw_text = obj[name]
            break
    if raw_text is None:
        return Rejected(where, "missing 'text' (the article body; 'body' or 'content' also work)")
    if not isinstance(raw_text, str):
        return Rejected(where, f"'text' must be a string, got {json_type(raw_text)}")
    text = clean_text(raw_text)
    if not text:
        return Rejected(where, "'text' is empty")
    try:
        meta = meta_from_mapping(obj)
    except InputError as exc:
        return Rejected(where, str(exc))
    if meta.title:
        title = " ".join(meta.title.split())
    else:
        title, text = split_title_body(text, meta, markdown=False)
        if not text:
            return Rejected(where, "'text' holds only a title line; no article body")
    return meta.article(title, text, path=None)


def _in_file(item: RawArticle | Rejected, path: str, label: str) -> RawArticle | Rejected:
    """``item`` as read from the file ``path``: an article gets the path, a rejection
    the place (``label``) in the file."""
    if isinstance(item, RawArticle):
        item.path = path
    else:
        item.reason = f"{label}: {item.reason}"
    return item


def read_json(text: str, where: str) -> Iterator[RawArticle | Rejected]:
    """The articles of a ``.json`` file's ``text``."""
    try:
        data = loads(text)
    except json.JSONDecodeError as exc:
        error = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        yield Rejected(where, MSG_BAD_JSON_FILE.format(error=error))
        return
    except Unreadable as exc:
        yield Rejected(where, str(exc))
        return
    if isinstance(data, dict) and not any(k in data for k in _TEXT_FIELDS):
        for key in ("articles", "items"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list):
        yield _in_file(parse_json_article(data, where), where, "JSON")
        return
    if not data:
        yield Rejected(where, MSG_EMPTY_JSON)
        return
    for number, obj in enumerate(data, start=1):
        item = parse_json_article(obj, f"{where}#{number}")
        yield _in_file(item, where, f"JSON item {number}")


def read_jsonl(text: str, where: str) -> Iterator[RawArticle | Rejected]:
    """The articles of a ``.jsonl`` file's ``text``, one object a line."""
    seen_any = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        seen_any = True
        line_where = f"{where}#{number}"
        try:
            obj = loads(line)
        except json.JSONDecodeError as exc:
            reason = f"JSON line {number}: not valid JSON (column {exc.colno}: {exc.msg})"
            yield Rejected(line_where, reason)
            continue
        except Unreadable as exc:
            yield Rejected(line_where, f"JSON line {number}: {exc}")
            continue
        yield _in_file(parse_json_article(obj, line_where), where, f"JSON line {number}")
    if not seen_any:
        yield Rejected(where, MSG_BLANK)
