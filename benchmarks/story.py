"""Question answering benchmark: our sentence retrieval against plain BM25, and its speed.

Run: ``.venv/bin/python benchmarks/story.py [-v]``

Loads the five French seed articles (``../shared/seeds``, when present) and the sample
corpus (``bot/corpus``), cuts every article into sentence passages with the real analyzer,
then asks each question of ``benchmarks/data/questions.jsonl`` to :class:`nlp.retrieval.Ranker`
and to :class:`nlp.retrieval.BM25Baseline`:

* an answerable question is right when the first passage holds one of its ``facts``
  (case-insensitive substring) and, for our ranker, when it does not refuse;
* an unanswerable question is right when the ranker refuses (:meth:`Ranker.answerable`).
  BM25 has no way to refuse, so it is always wrong on those; its share is also given on
  the answerable questions alone.

Also prints the time to build passages and the ranking latency per question (median, p90)
over all passages, for both rankers (the index is built once, before timing).

Target: ours >= 85% right in first place, ahead of BM25.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest.readers import read_paths  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.catalog import Catalog  # noqa: E402
from nlp.lang import detect_language  # noqa: E402
from nlp.pipeline import Analyzer  # noqa: E402
from nlp.retrieval import BM25Baseline, Passage, Ranker, split_passages  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"
CORPUS = ROOT / "bot" / "corpus"


@dataclass(frozen=True)
class Question:
    """One line of questions.jsonl."""

    question: str
    lang: str
    facts: tuple[str, ...]
    unanswerable: bool


def load_questions(path: Path) -> list[Question]:
    """The evaluation questions."""
    out: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(
                Question(
                    raw["question"],
                    raw["lang"],
                    tuple(raw.get("facts", ())),
                    bool(raw.get("unanswerable", False)),
                )
            )
    return out


def load_passages(analyzer: Analyzer) -> tuple[list[Passage], int]:
    """Passages of the seeds (when present) and of the sample corpus; and the article count."""
    paths = [p for p in (SEEDS, CORPUS) if p.is_dir()]
    passages: list[Passage] = []
    articles = 0
    for item in read_paths(paths):
        if not isinstance(item, RawArticle):
            continue
        articles += 1
        lang = item.lang or detect_language(item.title + "\n\n" + item.text)
        published: date | None = item.published_at.date() if item.published_at else None
        passages.extend(
            split_passages(
                item.article_id(),
                item.title,
                item.text,
                lang=lang if lang in ("fr", "en") else "fr",
                published=published,
                analyzer=analyzer,
            )
        )
    return passages, articles


def holds(passage: Passage, facts: Sequence[str]) -> bool:
    """Whether the sentence holds one of the facts (case-insensitive substring)."""
    text = passage.sentence.casefold()
    return any(f.casefold() in text for f in facts)


Rank = Callable[[str, Sequence[Passage], int], list[tuple[Passage, float]]]


def timed(
    rank: Rank, question: str, passages: Sequence[Passage]
) -> tuple[list[tuple[Passage, float]], float]:
    """Ranked passages and the milliseconds it took."""
    start = time.perf_counter()
    ranked = rank(question, passages, 5)
    return ranked, (time.perf_counter() - start) * 1000.0


def p90(values: Sequence[float]) -> float:
    """90th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.9 * len(ordered)) - 1))]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("-v", "--verbose", action="store_true", help="print the top answers")
    args = parser.parse_args(argv)

    questions = load_questions(DATA / "questions.jsonl")
    catalog = Catalog.load()
    analyzer = Analyzer(catalog)
    start = time.perf_counter()
    passages, articles = load_passages(analyzer)
    build = time.perf_counter() - start
    if not SEEDS.is_dir():
        print(f"note: {SEEDS} not found, seed questions will mostly fail")
    print(
        f"{articles} articles, {len(passages)} passages, built in {build:.2f} s "
        f"({1000 * build / max(articles, 1):.0f} ms/article)"
    )

    ours = Ranker(catalog)
    bm25 = BM25Baseline()
    # build both indexes once, outside the timings
    ours.rank("warm up", passages, 1)
    bm25.rank("warm up", passages, 1)

    ours_ok = bm25_ok = 0
    ours_answerable_ok = bm25_answerable_ok = 0
    refusals_ok = 0
    answerable = [q for q in questions if not q.unanswerable]
    refusable = [q for q in questions if q.unanswerable]
    times_ours: list[float] = []
    times_bm25: list[float] = []
    print()
    print(f"{'':2} {'ours':6} {'bm25':6} question")
    for q in questions:
        ranked, ms = timed(ours.rank, q.question, passages)
        base, ms_b = timed(bm25.rank, q.question, passages)
        times_ours.append(ms)
        times_bm25.append(ms_b)
        says = ours.answerable(ranked)
        if q.unanswerable:
            good = not says
            good_b = False
            refusals_ok += good
        else:
            good = says and bool(ranked) and holds(ranked[0][0], q.facts)
            good_b = bool(base) and holds(base[0][0], q.facts)
            ours_answerable_ok += good
            bm25_answerable_ok += good_b
        ours_ok += good
        bm25_ok += good_b
        mark = "ok" if good else "NO"
        mark_b = "ok" if good_b else "NO"
        top = f"{ranked[0][1]:.2f}" if ranked else "-"
        refused = "" if says else " (refused)"
        print(f"{q.lang} {mark:2} {top:>4} {mark_b:6} {q.question}{refused}")
        if args.verbose or not good:
            for p, s in ranked[:3]:
                print(f"      {s:.3f} [{p.index}] {p.sentence[:150]}")
        if args.verbose or (good_b != good):
            for p, s in base[:1]:
                print(f"      bm25 {s:.2f} [{p.index}] {p.sentence[:150]}")

    n = len(questions)
    print()
    print(f"{'':32} {'ours':>10} {'bm25':>10}")
    print(
        f"{'right in first place, all':32} {ours_ok / n:>9.0%} {bm25_ok / n:>10.0%}"
        f"   ({ours_ok}/{n} vs {bm25_ok}/{n})"
    )
    na = len(answerable)
    print(
        f"{'right in first place, answerable':32} {ours_answerable_ok / na:>9.0%} "
        f"{bm25_answerable_ok / na:>10.0%}   ({ours_answerable_ok}/{na} vs {bm25_answerable_ok}/{na})"
    )
    if refusable:
        print(
            f"{'refusals right':32} {refusals_ok / len(refusable):>9.0%} {'n/a':>10}"
            f"   ({refusals_ok}/{len(refusable)})"
        )
    print(
        f"{'latency ms, median':32} {statistics.median(times_ours):>10.2f} "
        f"{statistics.median(times_bm25):>10.2f}"
    )
    print(f"{'latency ms, p90':32} {p90(times_ours):>10.2f} {p90(times_bm25):>10.2f}")
    target = ours_ok / n >= 0.85 and ours_ok > bm25_ok
    print(f"\ntarget (ours >= 85% and ahead of BM25): {'met' if target else 'NOT met'}")
    if SEEDS.is_dir():
        timeline_ok = check_timeline()
        print(
            f"timeline of the seeds in the right order with the right dates: "
            f"{'yes' if timeline_ok else 'NO'}"
        )
    return 0


