"""JSON and JSONL articles (bot.ingest.readers.json_reader): one object, lists, wrapped
lists, bad items and lines that do not stop the batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.ingest.readers import read_file, read_paths
from bot.ingest.readers.json_reader import parse_json_article
from handlers.model import RawArticle, Rejected
from tests.ingest.helpers import article, rejected, write


def test_json_single_object(tmp_path: Path) -> None:
    obj = {
        "title": "T",
        "url": "https://example.org/x",
        "body": "Body text.",
        "published_at": "2024-03-17",
        "source": {"id": "x", "name": "Wire & Weights"},
        "language": "EN",
    }
    a = article(write(tmp_path / "one.json", json.dumps(obj)))
    assert (a.title, a.text, a.url, a.source, a.lang) == (
        "T",
        "Body text.",
        "https://example.org/x",
        "Wire & Weights",
        "en",
    )
    assert a.published_at == datetime(2024, 3, 17, tzinfo=UTC)
    assert a.path == str(tmp_path / "one.json")


def test_json_list_with_a_bad_item(tmp_path: Path) -> None:
    data = [{"title": "A", "text": "a"}, {"title": "B"}, {"title": "C", "content": "c"}]
    items = list(read_file(write(tmp_path / "list.json", json.dumps(data))))
    assert [type(i).__name__ for i in items] == ["RawArticle", "Rejected", "RawArticle"]
    bad = items[1]
    assert isinstance(bad, Rejected)
    assert bad.where == f"{tmp_path / 'list.json'}#2"
    assert bad.reason.startswith("JSON item 2: missing 'text'")


def test_json_wrapped_articles_and_empty_list(tmp_path: Path) -> None:
    wrapped = {"articles": [{"title": "A", "text": "a"}]}
    assert article(write(tmp_path / "w.json", json.dumps(wrapped))).title == "A"
    assert "no articles" in rejected(write(tmp_path / "e.json", "[]")).reason
    r = rejected(write(tmp_path / "bad.json", '{"title": "x",'))
    assert r.reason.startswith("not valid JSON (line 1")


def test_jsonl_bad_lines_in_the_middle(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "One", "text": "first", "published_at": 1710669600}),
        "",
        "{not json",
        json.dumps({"title": "Three", "url": "https://example.org/3"}),
        json.dumps(["a", "list"]),
        "   ",
        json.dumps({"title": "Six", "text": "sixth", "published_at": "2024-03-17T10:00:00+02:00"}),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    items = list(read_paths([path]))
    good = [i for i in items if isinstance(i, RawArticle)]
    bad = [i for i in items if isinstance(i, Rejected)]
    assert [a.title for a in good] == ["One", "Six"]
    assert good[0].published_at == datetime(2024, 3, 17, 10, 0, tzinfo=UTC)
    assert good[1].published_at == datetime(2024, 3, 17, 8, 0, tzinfo=UTC)
    assert all(a.path == str(path) for a in good)
    assert [b.where for b in bad] == [f"{path}#3", f"{path}#4", f"{path}#5"]
    assert bad[0].reason.startswith("JSON line 3: not valid JSON")
    assert bad[1].reason.startswith("JSON line 4: missing 'text'")
    assert bad[2].reason.startswith("JSON line 5: expected a JSON object")


def test_parse_json_article_validation() -> None:
    assert isinstance(parse_json_article({"text": "x", "title": "t"}, "api"), RawArticle)
    cases: list[tuple[object, str]] = [
        ("just a string", "expected a JSON object"),
        ({}, "missing 'text'"),
        ({"text": 42}, "'text' must be a string"),
        ({"text": "   "}, "'text' is empty"),
        ({"text": "x", "title": ["t"]}, "'title' must be a string"),
        ({"text": "x", "published_at": "not a date"}, "'published_at' is not a date"),
        ({"text": "x", "published_at": True}, "'published_at' is not a date"),
    ]
    for obj, expected in cases:
        result = parse_json_article(obj, "api")
        assert isinstance(result, Rejected), obj
        assert result.where == "api"
        assert expected in result.reason, (obj, result.reason)


def test_parse_json_article_derives_missing_title() -> None:
    a = parse_json_article({"text": "Headline here\n\nThe body."}, "api")
    assert isinstance(a, RawArticle)
    assert (a.title, a.text) == ("Headline here", "The body.")
    only_title = parse_json_article({"text": "Just one line"}, "api")
    assert isinstance(only_title, Rejected)


def test_to_json_round_trip() -> None:
    a = RawArticle(
        title="T",
        text="Body.",
        url="https://example.org/a",
        source="S",
        published_at=datetime(2024, 3, 17, 12, tzinfo=UTC),
        lang="en",
    )
    b = parse_json_article(json.loads(json.dumps(a.to_json())), "x")
    assert b == a
