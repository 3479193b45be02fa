"""HTML to article: the one path from markup to text, for ``.html`` files and web pages.

trafilatura reads the page: the main text without navigation, share bars, comments or
bylines, and the metadata (title, publication date with its time, outlet, URL). What it
does not give is read from the same parsed tree: the page language (``<html lang>``,
JSON-LD ``inLanguage``, ``og:locale``) and the ``<link rel="canonical">``, which goes
before ``og:url``. When trafilatura finds no text, the one fallback is the text of the
longest ``<article>``, else ``<main>``, else ``<body>``, without the elements that are
never article text (:data:`NOT_TEXT`).

:func:`read_html` is what the ``.html`` reader and `bot.ingest.web` call;
:func:`html_to_text` renders a fragment (a feed item's summary) with the same rules.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from typing import Any, Final
from urllib.parse import urljoin

import trafilatura
from trafilatura.settings import Document, set_date_params

from bot.ingest.readers.files import clean_text
from bot.ingest.readers.messages import MSG_NO_TEXT, MSG_NO_TITLE_TEXT
from bot.ingest.readers.metadata import normalise_lang, parse_datetime
from bot.ingest.readers.text_reader import title_from_paragraph
from handlers.model import RawArticle, Rejected, normalise_for_hash

logger = logging.getLogger(__name__)

# The elements whose content is never article text, in any HTML this module reads.
# fmt: off
NOT_TEXT: Final = frozenset({
    "script", "style", "noscript", "template", "svg", "nav", "aside", "footer", "form",
    "iframe", "button", "select", "textarea",
})
# fmt: on

# The elements that start and end a paragraph.
# fmt: off
_BLOCKS: Final = frozenset({
    "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th",
    "figure", "br", "hr", "address", "details", "summary", "body",
    # trafilatura's output tree
    "head", "item", "list", "quote", "row", "cell", "lb",
})
# fmt: on
_WS_RE: Final = re.compile(r"\s+")
_HTML_TAG_RE: Final = re.compile(r"<html[\s>]", re.IGNORECASE)
_PRUNE: Final = [f"//{tag}" for tag in sorted(NOT_TEXT)]  # for trafilatura, which reads them too
_DATE_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%z"  # htmldate keeps the time, not only the day


def _paragraphs(root: Any) -> list[str]:
    """The text of the tree ``root``, one string per block element, whitespace collapsed;
    comments and :data:`NOT_TEXT` elements left out. Iterative: any depth is fine."""
    out: list[str] = []
    current: list[str] = []

    def flush() -> None:
        paragraph = _WS_RE.sub(" ", "".join(current)).strip()
        current.clear()
        if paragraph:
            out.append(paragraph)

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if closing:
            if tag in _BLOCKS:
                flush()
            if element is not root:
                current.append(element.tail or "")
            continue
        if tag is None or tag in NOT_TEXT:  # a comment, a script...: only its tail counts
            if element is not root:
                current.append(element.tail or "")
            continue
        if tag in _BLOCKS:
            flush()
        current.append(element.text or "")
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    flush()
    return out


def _load(markup: str) -> Any:
    """The parsed tree of a page or a fragment, or None."""
    wrapped = f"<html><body>{markup}</body></html>"
    # trafilatura refuses (and logs an error for) a fragment of one block: a fragment, markup
    # without an <html> tag, is wrapped before it is parsed
    for candidate in (markup, wrapped) if _HTML_TAG_RE.search(markup) else (wrapped,):
        try:
            tree = trafilatura.load_html(candidate)
        except (TypeError, ValueError) as exc:
            logger.debug("markup not parsed: %s", exc)
            continue
        if tree is not None:  # never truth-test an lxml element: it means "has children"
            return tree
    return None


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed summary), paragraphs kept."""
    if "<" not in fragment and "&" not in fragment:
        lines = [_WS_RE.sub(" ", line).strip() for line in fragment.split("\n")]
        return clean_text("\n".join(lines))
    tree = _load(fragment)
    return "\n\n".join(_paragraphs(tree)) if tree is not None else ""


