"""Reading articles from files and folders.

This module turns what a user hands to ``grokwatch ingest`` (or what ships in
``bot/corpus/``) into :class:`RawArticle` objects, and everything it cannot use
into :class:`Rejected` records that say, in one sentence, what is wrong and what
to do about it. Nothing here raises on bad input: one bad file never stops a
batch.

Supported inputs:

* ``.txt`` -- plain text. The title is the first meaningful line; junk that real
  copy-pasted articles carry before it (a ``date 2024-03`` token, "Passer au
  contenu" skip links, screenshot captions, ``(FILES)`` photo captions, markdown
  bold) is recognised and dropped. Optional YAML front matter.
* ``.md`` -- the same, plus a leading ``# Heading`` as the title.
* ``.html`` / ``.htm`` -- parsed with the standard library's ``html.parser``:
  metadata from ``<meta>`` tags, JSON-LD, ``<title>``, ``<h1>``, ``<time>``; body
  text from ``<article>``/``<main>``/``<body>`` minus navigation and boilerplate.
* ``.json`` (one object, a list of objects, or ``{"articles": [...]}``) and
  ``.jsonl`` (one object per line).

The module does not read settings: callers pass ``max_bytes`` (the CLI takes it
from ``GROKWATCH_MAX_FILE_BYTES``).
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final

import yaml

from handlers.model import RawArticle, Rejected, normalise_for_hash

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES: Final = 5_000_000
"""Files larger than this are rejected unread (overridable per call)."""

CORPUS_DIR: Final = Path(__file__).resolve().parent.parent / "corpus"
"""The sample corpus shipped with the package (see :func:`sample_corpus`)."""

TEXT_EXTENSIONS: Final = frozenset({".txt", ".text"})
MARKDOWN_EXTENSIONS: Final = frozenset({".md", ".markdown"})
HTML_EXTENSIONS: Final = frozenset({".html", ".htm"})
JSON_EXTENSIONS: Final = frozenset({".json"})
JSONL_EXTENSIONS: Final = frozenset({".jsonl", ".ndjson"})
SUPPORTED_EXTENSIONS: Final = (
    TEXT_EXTENSIONS | MARKDOWN_EXTENSIONS | HTML_EXTENSIONS | JSON_EXTENSIONS | JSONL_EXTENSIONS
)

TITLE_MAX_CHARS: Final = 160
"""A title cut from a paragraph is at most this long (ellipsis included)."""

LONG_LINE_CHARS: Final = 200
"""A first line longer than this is a paragraph, not a headline."""


def _words(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words of ``text`` (for long constant sets)."""
    return frozenset(text.split())


# --------------------------------------------------------------------------------------
# User-facing rejection texts, in one place.
# --------------------------------------------------------------------------------------

MSG_MISSING = "{path} does not exist; check the path (folders are read recursively)"
MSG_NOT_REGULAR = "not a regular file (a device, socket or pipe); give a file or a folder"
MSG_UNREADABLE = "cannot read the file: {error}"
MSG_EMPTY = "empty file"
MSG_BLANK = "empty file (only whitespace)"
MSG_TOO_BIG = "file is {size}, over the {limit} limit (GROKWATCH_MAX_FILE_BYTES)"
MSG_BINARY_MAGIC = "binary file (looks like {kind}); give the article as text, HTML or JSON"
MSG_BINARY_NUL = "binary file (contains NUL bytes); give the article as text, HTML or JSON"
MSG_UNDECODABLE = "not UTF-8 or Latin-1 text; save the file as UTF-8 and try again"
MSG_UNSUPPORTED = "unsupported file type {ext}; use .txt, .md, .html, .json or .jsonl"
MSG_NO_TEXT = "no article text found after parsing; the file holds no body text"
MSG_NO_TITLE_TEXT = "no article text found after parsing; only a title"
MSG_BAD_FRONT_MATTER = "front matter (the --- block at the top) is not valid YAML: {error}"
MSG_BAD_JSON_FILE = "not valid JSON ({error}); check the file, or use .jsonl for one object a line"
MSG_EMPTY_JSON = "JSON file holds no articles (an empty list)"