def check_timeline() -> bool:
    """Build the seeds' timeline through the real store and compare with the expected order."""
    import asyncio
    import json
    import tempfile

    from bot.app import App
    from bot.settings import load_settings
    from handlers.story import timeline_events

    expected = json.loads((ROOT / "benchmarks" / "data" / "timeline_expected.json").read_text())

    async def build() -> list[tuple[str, str]]:
        with tempfile.TemporaryDirectory() as tmp:
            async with App(load_settings(data_dir=Path(tmp), key_prefix="tl")) as app:
                await app.ingest([str(SEEDS)])
                story = (await app.store.stories.top(limit=1))[0]
                articles = await app.store.stories.articles(story.id)
                return [(e.when.iso(), e.sentence) for e in timeline_events(articles)]

    events = asyncio.run(build())
    print(f"\ntimeline of the seeds: {len(events)} events")
    positions = []
    ok = True
    for want in expected["events"]:
        found = next(
            (
                (i, when)
                for i, (when, sentence) in enumerate(events)
                if all(w.casefold() in sentence.casefold() for w in want["words"])
            ),
            None,
        )
        if found is None:
            print(f"  MISSING  {want['event']}")
            ok = False
            continue
        i, when = found
        right = when == want["date"]
        ok &= right
        positions.append(i)
        print(f"  {'ok' if right else 'WRONG':8} {when:10} {want['event']} (line {i + 1})")
    in_order = positions == sorted(positions)
    print(f"  order {'right' if in_order else 'WRONG'}: lines {[p + 1 for p in positions]}")
    return ok and in_order


if __name__ == "__main__":
    raise SystemExit(main())
