"""Story intelligence: /grok story, /grok timeline, /grok quotes, /grok who, /grok trend.

Every claim is a sentence taken from an article and cited [n] with that article. The
default story is the one with the most articles; `story:ID` picks another (`/grok stories`
lists them).
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

from handlers.context import CommandRequest, HandlerContext
from handlers.entities import ENTITY, resolve_entity
from handlers.format import citation, clip, day, quote
from handlers.model import ArticleRecord, StoryRecord
from handlers.registry import Param, command
from handlers.reply import Citation, Field, Reply
from handlers.texts import t
from nlp.dates import MONTH_NAMES, DateMention, find_dates
from nlp.quotes import find_quotes
from nlp.terms import terms
from nlp.text import fold, stem

logger = logging.getLogger(__name__)
T = TypeVar("T")

STORY = Param(
    "story",
    "a story id from /grok stories (default: the biggest story)",
    required=False,
    description_fr="l'identifiant d'une histoire (/grok stories) ; par défaut la plus suivie",
)
MAX_ARTICLES = 60
SUMMARY_SENTENCES = 5
TIMELINE_EVENTS = 15


class _LRU:
    """A small per-process cache: an article's sentences never change once analysed."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self.items: OrderedDict[object, object] = OrderedDict()

    def get(self, key: object, make: Callable[[], T]) -> T:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]  # type: ignore[return-value]
        value = make()
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


_stems_cache = _LRU()
_dates_cache = _LRU()


def article_stems(art: ArticleRecord) -> list[tuple[str, set[str]]]:
    """(sentence, stems) for the body sentences of an article, cached."""
    return _stems_cache.get(art.id, lambda: [(x, stems(x)) for x in _body_sentences(art)])


@dataclass
class Cites:
    """Numbers articles in the order they are first cited."""

    numbers: dict[str, int] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)

    def __call__(self, article: ArticleRecord) -> int:
        if article.id not in self.numbers:
            n = len(self.numbers) + 1
            self.numbers[article.id] = n
            self.citations.append(citation(n, article))
        return self.numbers[article.id]


async def _story(
    ctx: HandlerContext, req: CommandRequest
) -> tuple[StoryRecord, list[ArticleRecord]] | Reply:
    wanted = req.args.get("story")
    if wanted:
        story = await ctx.store.stories.get(wanted)
        if story is None:
            return Reply.error(t(req.lang, "story_unknown", story=wanted))
    else:
        biggest = await ctx.store.stories.top(limit=1)
        if not biggest:
            return Reply(text=t(req.lang, "sources_none"))
        story = biggest[0]
    articles = await ctx.store.stories.articles(story.id, limit=MAX_ARTICLES)
    return story, articles


def _body_sentences(article: ArticleRecord) -> list[str]:
    sents = article.sentences[1:] if article.sentences else []
    return [s for s in sents if 6 <= len(s.split()) <= 70]