_MAGIC_NUMBERS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Office document"),
    (b"\x7fELF", "executable program"),
    (b"MZ\x90\x00", "Windows program"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg audio/video"),
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x00asm", "WebAssembly module"),
)


# --------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Normalisation, URLs, dates
# --------------------------------------------------------------------------------------

_WS_RE: Final = re.compile(r"\s+")
_YEAR_MONTH_RE: Final = re.compile(r"^(\d{4})-(\d{1,2})$")
_DIGITS_RE: Final = re.compile(r"^-?\d+(\.\d+)?$")


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _from_epoch(seconds: float) -> datetime | None:
    if abs(seconds) > 1e11:  # milliseconds, as JavaScript writes them
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_datetime(value: object) -> datetime | None:
    """Read a publication date; return a timezone-aware UTC datetime, or None.

    Accepts ``datetime``/``date`` objects, epoch seconds (or milliseconds), and
    strings: ISO 8601 (``2024-03-17``, ``2024-03-17T09:30:00Z``, with or without
    an offset), year-month (``2024-03``, read as the first of the month), digits
    (epoch) and RFC 2822 (``Sun, 17 Mar 2024 09:30:00 GMT``). A value without a
    zone is taken as UTC; one with a zone is converted to UTC.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _to_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _DIGITS_RE.match(text):
        return _from_epoch(float(text))
    match = _YEAR_MONTH_RE.match(text)
    if match:
        try:
            return datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)
        except ValueError:
            return None
    try:
        return _to_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return _to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def normalise_lang(value: object) -> str | None:
    """Return the primary language subtag, lowercased (``"fr-FR"`` -> ``"fr"``), or None."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value, unit = (size / 1_000_000, "MB") if size >= 1_000_000 else (size / 1000, "kB")
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


# --------------------------------------------------------------------------------------
# Bytes to text
# --------------------------------------------------------------------------------------


def _sniff_binary(data: bytes) -> str | None:
    """Return a rejection reason when ``data`` is clearly not text."""
    for magic, kind in _MAGIC_NUMBERS:
        if data.startswith(magic):
            return MSG_BINARY_MAGIC.format(kind=kind)
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        kinds = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}
        return MSG_BINARY_MAGIC.format(kind=kinds[data[8:12]])
    if data[4:8] == b"ftyp":
        return MSG_BINARY_MAGIC.format(kind="MP4/MOV video or HEIC image")
    if len(data) > 262 and data[257:262] == b"ustar":
        return MSG_BINARY_MAGIC.format(kind="tar archive")
    if b"\x00" in data:
        return MSG_BINARY_NUL
    return None


_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NON_ASCII_RE: Final = re.compile(r"[^\x00-\x7f\ufffd]")


