"""Helpers for the reader tests: write a file, read it, expect one article or one
rejection."""

from __future__ import annotations

from pathlib import Path

from bot.ingest.readers import read_file
from handlers.model import RawArticle, Rejected


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def only(path: Path, **kwargs: int) -> RawArticle | Rejected:
    items = list(read_file(path, **kwargs))
    assert len(items) == 1, items
    return items[0]


def article(path: Path) -> RawArticle:
    item = only(path)
    assert isinstance(item, RawArticle), item
    return item


def rejected(path: Path, **kwargs: int) -> Rejected:
    item = only(path, **kwargs)
    assert isinstance(item, Rejected), item
    return item


BODY_EN = (
    "The first paragraph of the body talks about a model release.\n\n"
    "A second paragraph adds context about licences and weights."
)
