"""Small formatting helpers shared by handlers."""

from __future__ import annotations

from datetime import datetime

from handlers.model import ArticleRecord
from handlers.reply import Citation, defang
from handlers.texts import t
from nlp.text import sentence_spans


def clip(text: str, limit: int = 280) -> str:
    """Shorten at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def sentence_at(text: str, offset: int) -> str:
    """The sentence of `text` around character `offset` (see `nlp.text.sentence_spans`)."""
    if not 0 <= offset < len(text):
        return ""
    for start, end in sentence_spans(text):
        if offset < end:
            return " ".join(text[start:end].split())
    return ""


def day(dt: datetime | None, lang: str = "en") -> str:
    return dt.strftime("%Y-%m-%d") if dt else t(lang, "undated")


def outlet(article: ArticleRecord, lang: str = "en") -> str:
    return article.source or t(lang, "unknown_outlet")


def quote(text: str, limit: int = 280) -> str:
    """Article text shown in a reply: clipped and defanged (it must never ping)."""
    return defang(clip(text, limit))


def citation(n: int, article: ArticleRecord) -> Citation:
    return Citation(
        n=n, title=defang(clip(article.title, 200)), url=article.url, source=article.source
    )
