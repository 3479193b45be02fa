"""Article metadata shared by the readers: publication dates, language tags, and the
fields a mapping (YAML front matter, a JSON object) gives for an article.

Everything here reads one value and says what it is; a value that is present but wrong
raises :class:`InputError` with a sentence for the user, which the reader turns into a
``Rejected``. Feeds and web pages (`bot.ingest.web`, `readers.html_reader`) use the same
date and language rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any, Final

from bot.ingest.readers.files import scrub
from handlers.model import RawArticle

_YEAR_MONTH_RE: Final = re.compile(r"^(\d{4})-(\d{1,2})$")
_DIGITS_RE: Final = re.compile(r"^-?\d+(\.\d+)?$")


class InputError(Exception):
    """An input problem; the message is the user-facing reason."""


@dataclass(slots=True)
class ArticleMeta:
    """What an input says about its article besides the text."""

    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    lang: str | None = None

    def article(self, title: str, text: str, *, path: str | None) -> RawArticle:
        """The article with this metadata (its own title aside: the reader decides)."""
        return RawArticle(
            title=title,
            text=text,
            url=self.url,
            path=path,
            source=self.source,
            published_at=self.published_at,
            lang=self.lang,
        )


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _from_epoch(value: float | str) -> datetime | None:
    try:
        seconds = float(value)
    except (OverflowError, ValueError):  # an integer too large for a float: no date
        return None
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
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _DIGITS_RE.match(text):
        return _from_epoch(text)
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


def json_type(value: object) -> str:
    """How a user would name the JSON type of ``value`` ("a string", "null"...)."""
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


def _string_field(data: Mapping[str, Any], names: Iterable[str], label: str) -> str | None:
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                value = str(value)
            except ValueError:  # an integer past Python's digit limit
                raise InputError(f"'{label}' is a number too large to read") from None
        if not isinstance(value, str):
            raise InputError(f"'{label}' must be a string, got {json_type(value)}")
        value = scrub(value).strip()
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
            raise InputError(
                f"'{name}' is not a date ({repr(value)[:60]}); use ISO 8601 such as 2024-03-17 "
                "or 2024-03-17T09:30:00Z, or epoch seconds"
            )
        return parsed
    return None


def meta_from_mapping(data: Mapping[str, Any]) -> ArticleMeta:
    """The metadata fields of a front-matter block or a JSON object.

    ``title`` (``headline``), ``url`` (``link``), ``source`` (``outlet``, ``site_name``,
    or NewsAPI's ``{"name": ...}``), ``published_at`` (``date``, ``published``,
    ``publishedAt``), ``lang`` (``language``). Raises :class:`InputError` for a field of
    the wrong type or a date that is not one.
    """
    source_value = data.get("source")
    if isinstance(source_value, Mapping):  # NewsAPI style {"id": ..., "name": ...}
        source = _string_field(source_value, ("name",), "source.name")
    else:
        source = _string_field(data, ("source", "outlet", "site_name"), "source")
    lang_raw = _string_field(data, ("lang", "language"), "lang")
    return ArticleMeta(
        title=_string_field(data, ("title", "headline"), "title"),
        url=_string_field(data, ("url", "link"), "url"),
        source=source,
        published_at=_date_field(data, ("published_at", "date", "published", "publishedAt")),
        lang=normalise_lang(lang_raw),
    )
