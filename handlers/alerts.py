"""The alert a channel gets when a new article mentions what it tracks.

Explainable: for each matched entity, the words that matched, how often, how central the
entity is to the article, and the sentence that mentions it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from handlers.format import clip, day, outlet, quote, sentence_at
from handlers.model import ArticleRecord
from handlers.reply import Button, Field, Reply, defang
from handlers.texts import t
from nlp.catalog import Catalog

LANG_NAMES = {"fr": "French", "en": "English"}


def render_alert(
    catalog: Catalog, article: ArticleRecord, entity_ids: Sequence[str], lang: str = "en"
) -> Reply:
    names = []
    fields = [
        Field("Outlet", outlet(article, lang), inline=True),
        Field("Date", day(article.published_at, lang), inline=True),
        Field("Language", LANG_NAMES.get(article.lang or "", article.lang or "?"), inline=True),
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
        detail = f"matched {words} in {where} · {hit.mentions}× · {hit.level} salience"
        fields.append(Field(name, f"{detail}\n> {sentence}" if sentence else detail))
        buttons.append(Button(f"Untrack {name}", "untrack", eid, style="danger"))
    return Reply(
        text=f"**{t(lang, 'alert_matched')}:** " + ", ".join(names),
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