def _fallback(tree: Any) -> list[str]:
    """The paragraphs of the longest ``<article>``, else ``<main>``, else ``<body>``."""
    for tag in ("article", "main"):
        groups = [_paragraphs(element) for element in tree.iter(tag)]
        best = max(groups, key=lambda group: sum(map(len, group)), default=[])
        if best:
            return best
    body = tree.find(".//body")
    return _paragraphs(body if body is not None else tree)


def _ld_language(tree: Any) -> str | None:
    """The first ``inLanguage`` of the page's JSON-LD blocks."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            todo: deque[object] = deque([json.loads(script.text or "")])
        except (ValueError, RecursionError):
            logger.debug("ignoring invalid JSON-LD block")
            continue
        while todo:
            node = todo.popleft()
            if isinstance(node, dict):
                lang = normalise_lang(node.get("inLanguage"))
                if lang:
                    return lang
                todo.extend(node.values())
            elif isinstance(node, list):
                todo.extend(node)
    return None


def _page_language(tree: Any) -> str | None:
    lang = normalise_lang(tree.get("lang")) or _ld_language(tree)
    if lang is None:
        for meta in tree.iter("meta"):
            if (meta.get("property") or "").lower() == "og:locale":
                return normalise_lang(meta.get("content"))
    return lang


def _canonical_link(tree: Any, base: str | None) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            href = str(link.get("href")).strip()
            return urljoin(base, href) if base else href
    return None


def _trafilatura(tree: Any, url: str | None) -> Document | None:
    """trafilatura's reading of the page (text and metadata), None when it finds no text."""
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            date_extraction_params={**set_date_params(), "outputformat": _DATE_FORMAT},
            prune_xpath=_PRUNE,
        )
    except Exception as exc:  # trafilatura has many internal failure modes; never crash
        logger.warning("trafilatura failed on %s: %s", url or "a page", exc)
        return None
    return doc if isinstance(doc, Document) else None


def _metadata(tree: Any, url: str | None) -> Document:
    """trafilatura's metadata alone, for a page whose text came from the fallback."""
    try:
        date_config = {**set_date_params(), "outputformat": _DATE_FORMAT}
        return trafilatura.extract_metadata(tree, default_url=url, date_config=date_config)
    except Exception as exc:  # as above
        logger.warning("trafilatura metadata failed on %s: %s", url or "a page", exc)
        return Document()


def read_html(markup: str, where: str, *, url: str | None = None) -> RawArticle | Rejected:
    """One page as an article (see the module docstring). ``where`` names it in a
    rejection and becomes the article's path; ``url`` is where it was fetched from."""
    tree = _load(markup)
    if tree is None:
        return Rejected(where, MSG_NO_TEXT)
    lang = _page_language(tree)
    canonical = _canonical_link(tree, url)
    doc = _trafilatura(tree, url)
    paragraphs = _paragraphs(doc.body) if doc is not None and doc.body is not None else []
    if not paragraphs:
        paragraphs = _fallback(tree)
    if doc is None:
        doc = _metadata(tree, url)  # after the fallback: never let it touch the tree first
    title = _WS_RE.sub(" ", str(doc.title or "")).strip()
    if paragraphs and title and normalise_for_hash(paragraphs[0]) == normalise_for_hash(title):
        paragraphs = paragraphs[1:]
    body = clean_text("\n\n".join(paragraphs))
    if not body:
        return Rejected(where, MSG_NO_TITLE_TEXT if title else MSG_NO_TEXT)
    page_url = canonical or (str(doc.url).strip() if doc.url else None) or url
    return RawArticle(
        title=title or title_from_paragraph(body.split("\n", 1)[0]),
        text=body,
        url=page_url,
        path=where,
        source=str(doc.sitename).strip() if doc.sitename else None,
        published_at=parse_datetime(doc.date),
        lang=lang,
    )
