"""Question answering benchmark: our retrieval against a real BM25 library, on two sets.

Run: ``.venv/bin/python benchmarks/story.py [-v] [--set sample|heldout|all]``

* **heldout** (the figure that counts): 25 articles of other stories than the default one
  (``benchmarks/heldout/articles``, French and English, written for this benchmark: none of
  them is in the sample corpus or the seeds), stored together with the sample corpus
  (``bot/corpus``) as distractors, and the questions of ``benchmarks/heldout/questions.jsonl``,
  split **dev** (the five stories the ranker may be tuned on) and **test** (five other
  stories, never looked at while tuning). Printed per split: right in first place,
  cross-language (no article in the question's language holds the answer), "why"
  questions, refusals of unanswerable questions, and answerable questions wrongly refused.
* **sample**: the 45 questions of ``benchmarks/data/questions.jsonl`` over the five seed
  articles (``../shared/seeds``, when present) and the sample corpus, the set the ranker's
  first constants were set on.

Every article is cut into passages with the real analyzer (:func:`nlp.retrieval.split_passages`);
both rankers rank the same passages:

* ours is :class:`nlp.retrieval.Ranker`; an answerable question is right when the first
  passage holds one of its ``facts`` (case-insensitive substring) and the ranker does not
  refuse; an unanswerable one is right when it refuses (:meth:`Ranker.answerable`);
* the baseline is Okapi BM25 from the ``rank-bm25`` library (``BM25Okapi``) over the folded
  words of each passage (:func:`nlp.terms.words`: accents and case folded, stop words out,
  no stemming). It cannot refuse, so it is always wrong on unanswerable questions.

Also prints the ranking latency per question (median, p90, index built before timing) and,
with the seeds, whether their timeline comes out in the right order with the right dates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rank_bm25 import BM25Okapi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest.readers import read_paths  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.catalog import Catalog  # noqa: E402
from nlp.lang import detect_language  # noqa: E402
from nlp.pipeline import Analyzer  # noqa: E402
from nlp.retrieval import Passage, Ranker, split_passages  # noqa: E402
from nlp.terms import words  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
HELDOUT = ROOT / "benchmarks" / "heldout"
SEEDS = ROOT.parent / "shared" / "seeds"
CORPUS = ROOT / "bot" / "corpus"


@dataclass(frozen=True)
class Question:
    """One evaluation question."""

    question: str
    lang: str
    facts: tuple[str, ...]
    unanswerable: bool
    split: str = "sample"
    kind: str = ""
    cross: bool = False  # no article in the question's language holds a fact


def load_questions(path: Path, articles: Sequence[tuple[RawArticle, str]] = ()) -> list[Question]:
    """The questions of a JSON-lines file; ``articles`` (with their language) decide
    which answerable questions are cross-language."""
    out: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        facts = tuple(raw.get("facts", ()))
        lang = raw["lang"]
        holders = [
            art_lang
            for art, art_lang in articles
            if any(f.casefold() in f"{art.title}\n{art.text}".casefold() for f in facts)
        ]
        out.append(
            Question(
                raw["question"],
                lang,
                facts,
                bool(raw.get("unanswerable", False)),
                raw.get("split", "sample"),
                raw.get("kind", ""),
                bool(holders) and lang not in holders,
            )
        )
    return out


def load_articles(paths: Sequence[Path]) -> list[tuple[RawArticle, str]]:
    """The articles of ``paths`` (those that exist) with their language."""
    out: list[tuple[RawArticle, str]] = []
    for item in read_paths([p for p in paths if p.is_dir()]):
        if isinstance(item, RawArticle):
            lang = item.lang or detect_language(item.title + "\n\n" + item.text)
            out.append((item, lang if lang in ("fr", "en") else "fr"))
    return out


def cut(articles: Sequence[tuple[RawArticle, str]], analyzer: Analyzer) -> list[Passage]:
    """All the passages of the articles, as ``/grok ask`` cuts them."""
    passages: list[Passage] = []
    for item, lang in articles:
        published: date | None = item.published_at.date() if item.published_at else None
        passages.extend(
            split_passages(
                item.article_id(),
                item.title,
                item.text,
                lang=lang,
                published=published,
                analyzer=analyzer,
            )
        )
    return passages


class LibraryBM25:
    """The baseline: ``rank_bm25.BM25Okapi`` over the folded words of the passages."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        """Index ``passages`` once."""
        self.passages = passages
        self.bm25 = BM25Okapi([words(p.text) or ["_"] for p in passages])

    def rank(self, question: str, limit: int = 5) -> list[tuple[Passage, float]]:
        """The ``limit`` passages with the highest BM25 score, best first."""
        query = words(question)
        if not query:
            return []
        scores = self.bm25.get_scores(query)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:limit]
        return [(self.passages[i], float(scores[i])) for i in order if scores[i] > 0]


def holds(passage: Passage, facts: Sequence[str]) -> bool:
    """Whether the passage holds one of the facts (case-insensitive substring)."""
    text = passage.text.casefold()
    return any(f.casefold() in text for f in facts)


@dataclass
class Tally:
    """Right answers per category, for ours and for the baseline."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # name -> [ours, bm25, of]

    def add(self, name: str, ours: bool, bm25: bool) -> None:
        row = self.counts.setdefault(name, [0, 0, 0])
        row[0] += ours
        row[1] += bm25
        row[2] += 1

    def print(self, title: str) -> None:
        print(f"\n{title:44} {'ours':>12} {'bm25':>12}")
        for name, (ours, bm25, n) in self.counts.items():
            print(
                f"  {name:42} {ours / n:>5.0%} {ours:>2}/{n:<3} {bm25 / n:>5.0%} {bm25:>2}/{n:<3}"
            )


