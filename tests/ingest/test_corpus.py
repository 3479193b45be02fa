"""Real inputs: the seed articles (skipped when ../shared/seeds is absent) and the sample
corpus shipped in bot/corpus/."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.readers import CORPUS_DIR, read_corpus, read_file, read_paths
from handlers.model import RawArticle, Rejected
from tests.ingest.helpers import article

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def seed(prefix: str) -> RawArticle:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix} not found in {SEEDS}")
    return article(matches[0])


def test_seed_001_date_token() -> None:
    a = seed("001")
    assert a.published_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert not a.title.lower().startswith("date")
    assert "2024-03" not in a.title
    assert 20 < len(a.title) <= 160
    # the title is the first sentence of the first paragraph, which stays whole in the body
    first_paragraph = a.text.split("\n\n")[0]
    assert a.text.startswith(a.title)
    assert len(first_paragraph) > len(a.title) + 20
    assert not a.text.lstrip().lower().startswith("date")


def test_seed_002_screenshot_caption_skipped() -> None:
    a = seed("002")
    assert not a.title.lower().startswith("capture d")
    assert "Capture d'écran" not in a.text
    assert "Grok" in a.title
    assert not a.title.endswith(".")


def test_seed_003_skip_link_skipped() -> None:
    a = seed("003")
    assert a.title != "Passer au contenu"
    assert "Passer au contenu" not in a.text
    assert "Grok" in a.title
    assert not a.text.startswith(a.title)


def test_seed_004_markdown_bold_title() -> None:
    a = seed("004")
    assert "*" not in a.title
    assert "Grok" in a.title
    assert not a.text.startswith("*")


def test_seed_000_photo_caption_dropped() -> None:
    a = seed("000")
    assert "Grok" in a.title
    assert "(FILES)" not in a.text
    assert "(FILES)" not in a.title


def test_seeds_all_parse_with_stable_unique_ids() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}")
    first = list(read_paths([SEEDS]))
    second = list(read_paths([SEEDS]))
    assert first and all(isinstance(i, RawArticle) for i in first), first
    ids = [i.article_id() for i in first if isinstance(i, RawArticle)]
    assert ids == [i.article_id() for i in second if isinstance(i, RawArticle)]
    assert len(set(ids)) == len(ids)
    for a in first:
        assert isinstance(a, RawArticle)
        assert 10 < len(a.title) <= 160
        assert len(a.text) > 500


def corpus() -> list[RawArticle]:
    items = list(read_corpus())
    bad = [i for i in items if isinstance(i, Rejected)]
    assert not bad, bad
    return [i for i in items if isinstance(i, RawArticle)]


def test_corpus_every_file_parses() -> None:
    files = sorted(p for p in CORPUS_DIR.iterdir() if not p.name.startswith("."))
    assert {p.suffix for p in files} == {".md", ".jsonl"}
    assert sum(p.suffix == ".jsonl" for p in files) == 1
    for path in files:
        items = list(read_file(path))
        assert items and all(isinstance(i, RawArticle) for i in items), (path, items)


def test_corpus_size_languages_ids() -> None:
    articles = corpus()
    assert len(articles) >= 12
    assert {a.lang for a in articles} == {"fr", "en"}
    ids = [a.article_id() for a in articles]
    assert len(set(ids)) == len(ids)
    hashes = [a.content_hash() for a in articles]
    assert len(set(hashes)) == len(hashes)


def test_corpus_articles_are_complete() -> None:
    for a in corpus():
        assert a.title and a.source and a.url and a.published_at and a.lang, a.path
        assert re.match(r"https://example\.(org|com|net)/", a.url), a.url
        words = len(a.text.split())
        assert 120 <= words <= 300, (a.path, words)
        assert datetime(2023, 1, 1, tzinfo=UTC) < a.published_at < datetime(2024, 5, 1, tzinfo=UTC)


def test_corpus_covers_story_and_traps() -> None:
    texts = [(a.title + "\n" + a.text).lower() for a in corpus()]
    story = [t for t in texts if "grok" in t or "xai" in t]
    traps = [t for t in texts if "grok" not in t and "xai" not in t and "openai" not in t]
    assert len(story) >= 10
    assert len(traps) >= 3
    joined = "\n".join(traps)
    for word in ("mistral", "tesla", "llama", "rayons x"):
        assert word in joined
