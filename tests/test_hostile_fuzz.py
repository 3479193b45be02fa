"""Fuzzing with hypothesis, bounded in examples so CI stays fast: the command parser and the
readers never raise anything but their own errors, whatever they are fed; and a feed of
100,000 items is cut to its first items instead of being parsed whole."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers  # noqa: F401  (registers every command)
from bot.ingest.fetch import FetchError, FetchResult
from bot.ingest.readers.html_reader import read_html
from bot.ingest.readers.json_reader import parse_json_article, read_json, read_jsonl
from bot.ingest.readers.text_reader import read_text
from bot.ingest.web import MAX_FEED_ITEMS, parse_feed
from handlers.model import RawArticle, Rejected
from handlers.registry import REGISTRY, ParseError, parse_command

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
names = st.sampled_from(sorted(REGISTRY)) if REGISTRY else st.just("help")
junk = st.text(alphabet=st.characters(codec=None), max_size=80)  # surrogates and NULs too


@FAST
@given(
    prefix=st.sampled_from(["/grok ", "/grok", "grok ", "/", ""]),
    name=names,
    rest=junk,
    lang=st.sampled_from(["en", "fr"]),
)
def test_the_command_parser_raises_only_parse_errors(
    prefix: str, name: str, rest: str, lang: str
) -> None:
    try:
        request = parse_command(f"{prefix}{name} {rest}", lang=lang)
    except ParseError as exc:
        assert str(exc)  # a reason for the user
    else:
        assert request.name in REGISTRY


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | junk,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(junk, inner, max_size=4),
    max_leaves=12,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        k: json_values | junk
        for k in ("text", "title", "url", "published_at", "source", "lang", "date")
    },
)


@FAST
@given(obj=fields | json_values)
def test_a_json_article_is_an_article_or_a_rejection(obj: object) -> None:
    item = parse_json_article(obj, "item")
    assert isinstance(item, RawArticle | Rejected)
    if isinstance(item, RawArticle):
        assert item.text and "\x00" not in item.text


@FAST
@given(text=junk | st.builds(json.dumps, fields))
def test_json_and_jsonl_files_never_crash(text: str) -> None:
    for read in (read_json, read_jsonl):
        items = list(read(text, "f.json"))
        assert all(isinstance(i, RawArticle | Rejected) for i in items)


@FAST
@given(
    text=st.text(max_size=300),
    markdown=st.booleans(),
    front=st.sampled_from(["", "---\n", "---\ntitle: [\n---\n", "---\ndate: 99999\n---\n"]),
)
def test_text_files_never_crash(text: str, markdown: bool, front: str) -> None:
    item = read_text(front + text, "f.md", markdown=markdown)
    assert isinstance(item, RawArticle | Rejected)


@settings(max_examples=40, deadline=None)
@given(
    markup=st.text(max_size=200).map(lambda t: f"<html><body><article><p>{t}</p></article>"),
)
def test_html_files_never_crash(markup: str) -> None:
    assert isinstance(read_html(markup, "f.html"), RawArticle | Rejected)


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=400), charset=st.sampled_from([None, "utf-8", "undefined", "idna"]))
def test_feed_bodies_never_crash(body: bytes, charset: str | None) -> None:
    result = FetchResult(
        url="https://e.example/feed",
        status=200,
        content=b"<?xml version='1.0'?><rss version='2.0'><channel>" + body,
        content_type="application/rss+xml",
        charset=charset,
    )
    try:
        feed = parse_feed(result)
    except FetchError as exc:
        assert str(exc)
    else:
        assert all(isinstance(i.article, RawArticle) for i in feed.items)


def test_a_feed_of_100000_items_is_cut_to_its_first_items() -> None:
    items = "".join(
        f"<item><title>Article {i}</title><link>https://e.example/{i}</link></item>"
        for i in range(100_000)
    )
    body = (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{items}</channel></rss>"
    )
    feed = parse_feed(
        FetchResult(
            url="https://e.example/f",
            status=200,
            content=body.encode(),
            content_type="application/rss+xml",
        )
    )
    assert len(feed.items) == MAX_FEED_ITEMS
    assert feed.items[-1].article.title == f"Article {MAX_FEED_ITEMS - 1}"
    assert "100,000 items" in feed.warning
