"""Reading articles from files and folders: the public entry of the readers.

This package turns what a user hands to ``grokwatch ingest`` (or what ships in
``bot/corpus/``, :data:`CORPUS_DIR`) into :class:`RawArticle` objects, and everything it
cannot use into :class:`Rejected` records that say, in one sentence, what is wrong and
what to do about it. Nothing here raises on bad input: one bad file never stops a batch.

Here: :func:`read_paths` (files and folders), :func:`read_file`, :func:`read_corpus`, and
which extension goes to which reader (:data:`SUPPORTED_EXTENSIONS`):

* ``.txt``, ``.md`` -- :mod:`~bot.ingest.readers.text_reader` (titles, junk lines,
  front matter, markdown);
* ``.html``, ``.htm`` -- :mod:`~bot.ingest.readers.html_reader` (trafilatura, the one
  HTML-to-text path, also used for web pages);
* ``.json``, ``.jsonl`` -- :mod:`~bot.ingest.readers.json_reader`.

Opening, size cap, binary sniffing and decoding are in :mod:`~bot.ingest.readers.files`;
dates, languages and metadata fields in :mod:`~bot.ingest.readers.metadata`; the
rejection texts in :mod:`~bot.ingest.readers.messages`. The package does not read
settings: callers pass ``max_bytes`` (the CLI takes it from ``GROKWATCH_MAX_FILE_BYTES``).
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Final

from bot.ingest.readers.files import load_text, stat_entry, walk
from bot.ingest.readers.html_reader import read_html
from bot.ingest.readers.json_reader import read_json, read_jsonl
from bot.ingest.readers.messages import MSG_OUTSIDE, MSG_READER_FAILED, MSG_UNSUPPORTED
from bot.ingest.readers.text_reader import read_text
from handlers.model import RawArticle, Rejected

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES: Final = 5_000_000
"""Files larger than this are rejected unread (overridable per call)."""

CORPUS_DIR: Final = Path(str(resources.files("bot") / "corpus"))
"""The sample corpus shipped with the package (see :func:`read_corpus`)."""

Reader = Callable[[str, str], Iterable[RawArticle | Rejected]]
"""A format reader: (the file's cleaned text, its path) -> its articles and rejections."""


def _one(read: Callable[[str, str], RawArticle | Rejected]) -> Reader:
    return lambda text, where: [read(text, where)]


_READERS: Final[dict[str, Reader]] = {
    ".txt": _one(partial(read_text, markdown=False)),
    ".text": _one(partial(read_text, markdown=False)),
    ".md": _one(partial(read_text, markdown=True)),
    ".markdown": _one(partial(read_text, markdown=True)),
    ".html": _one(read_html),
    ".htm": _one(read_html),
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
}
_KINDS: Final = {".json": "JSON", ".jsonl": "JSON lines", ".ndjson": "JSON lines"}
HTML_EXTENSIONS: Final = frozenset({".html", ".htm"})
SUPPORTED_EXTENSIONS: Final = frozenset(_READERS)


def read_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawArticle | Rejected]:
    """Read the articles in one file (a folder is walked as by :func:`read_paths`).

    Yields one :class:`RawArticle` per article found (JSON files may hold many)
    and a :class:`Rejected` for everything unusable. Never raises on bad input.
    """
    info = stat_entry(path)
    if isinstance(info, Rejected):
        yield info
        return
    if stat.S_ISDIR(info.st_mode):
        yield from read_paths([path], max_bytes=max_bytes)
        return
    ext = path.suffix.lower()
    reader = _READERS.get(ext)
    if reader is None:
        yield Rejected(str(path), MSG_UNSUPPORTED.format(ext=ext or "(no extension)"))
        return
    text = load_text(path, info, max_bytes=max_bytes, html=ext in HTML_EXTENSIONS)
    if isinstance(text, Rejected):
        yield text
        return
    try:
        yield from reader(text, str(path))
    except (RecursionError, ValueError, TypeError, LookupError, OverflowError) as exc:
        # the readers reject what they know to be malformed; this is the net under them,
        # so one file a reader cannot cope with never stops the batch
        logger.warning("reader of %s failed: %s: %s", path, type(exc).__name__, exc)
        kind = _KINDS.get(ext, ext)
        yield Rejected(str(path), MSG_READER_FAILED.format(kind=kind, error=type(exc).__name__))


def _inside(path: Path, root: Path) -> bool:
    """True when the real path of ``path`` (symbolic links followed) is in ``root``."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError, ValueError):
        return False


def read_paths(
    paths: Iterable[Path], *, max_bytes: int = DEFAULT_MAX_BYTES, root: Path | None = None
) -> Iterator[RawArticle | Rejected]:
    """Read files and folders (recursively, sorted; hidden entries skipped).

    A missing path yields a :class:`Rejected` saying so; a file reached twice
    (given and also inside a given folder) is read once. With ``root`` (chat ingestion),
    only what really is inside that folder is read, symbolic links followed: anything
    else is refused before it is looked at, with the same reason whether it exists or
    not.
    """
    real_root = root.resolve() if root is not None else None
    seen: set[str] = set()
    for given in paths:
        path = Path(given)
        if real_root is not None and not _inside(path, real_root):
            yield Rejected(str(path), MSG_OUTSIDE)
            continue
        try:
            is_dir = path.is_dir()
        except (OSError, ValueError):
            is_dir = False
        for candidate in walk(path) if is_dir else [path]:
            if real_root is not None and not _inside(candidate, real_root):
                yield Rejected(str(candidate), MSG_OUTSIDE)  # a link out of the folder
                continue
            try:
                key = str(candidate.resolve())
            except (OSError, RuntimeError, ValueError):
                key = str(candidate)
            if key in seen:
                logger.debug("skipping %s, already read", candidate)
                continue
            seen.add(key)
            for item in read_file(candidate, max_bytes=max_bytes):
                if isinstance(item, Rejected):
                    logger.debug("rejected %s: %s", item.where, item.reason)
                yield item


def read_corpus(*, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawArticle | Rejected]:
    """Read the sample corpus shipped in ``bot/corpus/``."""
    return read_paths([CORPUS_DIR], max_bytes=max_bytes)


__all__ = [
    "CORPUS_DIR",
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_EXTENSIONS",
    "read_corpus",
    "read_file",
    "read_paths",
]
