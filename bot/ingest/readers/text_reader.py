"""Plain text and markdown articles (``.txt``, ``.md``), and the title rules every reader
shares.

The title is the first meaningful line; junk that real copy-pasted articles carry before
it (a ``date 2024-03`` token, "Passer au contenu" skip links, screenshot captions,
``(FILES)`` photo captions, markdown bold) is recognised and dropped. A first line that
is a paragraph gives its first sentence as the title and stays in the body. Optional YAML
front matter gives the metadata; markdown adds a leading ``# Heading`` (or a setext
heading) as the title and loses its inline markup.

:func:`first_sentence` is the one place the readers split sentences.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

import yaml

from bot.ingest.readers.files import clean_text
from bot.ingest.readers.messages import MSG_BAD_FRONT_MATTER, MSG_NO_TEXT, MSG_NO_TITLE_TEXT
from bot.ingest.readers.metadata import ArticleMeta, InputError, meta_from_mapping
from handlers.model import RawArticle, Rejected, normalise_for_hash
from nlp.text import split_sentences

TITLE_MAX_CHARS: Final = 160
"""A title cut from a paragraph is at most this long (ellipsis included)."""

LONG_LINE_CHARS: Final = 200
"""A first line longer than this is a paragraph, not a headline."""

_WS_RE: Final = re.compile(r"\s+")
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
# a page's section label above the headline ("Actualité", "Tech"), never a title itself
_SECTION_LABELS: Final = frozenset(
    {
        "actualité", "actualités", "actu", "à la une", "en direct", "direct", "dépêche",
        "brève", "brèves", "économie", "éco", "tech", "technologie", "technologies",
        "numérique", "international", "monde", "france", "europe", "politique", "société",
        "culture", "sport", "sports", "sciences", "opinion", "analyse", "exclusif", "news",
        "latest", "breaking", "breaking news", "world", "business", "technology", "markets",
        "analysis", "exclusive", "live", "top stories",
    }
)  # fmt: skip
# "Updated February 23rd, 2024 at 9:12 am", "Mis à jour le 5 mars 2024 à 10h12": a stamp
_STAMP_RE: Final = re.compile(
    r"^(last\s+)?(updated|published|posted|modified|mis\s+à\s+jour|publié|modifié|"
    r"actualisé)\b.{0,100}(\d{4}|\d{1,2}\s*[:h]\s*\d{2})",
    re.IGNORECASE,
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
_MD_IMAGE_RE: Final = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK_RE: Final = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_BOLD_RE: Final = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_CODE_RE: Final = re.compile(r"`([^`]+)`")


# --------------------------------------------------------------------------------------
# Titles
# --------------------------------------------------------------------------------------


def first_sentence(text: str) -> str:
    """Return the first sentence of ``text`` (all of it when there is one)."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else text.strip()


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


def title_from_paragraph(paragraph: str) -> str:
    """A title for an article that has none: the first sentence of its first paragraph,
    without its final full stop, shortened."""
    sentence = first_sentence(paragraph)
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    return shorten_title(sentence)


def _is_junk_line(line: str) -> bool:
    """True for boilerplate lines that are never part of an article."""
    folded = line.strip().strip("*_#> ").strip().casefold()
    if folded in _SKIP_LINKS:
        return True
    if _SCREENSHOT_RE.match(folded) and len(folded) <= 120:
        return True
    return bool(_PHOTO_CAPTION_RE.match(line.strip()))


def _is_above_headline(line: str, after: list[str]) -> bool:
    """What pages put above a headline and copies keep: a section label ("Actualité")
    or an update stamp ("Updated February 23rd, 2024 at 9:12 am"), with a line after it.
    Only looked for before the title: in the body such lines may be sentences."""
    if not any(x.strip() for x in after):
        return False
    folded = line.strip().strip("*_#>|: ").strip().casefold()
    return folded in _SECTION_LABELS or (len(folded) <= 120 and bool(_STAMP_RE.match(folded)))


def _strip_inline_markdown(line: str) -> str:
    line = _MD_IMAGE_RE.sub("", line)
    line = _MD_LINK_RE.sub(r"\1", line)
    line = _MD_BOLD_RE.sub(r"\2", line)
    return _MD_CODE_RE.sub(r"\1", line)


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


def _take_date_token(line: str, meta: ArticleMeta) -> str:
    """``line`` without a leading ``date YYYY-MM[-DD]`` token, whose date goes to ``meta``
    when it has none yet."""
    match = _DATE_TOKEN_RE.match(line)
    if not match:
        return line
    year, month, day = match.group(1, 2, 3)
    try:
        found = datetime(int(year), int(month), int(day or 1), tzinfo=UTC)
    except ValueError:
        return line
    if meta.published_at is None:
        meta.published_at = found
    return line[match.end() :]


def split_title_body(text: str, meta: ArticleMeta, *, markdown: bool) -> tuple[str, str]:
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
        line = _take_date_token(lines[index], meta)
        index += 1
        if not line.strip() or _is_junk_line(line):
            continue
        following = lines[index] if index < len(lines) else ""
        if title is None and _is_above_headline(line, lines[index:]):
            continue
        if title is not None:
            heading = _clean_heading(line, markdown=markdown)
            if normalise_for_hash(heading) != normalise_for_hash(title):
                body_head.append(line)
            elif markdown and _SETEXT_RE.match(following):
                index += 1
            break
        stripped = line.strip()
        if markdown and following.strip() and _SETEXT_RE.match(following.strip()):
            title = _clean_heading(stripped, markdown=True)
            index += 1
        elif _HEADING_RE.match(stripped) or _EMPHASIS_RE.match(stripped):
            title = _clean_heading(stripped, markdown=markdown)
        elif len(stripped) > LONG_LINE_CHARS or first_sentence(stripped) != stripped:
            title = title_from_paragraph(_clean_heading(stripped, markdown=markdown))
            body_head.append(stripped)
        else:
            title = _clean_heading(stripped, markdown=markdown)
        break
    rest = [line for line in lines[index:] if not _is_junk_line(line)]
    body = "\n".join(body_head + rest)
    if markdown:
        body = _markdown_body(body)
    return title or "", clean_text(body)


# --------------------------------------------------------------------------------------
# Front matter and the reader
# --------------------------------------------------------------------------------------


def _split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """Split a leading ``---`` YAML block off ``text``.

    Returns ``(None, text)`` when there is no front matter. Raises
    :class:`InputError` when the block is closed but is not valid YAML.
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
                raise InputError(MSG_BAD_FRONT_MATTER.format(error=f"{where}{problem}")) from exc
            if not isinstance(data, dict):
                return None, text  # a horizontal rule and some text, not front matter
            return {str(k): v for k, v in data.items()}, "\n".join(lines[index + 1 :])
    return None, text


def read_text(text: str, where: str, *, markdown: bool) -> RawArticle | Rejected:
    """One plain-text (or, with ``markdown``, markdown) article from the cleaned ``text``
    of the file ``where``."""
    try:
        front, rest = _split_front_matter(text)
        meta = meta_from_mapping(front) if front is not None else ArticleMeta()
    except InputError as exc:
        return Rejected(where, str(exc))
    title, body = split_title_body(rest, meta, markdown=markdown)
    if not body:
        return Rejected(where, MSG_NO_TITLE_TEXT if title else MSG_NO_TEXT)
    return meta.article(title, body, path=where)
