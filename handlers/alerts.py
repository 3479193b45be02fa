"""The alert a channel gets when a new article mentions what it tracks.

Explainable: for each matched entity, the words that matched, how often, how central the
entity is to the article, and the sentence that mentions it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.format import clip, day, outlet, quote, sentence_at
from handlers.model import ArticleRecord
from handlers.reply import Button, Field, Reply, defang
from handlers.texts import t
from nlp.catalog import Catalog

LANG_NAMES = {"fr": "French", "en": "English"}
LANG_NAMES_FR = {"fr": "français", "en": "anglais"}


def _date(article: ArticleRecord, lang: str, tz: str) -> str:
    """The publication day, with its time in the channel's zone when the source gave one."""
    when = article.published_at
    if when is None or (when.hour, when.minute) == (0, 0):
        return day(when, lang)
    try:
        local = when.astimezone(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        local, tz = when, "UTC"
    return f"{local:%Y-%m-%d %H:%M} {tz}"


def render_alert(
    catalog: Catalog,
    article: ArticleRecord,
    entity_ids: Sequence[str],
    lang: str = "en",
    *,
    tz: str = "UTC",
    ping: str = "",
) -> Reply:
    """The alert, in `lang`, dates in zone `tz`; `ping` ("role:<id>", "group:<id>",
    "user:<id>", set by the channel for urgent alerts) is the only mention it carries:
    nothing taken from the article can ping (`defang`). No entity (a feed the channel
    follows in full): the alert says it is the feed's new item."""
    names = []
    langs = LANG_NAMES_FR if lang == "fr" else LANG_NAMES
    fields = [
        Field(t(lang, "alert_outlet"), outlet(article, lang), inline=True),
        Field(t(lang, "alert_date"), _date(article, lang, tz), inline=True),
        Field(
            t(lang, "alert_language"),
            langs.get(article.lang or "", article.lang or "?"),
            inline=True,
        ),
    ]
    buttons = []
    for eid in entity_ids:
        hit = article.entity(eid)
        info = catalog.get(eid)
        name = info.name if info else (hit.name if hit else eid)
        names.append(name)
        if hit is None:
            continue
        words = ", ".join(f"“{quote(w, 60)}”" for w in hit.matched[:4])
        body_start = len(article.title) + 2  # analysed text is title + blank line + body
        in_title = bool(hit.positions) and hit.positions[0][0] < len(article.title)
        in_body = [p for p in hit.positions if p[0] >= body_start]
        # the sentence to show: the first one of the body that mentions it, else the snippet
        sentence = sentence_at(article.text, in_body[0][0] - body_start) if in_body else ""
        sentence = quote(sentence or hit.snippet, 300)
        where = (
            "the title and text"
            if in_title and in_body
            else "the title"
            if in_title
            else "the text"
        )
        detail = t(
            lang,
            "alert_detail",
            words=words,
            where=t(lang, f"alert_in_{where.removeprefix('the ').replace(' ', '_')}"),
            n=hit.mentions,
            level=hit.level,
        )
        fields.append(Field(name, f"{detail}\n> {sentence}" if sentence else detail))
        buttons.append(Button(f"Untrack {name}", "untrack", eid, style="danger"))
    matched = (
        f"**{t(lang, 'alert_matched')}:** " + ", ".join(names)
        if names
        else f"**{t(lang, 'alert_feed_item')}**"
    )
    return Reply(
        text=matched,
        mentions=(ping,) if ping else (),
        title=defang(clip(article.title, 250)),
        url=article.url,
        fields=fields,
        buttons=buttons[:5],
        footer=f"article {article.id}"
        # the file's name only: where it was on the bot's machine is nobody's business
        + (f" · {PurePath(article.path).name}" if article.path and not article.url else ""),
        kind="alert",
        thread_key=article.story,  # follow-ups of one story thread under its first alert
    )
