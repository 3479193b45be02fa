"""Article identity as the readers hand it on (handlers.model): canonical URLs, stable ids,
content hashes."""

from __future__ import annotations

import re

import pytest

from handlers.model import RawArticle, canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG/a/b/", "https://example.org/a/b"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/", "https://example.org/"),
        ("https://example.org:443/a#section", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        (
            "https://example.org/a?utm_source=tw&b=2&fbclid=x&a=1&gclid=y&mc_cid=z&xtor=RSS-1",
            "https://example.org/a?a=1&b=2",
        ),
        ("https://example.org/a?q=a+b", "https://example.org/a?q=a%20b"),
        ("https://example.org/a%2fb", "https://example.org/a%2Fb"),
        ("  https://example.org./a  ", "https://example.org/a"),
        ("http://[::1", "http://[::1"),  # unparseable: returned as given
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_article_id_is_stable_and_ignores_tracking() -> None:
    a = RawArticle("T", "Body", url="https://Example.org/story/?utm_source=x&fbclid=1#top")
    b = RawArticle("Other title", "Other body", url="https://example.org:443/story")
    assert a.article_id() == b.article_id()
    assert re.fullmatch(r"[0-9a-f]{16}", a.article_id())
    # the same on every run and machine: pinned value
    assert a.article_id() == "1d512981b8ef304d"
    c = RawArticle("T", "Body", url="https://example.org/another-story")
    assert c.article_id() != a.article_id()


def test_article_id_without_url_uses_normalised_text() -> None:
    a = RawArticle("L’IA « ouverte »", "Elon  Musk\na dit\u00a0: “oui”.")
    b = RawArticle('l\'ia " ouverte "', 'elon musk a dit : "OUI".')
    assert a.article_id() == b.article_id()
    assert RawArticle("Other", a.text).article_id() != a.article_id()


def test_content_hash_catches_same_text_under_another_url() -> None:
    a = RawArticle("T", "Same text here.", url="https://example.org/1")
    b = RawArticle("T2", "Same  text here.", url="https://example.net/2")
    assert a.article_id() != b.article_id()
    assert a.content_hash() == b.content_hash()
    assert re.fullmatch(r"[0-9a-f]{16}", a.content_hash())