def _key_entities(articles: Sequence[ArticleRecord]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for art in articles:
        for ent in art.entities:
            if ent.source == "catalog" and ent.level != "low":
                counts[ent.id] += 1
    return counts


def _too_close(a: set[str], chosen: Sequence[set[str]], limit: float = 0.35) -> bool:
    return any(len(a & b) / max(1, len(a | b)) >= limit for b in chosen)


def _names(ctx: HandlerContext, ids: Sequence[str]) -> str:
    out = []
    for eid in ids:
        info = ctx.catalog.get(eid)
        out.append(info.name if info else eid)
    return ", ".join(out)


@command(
    "stories",
    help_fr="Les histoires suivies, avec leur nombre d'articles.",
)
async def stories(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """The stories the stored articles form, biggest first."""
    found = await ctx.store.stories.top(limit=10)
    if not found:
        return Reply(text=t(req.lang, "sources_none"))
    lines = [
        f"- `{s.id}` **{clip(s.title, 90)}** · {s.articles} · {day(s.first, req.lang)} → "
        f"{day(s.last, req.lang)}"
        for s in found
    ]
    return Reply(text="\n".join(lines), title=t(req.lang, "stories_title"))


@command("story", STORY, help_fr="Le résumé de l'histoire, chaque phrase citée.")
async def story(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """A short summary of the story from several sources, every sentence cited."""
    found = await _story(ctx, req)
    if isinstance(found, Reply):
        return found
    record, articles = found
    key = _key_entities(articles)
    centroid: Counter[str] = Counter()
    for art in articles:
        for _, words in article_stems(art)[:8]:
            centroid.update(words)
    candidates: list[tuple[float, ArticleRecord, str, set[str]]] = []
    for art in articles:
        surfaces = {e.id: e.matched for e in art.entities if e.id in key}
        for pos, (sentence, words) in enumerate(article_stems(art)[:12]):
            if not words:
                continue
            central = sum(centroid[w] for w in words) / (len(words) ** 0.5 * len(articles))
            ents = sum(key[eid] for eid, ms in surfaces.items() if any(m in sentence for m in ms))
            score = central + 0.6 * ents / len(articles) + (0.5 if pos < 2 else 0.0)
            candidates.append((score, art, sentence, words))
    candidates.sort(key=lambda c: -c[0])
    chosen: list[tuple[ArticleRecord, str]] = []
    chosen_terms: list[set[str]] = []  # stems of the sentences kept
    per_article: Counter[str] = Counter()
    for _, art, sentence, words in candidates:
        if per_article[art.id] >= 2 or _too_close(words, chosen_terms, 0.25):
            continue
        chosen.append((art, sentence))
        chosen_terms.append(words)
        per_article[art.id] += 1
        if len(chosen) >= SUMMARY_SENTENCES:
            break
    dated = [a.published_at for a in articles if a.published_at]
    chosen.sort(key=lambda x: x[0].published_at.timestamp() if x[0].published_at else 0)
    cite = Cites()
    lines = [f"{quote(sentence, 400)} [{cite(art)}]" for art, sentence in chosen]
    outlets = sorted({a.source for a in articles if a.source})
    fields = [
        Field(t(req.lang, "key_entities"), _names(ctx, [e for e, _ in key.most_common(6)])),
        Field(t(req.lang, "outlets"), ", ".join(outlets) or t(req.lang, "unknown_outlet")),
        Field(
            t(req.lang, "date_range"),
            f"{day(min(dated), req.lang)} → {day(max(dated), req.lang)}" if dated else "?",
            inline=True,
        ),
        Field(t(req.lang, "articles"), str(record.articles), inline=True),
    ]
    return Reply(
        text="\n".join(f"- {line}" for line in lines),
        title=clip(record.title, 200),
        fields=fields,
        citations=cite.citations,
        footer=f"story {record.id}",
    )


def _reference_date(
    article: ArticleRecord, articles: Sequence[ArticleRecord]
) -> tuple[date | None, bool]:
    """The date relative expressions are resolved against, and whether only its month is
    known. An undated article takes the opening of its story (the first dated article).
    A date on the 1st of a month at midnight UTC is taken as month-only ("date 2024-03")."""
    when = article.published_at
    if when is None:
        dated = sorted(a.published_at for a in articles if a.published_at)
        when = dated[0] if dated else None
    if when is None:
        return None, False
    month_only = when.day == 1 and (when.hour, when.minute, when.second) == (0, 0, 0)
    if month_only:  # resolve against the month's last day, keep results at month precision
        nxt = date(when.year + when.month // 12, when.month % 12 + 1, 1)
        return nxt - timedelta(days=1), True
    return when.date(), False


_MONTH_STEMS = frozenset(stem(month) for month in MONTH_NAMES)


def stems(sentence: str) -> set[str]:
    """The stems (:func:`nlp.terms.terms`) a sentence is compared on: "fondée" and "fonder",
    "quitté" and "quitter" meet; numbers, month names and stems under three letters are
    left out (a date is compared as a date, not as a word)."""
    return {w for w in terms(sentence) if len(w) >= 3 and not w.isdigit() and w not in _MONTH_STEMS}


@dataclass
class Event:
    when: DateMention
    sentence: str
    article: ArticleRecord
    words: set[str]  # distinctive stems (the story's commonest left out)
    all_words: set[str] = field(default_factory=set)
    support: int = 1


_PART_DAYS = {"early": range(1, 11), "mid": range(11, 21), "late": range(21, 32)}


def _same_time(a: DateMention, b: DateMention) -> bool:
    """Could the two mentions name the same moment (at their precisions)?"""
    if a.year != b.year:
        return False
    if a.month is None or b.month is None:
        return True
    if a.month != b.month:
        return False
    if a.day is not None and b.day is not None:
        return a.day == b.day
    for x, y in ((a, b), (b, a)):
        if x.day is not None and y.part in _PART_DAYS:
            return x.day in _PART_DAYS[y.part]
    return True


_NOWADAYS = frozenset({"aujourd'hui", "today", "nowadays"})  # usually "these days", not a date


def _same_event(event: Event, when: DateMention, words: set[str], all_words: set[str]) -> bool:
    if not _same_time(event.when, when):
        return False
    shared = words & event.words
    if len(shared) >= 2 and len(shared) / max(1, len(words | event.words)) >= 0.1:
        return True
    if when.month is None and event.when.month is None and shared:
        return True  # "co-fondée en 2015" and "fonder OpenAI en 2015": one distinctive word
    # the same day named in two languages: one shared name (e.g. "grok") is enough
    same_day = when.day is not None and event.when.day is not None
    return same_day and bool(all_words & event.all_words)


def _dated_sentences(
    art: ArticleRecord, ref: date | None, month_only: bool
) -> list[tuple[DateMention, str]]:
    """The first date of each dated sentence of an article (not plans or forecasts)."""
    out = []
    for sentence in _body_sentences(art):
        mentions = [
            m
            for m in find_dates(sentence, ref, art.lang or "fr")
            if m.precision != "week" and fold(m.text) not in _NOWADAYS
        ]
        if not mentions or (ref and mentions[0].as_date() > ref):  # none, or a plan
            continue
        when = mentions[0]
        if month_only and when.relative and when.day is not None:
            when = replace(when, day=None, precision="month")  # "lundi" of March 2024
        out.append((when, sentence))
    return out


def timeline_events(articles: Sequence[ArticleRecord]) -> list[Event]:
    """Dated events of a story, deduplicated across articles, in chronological order.

    Two dated sentences are one event when their dates can name the same moment and they
    share at least two words that are not everywhere in the story (e.g. "fonder" and
    "OpenAI" for the founding, but not just "Elon Musk")."""
    found: list[tuple[DateMention, str, ArticleRecord]] = []
    df: Counter[str] = Counter()
    for art in articles:
        ref, month_only = _reference_date(art, articles)
        for _, words in article_stems(art):
            df.update(words)
        for when, sentence in _dates_cache.get(
            (art.id, ref, month_only), partial(_dated_sentences, art, ref, month_only)
        ):
            found.append((when, sentence, art))
    common = {w for w, _ in df.most_common(8)}
    events: list[Event] = []
    for when, sentence, art in found:
        all_words = stems(sentence)
        words = all_words - common
        same = next((e for e in events if _same_event(e, when, words, all_words)), None)
        if same is None:
            events.append(Event(when, sentence, art, words, all_words))
            continue
        same.support += 1
        precise = (when.month is not None) + (when.day is not None)
        if precise > (same.when.month is not None) + (same.when.day is not None):
            same.when, same.sentence, same.article = when, sentence, art  # the most precise
            same.all_words = all_words
    events.sort(key=lambda e: (when_key(e.when), -e.support))
    return events


_PART_ORDER = {"early": 5, "mid": 15, "late": 25}


def when_key(when: DateMention) -> tuple[int, int, int]:
    """Chronological order; a month or year known only vaguely sits in its middle, so
    "début mars" (early March) comes before a "lundi" known only to be in March."""
    middle = _PART_ORDER.get(when.part or "", 15)
    month = when.month if when.month is not None else (1 if when.part == "early" else 6)
    return (when.year, month, when.day if when.day is not None else middle)


@command("timeline", STORY, help_fr="Les événements datés de l'histoire, dans l'ordre, cités.")
async def timeline(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """The dated events of the story in chronological order, each cited."""
    found = await _story(ctx, req)
    if isinstance(found, Reply):
        return found
    record, articles = found
    events = timeline_events(articles)
    if not events:
        return Reply(text=t(req.lang, "timeline_none"))
    if len(events) > TIMELINE_EVENTS:  # keep the best supported, still in order
        keep = {id(e) for e in sorted(events, key=lambda e: -e.support)[:TIMELINE_EVENTS]}
        events = [e for e in events if id(e) in keep]
    cite = Cites()
    lines = [f"- **{e.when.iso()}** — {quote(e.sentence, 300)} [{cite(e.article)}]" for e in events]
    return Reply(
        text="\n".join(lines),
        title=t(req.lang, "timeline_title", title=clip(record.title, 150)),
        citations=cite.citations,
        footer=f"story {record.id}",
    )


@command(
    "quotes",
    Param(
        "entity",
        "only what this person or company said",
        kind="entity",
        required=False,
        rest=True,
        description_fr="seulement ce qu'a dit cette personne ou entreprise",
    ),
    STORY,
    help_fr="Les citations de l'histoire avec leur auteur, citées.",
)
async def quotes(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Quotations of the story with who said them, cited; optionally one speaker only."""
    found = await _story(ctx, req)
    if isinstance(found, Reply):
        return found
    record, articles = found
    speaker_id: str | None = None
    speaker_names: set[str] = set()
    if req.args.get("entity"):
        res = await resolve_entity(ctx, req.args["entity"], req.lang)
        if res.entity is None:
            return Reply.error(res.error)
        speaker_id = res.entity.id
        speaker_names = {fold(res.entity.name), *(fold(a) for a in res.entity.aliases)}
    cite = Cites()
    lines: list[str] = []
    seen: list[set[str]] = []
    for art in articles:
        for q in find_quotes(art.text, art.lang or "fr"):
            if q.speaker is None or len(q.text.split()) < 3:
                continue
            if speaker_id is not None:
                resolved = ctx.catalog.resolve(q.speaker)
                spoken = fold(q.speaker)
                if not (
                    (resolved and resolved.id == speaker_id)
                    or any(n in spoken for n in speaker_names if len(n) > 3)
                ):
                    continue
            words = set(terms(q.text))
            if _too_close(words, seen, 0.6):
                continue
            seen.append(words)
            marks = ("«\u00a0", "\u00a0»") if (art.lang or "fr") == "fr" else ("“", "”")
            text = quote(q.text, 280)
            said = f"{marks[0]}{text}{marks[1]}" if q.kind == "direct" else f"_{text}_"
            lines.append(f"- **{quote(q.speaker, 60)}**: {said} [{cite(art)}]")
            if len(lines) >= 8:
                break
        if len(lines) >= 8:
            break
    if not lines:
        return Reply(text=t(req.lang, "quotes_none"))
    return Reply(
        text="\n".join(lines),
        title=t(req.lang, "quotes_title", title=clip(record.title, 150)),
        citations=cite.citations,
        footer=f"story {record.id}",
    )


@command("who", ENTITY, help_fr="Qui est cette entité dans l'histoire, avec qui elle apparaît.")
async def who(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Who or what an entity is in the stored articles: role sentences, the entities most
    often mentioned with it, how many articles mention it."""
    res = await resolve_entity(ctx, req.args["entity"], req.lang)
    if res.entity is None:
        return Reply.error(res.error)
    ent = res.entity
    total, articles = await ctx.store.index.mentioning(ent.id, limit=40)
    if not total:
        return Reply(text=t(req.lang, "mentions_none", name=ent.name))
    with_it: Counter[str] = Counter()
    roles: list[tuple[float, ArticleRecord, str]] = []
    for art in articles:
        hit = art.entity(ent.id)
        with_it.update(e.id for e in art.entities if e.id != ent.id and e.source == "catalog")
        if hit is None:
            continue
        for sentence in _body_sentences(art)[:15]:
            if not any(m in sentence for m in hit.matched):
                continue
            # a role sentence names the entity early, and says what it is or does
            pos = min((sentence.find(m) for m in hit.matched if m in sentence), default=99)
            score = hit.salience + (1.0 if pos < 40 else 0.0) - abs(len(sentence.split()) - 25) / 50
            roles.append((score, art, sentence))
    roles.sort(key=lambda r: -r[0])
    cite = Cites()
    picked: list[str] = []
    seen: list[set[str]] = []
    for _, art, sentence in roles:
        words = set(terms(sentence))
        if _too_close(words, seen):
            continue
        seen.append(words)
        picked.append(f"- {quote(sentence, 300)} [{cite(art)}]")
        if len(picked) >= 3:
            break
    fields = [
        Field(t(req.lang, "type"), ent.type, inline=True),
        Field(t(req.lang, "articles"), str(total), inline=True),
        Field(
            t(req.lang, "often_with"), _names(ctx, [e for e, _ in with_it.most_common(5)]) or "—"
        ),
    ]
    if ent.description:
        fields.insert(0, Field(t(req.lang, "in_catalog"), ent.description))
    return Reply(
        text="\n".join(picked),
        title=ent.name,
        fields=fields,
        citations=cite.citations,
    )


def weekly_counts(stamps: Sequence[float]) -> list[tuple[date, int]]:
    """Mentions per ISO week (Monday), with the empty weeks in between."""
    from datetime import UTC, datetime, timedelta

    if not stamps:
        return []
    days = sorted(datetime.fromtimestamp(s, UTC).date() for s in stamps)
    weeks = Counter(d - timedelta(days=d.weekday()) for d in days)
    start, end = min(weeks), max(weeks)
    out = []
    cur = start
    while cur <= end:
        out.append((cur, weeks.get(cur, 0)))
        cur += timedelta(days=7)
    return out


@command("trend", ENTITY, help_fr="Les mentions d'une entité au fil du temps, en graphique.")
async def trend(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Mentions of an entity over time, as a chart (with a text version)."""
    res = await resolve_entity(ctx, req.args["entity"], req.lang)
    if res.entity is None:
        return Reply.error(res.error)
    ent = res.entity
    series = weekly_counts(await ctx.store.index.entity_timestamps(ent.id))
    if not series:
        return Reply(text=t(req.lang, "mentions_none", name=ent.name))
    if len(series) > 60:
        series = series[-60:]
    top = max(n for _, n in series)
    rows = "\n".join(
        f"{w.isoformat()} {'█' * max(1, round(20 * n / top)) if n else '·'} {n}" for w, n in series
    )
    bars = f"```\n{rows}\n```"
    image = ctx.charts.weekly(ent.name, series) if ctx.charts else None
    return Reply(
        text=bars,
        title=t(req.lang, "trend_title", name=ent.name, total=sum(n for _, n in series)),
        image=image,
        footer=f"median {statistics.median(n for _, n in series):g}/week",
    )