def _looks_like_text(text: str) -> bool:
    """True when ``text`` has almost no control characters (C0 or C1)."""
    if not text:
        return False
    bad = sum(1 for _ in _CONTROL_RE.finditer(text))
    return bad <= max(2, len(text) // 200)


_CHARSET_RE: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode(data: bytes, *, html: bool = False) -> str | None:
    """Decode file bytes to text, or return None when they are not text.

    UTF-16 with a BOM and UTF-8 (with or without BOM) first; an HTML file's
    declared ``<meta charset>``; a mostly-UTF-8 file with a rare bad byte is read
    as UTF-8 with replacement; then Windows-1252, then Latin-1 -- each only if
    the result looks like text.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return text if _looks_like_text(text) else None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text if _looks_like_text(text) else None
    if html:
        match = _CHARSET_RE.search(data[:4096])
        if match:
            try:
                text = data.decode(match.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
            else:
                if _looks_like_text(text):
                    return text
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for _ in _NON_ASCII_RE.finditer(lenient))
    if good and bad * 3 <= good and _looks_like_text(lenient):
        logger.warning("%d invalid UTF-8 sequence(s) replaced", bad)
        return lenient
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    return None


def _clean_text(text: str) -> str:
    """Unify newlines, NFC-normalise, strip line ends, keep at most one blank line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------------------
# Plain text and markdown
# --------------------------------------------------------------------------------------

_DATE_TOKEN_RE: Final = re.compile(
    r"^\s*date\s*[:=]?\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?=\s|$)\s*", re.IGNORECASE
)
_SKIP_LINKS: Final = frozenset(
    {
        "passer au contenu",
        "passer au contenu principal",
        "aller au contenu",
        "aller au contenu principal",
        "aller à la navigation",
        "skip to content",
        "skip to main content",
        "skip to navigation",
        "jump to content",
        "menu",
    }
)
_SCREENSHOT_RE: Final = re.compile(
    r"^(capture d['’]\s?[ée]cran|screenshot|screen shot|screen capture)\b", re.IGNORECASE
)
_PHOTO_CAPTION_RE: Final = re.compile(
    r"^\((files?|archives?|photo|illustration)\)\s|^(cr[ée]dits? photo|photo credit)\s*:",
    re.IGNORECASE,
)
_HEADING_RE: Final = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT_RE: Final = re.compile(r"^(=+|-+)\s*$")
_EMPHASIS_RE: Final = re.compile(r"^(\*\*|__|\*|_)(.+)\1$")
_ABBREVIATIONS: Final = _words(
    "m mm mme mmes mlle dr pr st ste mr mrs ms jr sr etc cf vs inc corp ltd co no p av "
    "j.-c u.s e.g i.e fig vol art"
)
_SENT_BOUNDARY_RE: Final = re.compile(r"([.!?…]+)([»\"”’)\]]*)(\s+)")
_SENT_START_RE: Final = re.compile(r"[«\"“‘(\[]?\s?[A-ZÀ-ÖØ-Þ0-9]")


def _is_junk_line(line: str) -> bool:
    """True for boilerplate lines that are never part of an article."""
    folded = line.strip().strip("*_#> ").strip().casefold()
    if folded in _SKIP_LINKS:
        return True
    if _SCREENSHOT_RE.match(folded) and len(folded) <= 120:
        return True
    return bool(_PHOTO_CAPTION_RE.match(line.strip()))


def first_sentence(text: str) -> str:
    """Return the first sentence of ``text`` (all of it when there is one)."""
    for match in _SENT_BOUNDARY_RE.finditer(text):
        end = match.end(2)
        if not _SENT_START_RE.match(text, match.end()):
            continue
        if match.group(1) == ".":
            before = re.search(r"([\w.-]+)$", text[: match.start()])
            word = before.group(1).casefold() if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        return text[:end].strip()
    return text.strip()


def _sentence_count_at_least_two(text: str) -> bool:
    return first_sentence(text) != text.strip()


def shorten_title(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """Cut ``text`` at a word boundary to at most ``limit`` chars, ending with "…"."""
    text = _WS_RE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–—-") + "…"


def _title_from_paragraph(paragraph: str) -> str:
    sentence = first_sentence(paragraph)
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    return shorten_title(sentence)


def _clean_heading(line: str, *, markdown: bool) -> str:
    line = line.strip()
    heading = _HEADING_RE.match(line)
    if heading:
        line = heading.group(1)
    emphasis = _EMPHASIS_RE.match(line)
    if emphasis:
        line = emphasis.group(2).strip()
    if markdown:
        line = _strip_inline_markdown(line)
    return _WS_RE.sub(" ", line).strip()


_MD_IMAGE_RE: Final = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK_RE: Final = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_BOLD_RE: Final = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_CODE_RE: Final = re.compile(r"`([^`]+)`")


def _strip_inline_markdown(line: str) -> str:
    line = _MD_IMAGE_RE.sub("", line)
    line = _MD_LINK_RE.sub(r"\1", line)
    line = _MD_BOLD_RE.sub(r"\2", line)
    return _MD_CODE_RE.sub(r"\1", line)


def _markdown_body(text: str) -> str:
    out: list[str] = []
    for line in text.split("\n"):
        heading = _HEADING_RE.match(line.strip())
        if heading:
            line = heading.group(1)
        elif re.fullmatch(r"\s*([-*_]\s*){3,}", line):
            line = ""
        out.append(_strip_inline_markdown(line))
    return "\n".join(out)


@dataclass(slots=True)
class _Meta:
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    lang: str | None = None


class _InputError(Exception):
    """Internal: an input problem with a user-facing message."""


def _string_field(data: Mapping[str, Any], names: Iterable[str], label: str) -> str | None:
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _InputError(f"'{label}' must be a string, got {_json_type(value)}")
        value = value.strip()
        if value:
            return value
    return None


def _date_field(data: Mapping[str, Any], names: Iterable[str]) -> datetime | None:
    for name in names:
        value = data.get(name)
        if value is None or value == "":
            continue
        parsed = parse_datetime(value)
        if parsed is None:
            raise _InputError(
                f"'{name}' is not a date ({value!r}); use ISO 8601 such as 2024-03-17 "
                "or 2024-03-17T09:30:00Z, or epoch seconds"
            )
        return parsed
    return None


def _meta_from_mapping(data: Mapping[str, Any]) -> _Meta:
    source_value = data.get("source")
    if isinstance(source_value, Mapping):  # NewsAPI style {"id": ..., "name": ...}
        source = _string_field(source_value, ("name",), "source.name")
    else:
        source = _string_field(data, ("source", "outlet", "site_name"), "source")
    lang_raw = _string_field(data, ("lang", "language"), "lang")
    return _Meta(
        title=_string_field(data, ("title", "headline"), "title"),
        url=_string_field(data, ("url", "link"), "url"),
        source=source,
        published_at=_date_field(data, ("published_at", "date", "published", "publishedAt")),
        lang=normalise_lang(lang_raw),
    )


def _split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """Split a leading ``---`` YAML block off ``text``.

    Returns ``(None, text)`` when there is no front matter. Raises
    :class:`_InputError` when the block is closed but is not valid YAML.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            block = "\n".join(lines[1:index])
            try:
                data = yaml.safe_load(block) if block.strip() else {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"line {mark.line + 2}: " if mark is not None else ""
                problem = getattr(exc, "problem", None) or "syntax error"
                raise _InputError(MSG_BAD_FRONT_MATTER.format(error=f"{where}{problem}")) from exc
            if not isinstance(data, dict):
                return None, text  # a horizontal rule and some text, not front matter
            return {str(k): v for k, v in data.items()}, "\n".join(lines[index + 1 :])
    return None, text


def _split_title_body(text: str, meta: _Meta, *, markdown: bool) -> tuple[str, str]:
    """Find the title in ``text`` and return ``(title, body)``.

    Reads and strips a leading ``date YYYY-MM[-DD]`` token into ``meta``, skips
    junk lines, takes the first meaningful line as the title. When that line is a
    paragraph (long, or several sentences) the title is its first sentence and
    the paragraph stays in the body. When ``meta.title`` is already known (front
    matter), the text is all body, minus a first heading that repeats the title.
    """
    lines = text.split("\n")
    index = 0
    title = meta.title
    body_head: list[str] = []
    while index < len(lines):
        line = lines[index]
        index += 1
        date_match = _DATE_TOKEN_RE.match(line)
        if date_match:
            year, month, day = date_match.group(1, 2, 3)
            try:
                found = datetime(int(year), int(month), int(day or 1), tzinfo=UTC)
            except ValueError:
                found = None
            if found is not None:
                if meta.published_at is None:
                    meta.published_at = found
                line = line[date_match.end() :]
        if not line.strip() or _is_junk_line(line):
            continue
        if title is not None:
            heading = _clean_heading(line, markdown=markdown)
            if normalise_for_hash(heading) != normalise_for_hash(title):
                body_head.append(line)
            elif markdown and index < len(lines) and _SETEXT_RE.match(lines[index]):
                index += 1
            break
        stripped = line.strip()
        if (
            markdown
            and index < len(lines)
            and lines[index].strip()
            and _SETEXT_RE.match(lines[index].strip())
        ):
            title = _clean_heading(stripped, markdown=True)
            index += 1
        elif _HEADING_RE.match(stripped) or _EMPHASIS_RE.match(stripped):
            title = _clean_heading(stripped, markdown=markdown)
        elif len(stripped) > LONG_LINE_CHARS or _sentence_count_at_least_two(stripped):
            paragraph = _clean_heading(stripped, markdown=markdown)
            title = _title_from_paragraph(paragraph)
            body_head.append(stripped)
        else:
            title = _clean_heading(stripped, markdown=markdown)
        break
    rest = [line for line in lines[index:] if not _is_junk_line(line)]
    body = "\n".join(body_head + rest)
    if markdown:
        body = _markdown_body(body)
    return title or "", _clean_text(body)


def _parse_plain(text: str, where: str, *, markdown: bool) -> RawArticle | Rejected:
    try:
        front, rest = _split_front_matter(text)
        meta = _meta_from_mapping(front) if front is not None else _Meta()
    except _InputError as exc:
        return Rejected(where, str(exc))
    title, body = _split_title_body(rest, meta, markdown=markdown)
    if not body:
        return Rejected(where, MSG_NO_TITLE_TEXT if title else MSG_NO_TEXT)
    return RawArticle(
        title=title,
        text=body,
        url=meta.url,
        path=where,
        source=meta.source,
        published_at=meta.published_at,
        lang=meta.lang,
    )


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_VOID_TAGS: Final = _words("area base br col embed hr img input link meta param source track wbr")
_DROP_TAGS: Final = _words(
    "script style noscript template svg nav header footer aside form iframe button select "
    "textarea figcaption dialog canvas"
)
_RAW_TEXT_TAGS: Final = frozenset({"script", "style", "noscript", "template", "svg"})
_BLOCK_TAGS: Final = _words(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table "
    "tr td th figure br hr address details summary body"
)
_STRUCTURAL_TAGS: Final = frozenset({"html", "body", "article", "main"})
_BOILERPLATE_RE: Final = re.compile(
    r"comment|share|sharing|social|newsletter|subscribe|related|cookie|advert|promo"
    r"|breadcrumb|sidebar|paywall|popup|modal",
    re.IGNORECASE,
)
_DROP_ROLES: Final = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})


class _ArticleHTMLParser(HTMLParser):
    """Collect metadata and readable paragraphs from one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.html_lang: str | None = None
        self.canonical: str | None = None
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.h1_done = False
        self.time_datetime: str | None = None
        self.ld_json: list[str] = []
        # stack entries: (tag, drops_content, container) where container is
        # "article", "main" or ""
        self._stack: list[tuple[str, bool, str]] = []
        self._drop_depth = 0
        self._raw_depth = 0
        self._in_title = False
        self._in_h1 = False
        self._in_ld = False
        self._ld_parts: list[str] = []
        self._container: dict[str, int | None] = {"article": None, "main": None}
        self._current: list[str] = []
        self.body_paragraphs: list[str] = []
        self.articles: list[list[str]] = []
        self.mains: list[list[str]] = []

    # -- helpers -----------------------------------------------------------------------

    def _flush(self) -> None:
        paragraph = _WS_RE.sub(" ", "".join(self._current)).strip()
        self._current = []
        if not paragraph:
            return
        self.body_paragraphs.append(paragraph)
        for kind, store in (("article", self.articles), ("main", self.mains)):
            position = self._container[kind]
            if position is not None:
                store[position].append(paragraph)

    def _drops(self, tag: str, attrs: dict[str, str]) -> bool:
        if tag in _DROP_TAGS:
            return True
        if "hidden" in attrs or attrs.get("aria-hidden") == "true":
            return True
        if attrs.get("role", "").lower() in _DROP_ROLES:
            return True
        if tag in _STRUCTURAL_TAGS:
            return False
        marker = f"{attrs.get('class', '')} {attrs.get('id', '')}"
        return bool(_BOILERPLATE_RE.search(marker))

    # -- parser callbacks --------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and values.get("lang"):
            self.html_lang = values["lang"]
        elif tag == "meta":
            key = values.get("property") or values.get("name") or values.get("itemprop") or ""
            if key and "content" in values and key.lower() not in self.meta:
                self.meta[key.lower()] = values["content"].strip()
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href") or None
        elif tag == "time" and self.time_datetime is None and values.get("datetime"):
            self.time_datetime = values["datetime"]
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _VOID_TAGS:
            return
        if tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self._in_ld = True
            self._ld_parts = []
        drops = self._drops(tag, values)
        container = ""
        if tag in ("article", "main") and self._container[tag] is None and not drops:
            store = self.articles if tag == "article" else self.mains
            store.append([])
            self._container[tag] = len(store) - 1
            container = tag
        self._stack.append((tag, drops, container))
        if drops:
            self._drop_depth += 1
        if tag in _RAW_TEXT_TAGS:
            self._raw_depth += 1
        if tag == "title":
            self._in_title = True
        elif tag == "h1" and not self.h1_done:
            self._in_h1 = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            if tag == "br":
                self._flush()
            return
        if not any(entry[0] == tag for entry in self._stack):
            return  # stray end tag
        if tag in _BLOCK_TAGS:
            self._flush()
        while self._stack:
            name, drops, container = self._stack.pop()
            if drops:
                self._drop_depth -= 1
            if name in _RAW_TEXT_TAGS:
                self._raw_depth -= 1
            if container:
                self._flush()
                self._container[container] = None
            if name == "script" and self._in_ld:
                self._in_ld = False
                self.ld_json.append("".join(self._ld_parts))
            if name == "title":
                self._in_title = False
            if name == "h1" and self._in_h1:
                self._in_h1 = False
                self.h1_done = bool("".join(self.h1_parts).strip())
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self._ld_parts.append(data)
            return
        if self._raw_depth:
            return
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._in_h1:
            self.h1_parts.append(data)
        if not self._drop_depth:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _ld_json_fields(blobs: Iterable[str]) -> dict[str, str]:
    """Pick headline, datePublished, publisher and url out of JSON-LD blocks."""
    found: dict[str, str] = {}

    def visit(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        if "@graph" in node:
            visit(node["@graph"])
        for key in ("headline", "datePublished", "url", "inLanguage"):
            value = node.get(key)
            if isinstance(value, str) and value.strip() and key not in found:
                found[key] = value.strip()
        publisher = node.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            found.setdefault("publisher", publisher["name"].strip())

    for blob in blobs:
        try:
            visit(json.loads(blob))
        except ValueError:
            logger.debug("ignoring invalid JSON-LD block")
    return found


def _strip_site_suffix(title: str, site: str | None) -> str:
    if not site:
        return title
    for sep in (" | ", " - ", " – ", " — ", " : "):
        if title.endswith(sep + site):
            return title[: -len(sep + site)].strip()
    return title


def parse_html(text: str, where: str) -> RawArticle | Rejected:
    """Parse one HTML page into an article (see the module docstring)."""
    parser = _ArticleHTMLParser()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError) as exc:  # html.parser is lenient; be safe anyway
        logger.warning("HTML parser gave up on %s: %s", where, exc)
    meta = parser.meta
    ld = _ld_json_fields(parser.ld_json)
    source = meta.get("og:site_name") or ld.get("publisher") or meta.get("application-name")
    title_tag = _WS_RE.sub(" ", "".join(parser.title_parts)).strip()
    h1 = _WS_RE.sub(" ", "".join(parser.h1_parts)).strip()
    title = (
        meta.get("og:title")
        or ld.get("headline")
        or _strip_site_suffix(title_tag, source)
        or h1
        or meta.get("twitter:title")
        or ""
    )
    published = None
    for candidate in (
        meta.get("article:published_time"),
        meta.get("datepublished"),
        ld.get("datePublished"),
        parser.time_datetime,
        meta.get("date"),
        meta.get("pubdate"),
        meta.get("publish-date"),
        meta.get("dc.date"),
        meta.get("dcterms.date"),
        meta.get("parsely-pub-date"),
    ):
        if candidate and (published := parse_datetime(candidate)) is not None:
            break
    url = parser.canonical or meta.get("og:url") or ld.get("url")
    lang = normalise_lang(parser.html_lang) or normalise_lang(ld.get("inLanguage"))
    if lang is None and meta.get("og:locale"):
        lang = normalise_lang(meta["og:locale"])

    def longest(groups: list[list[str]]) -> list[str]:
        return max(groups, key=lambda g: sum(len(p) for p in g), default=[])

    paragraphs = longest(parser.articles) or longest(parser.mains) or parser.body_paragraphs
    if paragraphs and title and normalise_for_hash(paragraphs[0]) == normalise_for_hash(title):
        paragraphs = paragraphs[1:]
    body = _clean_text("\n\n".join(paragraphs))
    if not title and body:
        title = _title_from_paragraph(body.split("\n", 1)[0])
    if not body:
        return Rejected(where, MSG_NO_TITLE_TEXT if title else MSG_NO_TEXT)
    return RawArticle(
        title=_WS_RE.sub(" ", title).strip(),
        text=body,
        url=url.strip() if url else None,
        path=where,
        source=source.strip() if source else None,
        published_at=published,
        lang=lang,
    )


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------

_TEXT_FIELDS: Final = ("text", "body", "content")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


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
        return Rejected(
            where, f"expected a JSON object with at least 'text', got {_json_type(obj)}"
        )
    raw_text: object = None
    for name in _TEXT_FIELDS:
        if obj.get(name) is not None:
            raw_text = obj[name]
            break
    if raw_text is None:
        return Rejected(where, "missing 'text' (the article body; 'body' or 'content' also work)")
    if not isinstance(raw_text, str):
        return Rejected(where, f"'text' must be a string, got {_json_type(raw_text)}")
    text = _clean_text(raw_text)
    if not text:
        return Rejected(where, "'text' is empty")
    try:
        meta = _meta_from_mapping(obj)
    except _InputError as exc:
        return Rejected(where, str(exc))
    if meta.title:
        title = _WS_RE.sub(" ", meta.title)
    else:
        title, text = _split_title_body(text, meta, markdown=False)
        if not text:
            return Rejected(where, "'text' holds only a title line; no article body")
    return RawArticle(
        title=title,
        text=text,
        url=meta.url,
        path=None,
        source=meta.source,
        published_at=meta.published_at,
        lang=meta.lang,
    )


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"


def _with_path(item: RawArticle | Rejected, path: str) -> RawArticle | Rejected:
    if isinstance(item, RawArticle):
        item.path = path
    return item


def _parse_json_file(text: str, where: str) -> Iterator[RawArticle | Rejected]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Rejected(where, MSG_BAD_JSON_FILE.format(error=_json_error(exc)))
        return
    if isinstance(data, dict) and not any(k in data for k in _TEXT_FIELDS):
        for key in ("articles", "items"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if isinstance(data, list):
        if not data:
            yield Rejected(where, MSG_EMPTY_JSON)
            return
        for number, obj in enumerate(data, start=1):
            item = parse_json_article(obj, f"{where}#{number}")
            if isinstance(item, Rejected):
                item.reason = f"JSON item {number}: {item.reason}"
            yield _with_path(item, where)
        return
    item = parse_json_article(data, where)
    if isinstance(item, Rejected):
        item.reason = f"JSON: {item.reason}"
    yield _with_path(item, where)


def _parse_jsonl_file(text: str, where: str) -> Iterator[RawArticle | Rejected]:
    seen_any = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        seen_any = True
        line_where = f"{where}#{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(
                line_where, f"JSON line {number}: not valid JSON (column {exc.colno}: {exc.msg})"
            )
            continue
        item = parse_json_article(obj, line_where)
        if isinstance(item, Rejected):
            item.reason = f"JSON line {number}: {item.reason}"
        yield _with_path(item, where)
    if not seen_any:
        yield Rejected(where, MSG_BLANK)


# --------------------------------------------------------------------------------------
# Files and folders
# --------------------------------------------------------------------------------------


def _extension(path: Path) -> str:
    return path.suffix.lower()


def read_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawArticle | Rejected]:
    """Read the articles in one file (a folder is walked as by :func:`read_paths`).

    Yields one :class:`RawArticle` per article found (JSON files may hold many)
    and a :class:`Rejected` for everything unusable. Never raises on bad input.
    """
    where = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        yield Rejected(where, MSG_MISSING.format(path=where))
        return
    except OSError as exc:
        yield Rejected(where, MSG_UNREADABLE.format(error=exc.strerror or exc))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from read_paths([path], max_bytes=max_bytes)
        return
    if not stat.S_ISREG(info.st_mode):
        yield Rejected(where, MSG_NOT_REGULAR)
        return
    ext = _extension(path)
    if ext not in SUPPORTED_EXTENSIONS:
        yield Rejected(where, MSG_UNSUPPORTED.format(ext=ext or "(no extension)"))
        return
    if info.st_size == 0:
        yield Rejected(where, MSG_EMPTY)
        return
    if info.st_size > max_bytes:
        yield Rejected(
            where,
            MSG_TOO_BIG.format(size=_human_size(info.st_size), limit=_human_size(max_bytes)),
        )
        return
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        yield Rejected(where, MSG_UNREADABLE.format(error=exc.strerror or exc))
        return
    if len(data) > max_bytes:  # grew since stat
        yield Rejected(
            where,
            MSG_TOO_BIG.format(size=f"over {_human_size(max_bytes)}", limit=_human_size(max_bytes)),
        )
        return
    if not data:
        yield Rejected(where, MSG_EMPTY)
        return
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        binary = _sniff_binary(data)
        if binary:
            yield Rejected(where, binary)
            return
    text = _decode(data, html=ext in HTML_EXTENSIONS)
    if text is None:
        yield Rejected(where, MSG_UNDECODABLE)
        return
    text = _clean_text(text)
    if not text:
        yield Rejected(where, MSG_BLANK)
        return
    logger.debug("reading %s (%d bytes)", where, len(data))
    if ext in JSONL_EXTENSIONS:
        yield from _parse_jsonl_file(text, where)
    elif ext in JSON_EXTENSIONS:
        yield from _parse_json_file(text, where)
    elif ext in HTML_EXTENSIONS:
        yield parse_html(text, where)
    else:
        yield _parse_plain(text, where, markdown=ext in MARKDOWN_EXTENSIONS)


def _walk(folder: Path) -> Iterator[Path]:
    """Files under ``folder``, sorted, skipping hidden files and dot-folders."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def read_paths(
    paths: Iterable[Path], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[RawArticle | Rejected]:
    """Read files and folders (recursively, sorted; hidden entries skipped).

    A missing path yields a :class:`Rejected` saying so; a file reached twice
    (given and also inside a given folder) is read once.
    """
    seen: set[str] = set()
    for given in paths:
        path = Path(given)
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        candidates = _walk(path) if is_dir else iter([path])
        for candidate in candidates:
            try:
                key = str(candidate.resolve())
            except (OSError, RuntimeError):
                key = str(candidate)
            if key in seen:
                logger.debug("skipping %s, already read", candidate)
                continue
            seen.add(key)
            produced = 0
            for item in read_file(candidate, max_bytes=max_bytes):
                produced += 1
                if isinstance(item, Rejected):
                    logger.debug("rejected %s: %s", item.where, item.reason)
                yield item
            if produced == 0:  # pragma: no cover - read_file always yields
                yield Rejected(str(candidate), MSG_NO_TEXT)


def sample_corpus(*, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawArticle | Rejected]:
    """Read the sample corpus shipped in ``bot/corpus/``."""
    return read_paths([CORPUS_DIR], max_bytes=max_bytes)