def p90(values: Sequence[float]) -> float:
    """90th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.9 * len(ordered)) - 1))]


def evaluate(
    label: str,
    questions: Sequence[Question],
    passages: Sequence[Passage],
    ours: Ranker,
    verbose: bool,
    show: bool = True,
    failures: bool = False,
) -> tuple[Tally, list[float]]:
    """Ask every question to both rankers; print one line per question (``show``; with
    ``failures``, each wrong answer: expected, got, why), return the tally."""
    base = LibraryBM25(passages)
    ours.rank("warm up", passages, 1)  # the index is built once, outside the timings
    tally = Tally()
    times: list[float] = []
    print(f"\n== {label}: {len(questions)} questions over {len(passages)} passages")
    if show:
        print(f"{'':2} {'ours':6} {'bm25':6} question")
    for q in questions:
        start = time.perf_counter()
        ranked = ours.rank(q.question, passages, 5)
        says = ours.answerable(ranked)
        times.append((time.perf_counter() - start) * 1000.0)
        baseline = base.rank(q.question, 5)
        if q.unanswerable:
            good, good_b = not says, False
        else:
            good = says and bool(ranked) and holds(ranked[0][0], q.facts)
            good_b = bool(baseline) and holds(baseline[0][0], q.facts)
        tally.add("right in first place, all", good, good_b)
        if q.unanswerable:
            tally.add("unanswerable, refused", good, good_b)
        else:
            tally.add("answerable, right", good, good_b)
            tally.add("answerable, wrongly refused (lower is better)", not says, False)
            if q.cross:
                tally.add("cross-language, right", good, good_b)
            if q.kind == "why":
                tally.add('"why", right', good, good_b)
        top = f"{ranked[0][1]:.2f}" if ranked else "-"
        flags = ("x" if q.cross else " ") + ("?" if q.unanswerable else " ")
        refused = "" if says else " (refused)"
        if not show:
            continue
        if failures and not good:
            why = (
                "answered, should refuse"
                if q.unanswerable
                else ("refused" if not says else "wrong passage first")
            )
            got = ranked[0][0].text[:200] if ranked else "-"
            print(f"   FAIL {q.question}\n      expected: {q.facts or 'a refusal'}")
            print(f"      got ({top}): {got}\n      why: {why}")
        print(
            f"{q.lang} {'ok' if good else 'NO':2} {top:>4} {'ok' if good_b else 'NO':4} "
            f"{flags} {q.question}{refused}"
        )
        if verbose or not good:
            for p, s in ranked[:3]:
                print(f"      {s:.3f} [{p.index}] {p.text[:220]}")
    return tally, times


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("-v", "--verbose", action="store_true", help="print the top answers")
    parser.add_argument("--set", choices=("sample", "heldout", "all"), default="all")
    parser.add_argument("--llm-url", help="also score the generative reader at this API")
    parser.add_argument("--llm-model", default="default", help="the model name to ask for")
    parser.add_argument(
        "--failures", action="store_true", help="print each dev failure: expected, got, why"
    )
    parser.add_argument(
        "--show-test",
        action="store_true",
        help="print the test questions too (not while tuning: tune on dev only)",
    )
    args = parser.parse_args(argv)

    catalog = Catalog.load()
    analyzer = Analyzer(catalog)
    ours = Ranker(catalog)
    summaries: list[tuple[str, Tally]] = []
    times: list[float] = []

    if args.set in ("heldout", "all"):
        articles = load_articles([HELDOUT / "articles", CORPUS])
        passages = cut(articles, analyzer)
        heldout = [
            a for a in articles if (HELDOUT / "articles") in Path(a[0].path or "").resolve().parents
        ]
        questions = load_questions(HELDOUT / "questions.jsonl", heldout)
        print(
            f"held-out: {len(heldout)} articles of other stories + {len(articles) - len(heldout)}"
        )
        for split in ("dev", "test"):
            chosen = [q for q in questions if q.split == split]
            show = split == "dev" or args.show_test
            tally, spent = evaluate(
                f"held-out {split}",
                chosen,
                passages,
                ours,
                args.verbose and show,
                show,
                args.failures and split == "dev",
            )
            summaries.append((f"held-out {split} ({len(chosen)} questions)", tally))
            if args.llm_url:
                from benchmarks.llm_reader import score

                asked = [(q.question, q.lang, q.facts, q.unanswerable) for q in chosen]
                right, fell, n = score(args.llm_url, args.llm_model, asked, passages, ours)
                print(f"generative reader, {split}: right {right}/{n}, fell back {fell}/{n}")
            times.extend(spent)

    if args.set in ("sample", "all"):
        if not SEEDS.is_dir():
            print(f"note: {SEEDS} not found, seed questions will mostly fail")
        passages = cut(load_articles([SEEDS, CORPUS]), analyzer)
        questions = load_questions(DATA / "questions.jsonl")
        tally, spent = evaluate("sample corpus", questions, passages, ours, args.verbose)
        summaries.append((f"sample corpus and seeds ({len(questions)} questions)", tally))
        times.extend(spent)

    for title, tally in summaries:
        tally.print(title)
    print(
        f"\nours: latency ms per question, median {statistics.median(times):.2f}, p90 {p90(times):.2f}"
    )
    if args.set in ("sample", "all") and SEEDS.is_dir():
        timeline_ok = check_timeline()
        print(
            f"timeline of the seeds in the right order with the right dates: "
            f"{'yes' if timeline_ok else 'NO'}"
        )
    return 0


def check_timeline() -> bool:
    """Build the seeds' timeline through the real store and compare with the expected order."""
    import asyncio
    import tempfile

    from bot.app import App
    from bot.settings import load_settings
    from handlers.story import timeline_events

    expected = json.loads((DATA / "timeline_expected.json").read_text())

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
