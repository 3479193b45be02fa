"""Tests for bot.ingest.sources: reading articles from files and folders."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.sources import (
    CORPUS_DIR,
    first_sentence,
    parse_datetime,
    parse_json_article,
    read_file,
    read_paths,
    sample_corpus,
    shorten_title,
)
from handlers.model import RawArticle, Rejected, canonical_url

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def only(path: Path, **kwargs: int) -> RawArticle | Rejected:
    items = list(read_file(path, **kwargs))
    assert len(items) == 1, items
    return items[0]


def article(path: Path) -> RawArticle:
    item = only(path)
    assert isinstance(item, RawArticle), item
    return item


def rejected(path: Path, **kwargs: int) -> Rejected:
    item = only(path, **kwargs)
    assert isinstance(item, Rejected), item
    return item


BODY_EN = (
    "The first paragraph of the body talks about a model release.\n\n"
    "A second paragraph adds context about licences and weights."
)


# --------------------------------------------------------------------------------------
# .txt
# --------------------------------------------------------------------------------------


def test_txt_first_line_is_title(tmp_path: Path) -> None:
    a = article(write(tmp_path / "a.txt", "A short headline\n\n" + BODY_EN + "\n"))
    assert a.title == "A short headline"
    assert a.text == BODY_EN
    assert a.path == str(tmp_path / "a.txt")
    assert a.url is None and a.source is None and a.published_at is None and a.lang is None


def test_txt_leading_junk_is_skipped(tmp_path: Path) -> None:
    text = (
        "Passer au contenu\n\n"
        "Capture d'écran 2024 03 11 À 16 22 17\n\n"
        "(FILES) A photographer's caption about a man at a fair. (Photo by Someone / AFP)\n\n"
        "**The real headline**\n"
        "Body line one.\n"
        "Body line two.\n"
    )
    a = article(write(tmp_path / "junk.txt", text))
    assert a.title == "The real headline"
    assert a.text == "Body line one.\nBody line two."


def test_txt_date_token_on_the_body_line(tmp_path: Path) -> None:
    paragraph = (
        "Suing the company last week, the investor opened several fronts at once. "
        "On one side he blames the firm for leaving its open roots behind, and on the other "
        "he attacks the tone of its chatbot, which he calls far too cautious for his taste."
    )
    a = article(write(tmp_path / "d.txt", f" date 2024-03 {paragraph}\n\nSecond paragraph.\n"))
    assert a.published_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert not a.title.lower().startswith("date")
    assert a.title == "Suing the company last week, the investor opened several fronts at once"
    # the whole paragraph stays in the body, without the date token
    assert a.text.startswith(paragraph)
    assert a.text.endswith("Second paragraph.")
    assert "2024-03" not in a.text


def test_txt_date_token_with_day(tmp_path: Path) -> None:
    a = article(write(tmp_path / "d.txt", "date: 2024-03-17\nHeadline\nBody.\n"))
    assert a.published_at == datetime(2024, 3, 17, tzinfo=UTC)
    assert a.title == "Headline"


def test_txt_two_sentence_first_line_gives_first_sentence(tmp_path: Path) -> None:
    line = "Musk says Grok will be open this week. The move is part of his legal fight"
    a = article(write(tmp_path / "s.txt", f"{line}\n\nBody paragraph.\n"))
    assert a.title == "Musk says Grok will be open this week"
    assert a.text.startswith(line)


def test_txt_long_single_sentence_title_is_cut(tmp_path: Path) -> None:
    line = " ".join(["word"] * 80)  # 399 chars, no sentence end
    a = article(write(tmp_path / "l.txt", f"{line}\n\nBody.\n"))
    assert len(a.title) <= 160
    assert a.title.endswith("…")
    assert a.title[:-1].split(" ") == ["word"] * len(a.title[:-1].split(" "))
    assert a.text.startswith(line)


def test_txt_abbreviation_does_not_end_the_title_sentence(tmp_path: Path) -> None:
    line = (
        "M. Dupont a rencontré Mme Martin hier à Paris pour parler du nouveau modèle "
        "publié par la jeune pousse. Une seconde phrase suit, assez longue pour compter."
    )
    a = article(write(tmp_path / "abbr.txt", line + "\n"))
    assert a.title.startswith("M. Dupont a rencontré Mme Martin")
    assert a.title.endswith("jeune pousse")


def test_txt_front_matter(tmp_path: Path) -> None:
    text = (
        "---\n"
        "title: Front matter title\n"
        "url: https://example.org/story\n"
        "source: The Open Ledger\n"
        "published_at: 2024-03-17T10:00:00+01:00\n"
        "lang: en-GB\n"
        "---\n"
        "First body line.\n"
    )
    a = article(write(tmp_path / "fm.txt", text))
    assert a.title == "Front matter title"
    assert a.text == "First body line."
    assert a.url == "https://example.org/story"
    assert a.source == "The Open Ledger"
    assert a.published_at == datetime(2024, 3, 17, 9, 0, tzinfo=UTC)
    assert a.published_at.tzinfo is not None
    assert a.lang == "en"


def test_front_matter_bad_yaml_is_rejected(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nBody.\n"))
    assert "front matter" in r.reason and "YAML" in r.reason


def test_front_matter_bad_date_is_rejected(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "bad.md", "---\ntitle: T\ndate: yesterday\n---\nBody.\n"))
    assert "'date' is not a date" in r.reason


def test_txt_crlf_and_nfc(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301 title"
    a = article(write(tmp_path / "w.txt", f"{decomposed}\r\n\r\nBody\r\nmore\r\n"))
    assert a.title == "Café title"
    assert a.text == "Body\nmore"


# --------------------------------------------------------------------------------------
# .md
# --------------------------------------------------------------------------------------


def test_md_heading_title_and_inline_markup(tmp_path: Path) -> None:
    text = (
        "# xAI **releases** Grok-1\n\n"
        "Read [the post](https://example.org/post) and see ![chart](c.png) here.\n\n"
        "## A subheading\n\n"
        "More **bold** text with `code`.\n"
    )
    a = article(write(tmp_path / "a.md", text))
    assert a.title == "xAI releases Grok-1"
    assert "Read the post and see  here." in a.text
    assert "A subheading" in a.text and "##" not in a.text
    assert "More bold text with code." in a.text


def test_md_setext_heading(tmp_path: Path) -> None:
    a = article(write(tmp_path / "s.md", "Setext title\n============\n\nBody text.\n"))
    assert a.title == "Setext title"
    assert a.text == "Body text."


def test_md_front_matter_heading_not_repeated(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Same title\nsource: Circuit Hebdo\ndate: 2024-03-18\nlang: fr\n---\n\n"
        "# Same title\n\nLe corps de l'article.\n"
    )
    a = article(write(tmp_path / "f.md", text))
    assert a.title == "Same title"
    assert a.text == "Le corps de l'article."
    assert a.published_at == datetime(2024, 3, 18, tzinfo=UTC)
    assert a.lang == "fr"


def test_md_front_matter_different_heading_kept(tmp_path: Path) -> None:
    text = "---\ntitle: Meta title\n---\n# Another heading\n\nBody.\n"
    a = article(write(tmp_path / "f.md", text))
    assert a.title == "Meta title"
    assert a.text == "Another heading\n\nBody."


# --------------------------------------------------------------------------------------
# .html
# --------------------------------------------------------------------------------------

FULL_HTML = """<!doctype html>
<html lang="fr-FR">
<head>
  <meta charset="utf-8">
  <title>Titre de la page | Circuit Hebdo</title>
  <meta property="og:title" content="Grok-1 publié sous licence Apache 2.0">
  <meta property="og:site_name" content="Circuit Hebdo">
  <meta property="og:url" content="https://example.org/og-url">
  <meta property="article:published_time" content="2024-03-18T08:30:00+01:00">
  <link rel="canonical" href="https://example.org/circuit/grok-1?utm_source=x">
  <script>var tracking = "Ne pas lire ceci";</script>
  <style>p { color: red }</style>
</head>
<body class="single comments-open">
  <header><nav><a href="/">Accueil</a> <a href="/tech">Tech</a></nav></header>
  <main>
    <article class="post">
      <header><h1>Grok-1 publié</h1><p class="byline">Par la rédaction</p></header>
      <p>Premier paragraphe&nbsp;: xAI a publié les poids de <b>Grok-1</b>.</p>
      <figure><img src="a.png"><figcaption>Une légende de photo</figcaption></figure>
      <p>Deuxième
         paragraphe, sur
         plusieurs lignes.</p>
      <div class="share-buttons"><a>Partager sur X</a></div>
      <div class="newsletter-box"><p>Inscrivez-vous à la newsletter</p></div>
      <ul><li>Un point</li><li>Un autre point</li></ul>
      <section id="comments"><p>Un commentaire de lecteur</p></section>
    </article>
    <aside><p>À lire aussi : autre chose</p></aside>
  </main>
  <form><input name="q"></form>
  <footer><p>Mentions légales</p></footer>
</body>
</html>
"""


def test_html_full_page(tmp_path: Path) -> None:
    a = article(write(tmp_path / "page.html", FULL_HTML))
    assert a.title == "Grok-1 publié sous licence Apache 2.0"
    assert a.source == "Circuit Hebdo"
    assert a.url == "https://example.org/circuit/grok-1?utm_source=x"
    assert a.published_at == datetime(2024, 3, 18, 7, 30, tzinfo=UTC)
    assert a.lang == "fr"
    assert a.text.split("\n\n") == [
        "Premier paragraphe : xAI a publié les poids de Grok-1.",  # NBSP collapsed
        "Deuxième paragraphe, sur plusieurs lignes.",
        "Un point",
        "Un autre point",
    ]
    for junk in (
        "Ne pas lire",
        "color",
        "Accueil",
        "Partager",
        "newsletter",
        "commentaire",
        "légende",
        "À lire aussi",
        "Mentions",
        "Par la rédaction",
    ):
        assert junk not in a.text


def test_html_fallbacks_title_time_body(tmp_path: Path) -> None:
    html = """<html><head><title>Plain page title - Wire &amp; Weights</title>
    <meta name="date" content="2024-01-01"></head>
    <body><div id="content"><h1>Heading one</h1>
    <p>Posted <time datetime="2024-03-17">Sunday</time>.</p>
    <p>Body paragraph with an <a href="#">inline link</a> inside.</p>
    <br>After a break.</div></body></html>"""
    a = article(write(tmp_path / "p.htm", html))
    assert a.title == "Plain page title - Wire & Weights"  # no og:site_name, suffix kept
    assert a.published_at == datetime(2024, 3, 17, tzinfo=UTC)  # <time> before meta date
    assert a.text.split("\n\n") == [
        "Heading one",
        "Posted Sunday.",
        "Body paragraph with an inline link inside.",
        "After a break.",
    ]
    assert a.lang is None and a.url is None and a.source is None


def test_html_title_suffix_stripped_and_h1_fallback(tmp_path: Path) -> None:
    html = """<html><head><title>Story title | The Open Ledger</title>
    <meta property="og:site_name" content="The Open Ledger"></head>
    <body><p>Text.</p></body></html>"""
    assert article(write(tmp_path / "t.html", html)).title == "Story title"
    html2 = "<html><body><h1>Only an <em>h1</em></h1><p>Body.</p></body></html>"
    a = article(write(tmp_path / "h.html", html2))
    assert a.title == "Only an h1"
    assert a.text == "Body."  # the h1 is the title, not repeated in the body


def test_html_json_ld_and_longest_article(tmp_path: Path) -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "headline": "From JSON-LD",
                "datePublished": "2024-03-17T20:00:00Z",
                "publisher": {"@type": "Organization", "name": "The Open Ledger"},
                "inLanguage": "en-US",
            }
        ],
    }
    html = f"""<html><head><script type="application/ld+json">{json.dumps(ld)}</script>
    </head><body>
    <article><p>Teaser.</p></article>
    <article><p>The main story, which is clearly much longer than the teaser.</p></article>
    </body></html>"""
    a = article(write(tmp_path / "ld.html", html))
    assert a.title == "From JSON-LD"
    assert a.source == "The Open Ledger"
    assert a.published_at == datetime(2024, 3, 17, 20, 0, tzinfo=UTC)
    assert a.lang == "en"
    assert a.text == "The main story, which is clearly much longer than the teaser."


def test_html_declared_latin1_charset(tmp_path: Path) -> None:
    html = '<html><head><meta charset="iso-8859-1"><title>Été</title></head>'
    html += "<body><p>Déjà vu à l'hôpital.</p></body></html>"
    a = article(write(tmp_path / "l1.html", html.encode("latin-1")))
    assert a.title == "Été"
    assert a.text == "Déjà vu à l'hôpital."


def test_html_without_text_is_rejected(tmp_path: Path) -> None:
    html = "<html><head><title>T</title></head><body><nav>Menu</nav><script>x()</script></body>"
    r = rejected(write(tmp_path / "empty.html", html))
    assert "no article text" in r.reason


def test_html_broken_markup_does_not_raise(tmp_path: Path) -> None:
    html = "<html><body><p>One <b>bold <i>and</p><p>Two</div></span><p>Three <</body>"
    a = article(write(tmp_path / "broken.html", html))
    assert "One bold and" in a.text and "Two" in a.text and "Three" in a.text


# --------------------------------------------------------------------------------------
# .json / .jsonl
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# dates, urls, ids
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-17", datetime(2024, 3, 17, tzinfo=UTC)),
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-17T10:00:00Z", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("2024-03-17T10:00:00", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("2024-03-17T10:00:00-05:00", datetime(2024, 3, 17, 15, tzinfo=UTC)),
        ("Sun, 17 Mar 2024 10:00:00 GMT", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        (1710669600, datetime(2024, 3, 17, 10, tzinfo=UTC)),
        (1710669600000, datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("1710669600", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("next week", None),
        ("2024-13", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    result = parse_datetime(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC


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


def test_same_file_read_twice_gives_same_id(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Headline\n\nBody.\n")
    assert article(path).article_id() == article(path).article_id()


def test_title_helpers() -> None:
    assert first_sentence("One. Two.") == "One."
    assert first_sentence("No end") == "No end"
    assert first_sentence("Version 1.5 is out. Next.") == "Version 1.5 is out."
    long = "a" * 10 + " " + "b" * 200
    assert shorten_title(long) == "a" * 10 + " " + "b" * 148 + "…"
    assert len(shorten_title(" ".join(["mot"] * 100))) <= 160


# --------------------------------------------------------------------------------------
# rejections
# --------------------------------------------------------------------------------------


def test_reject_empty_and_whitespace(tmp_path: Path) -> None:
    assert rejected(write(tmp_path / "e.txt", b"")).reason == "empty file"
    assert rejected(write(tmp_path / "w.txt", " \n\t\n  ")).reason.startswith("empty file")
    assert rejected(write(tmp_path / "w.jsonl", "\n\n")).reason.startswith("empty file")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"x" * 50, "PNG image"),
        (b"\xff\xd8\xff\xe0" + b"JFIF" + b"y" * 50, "JPEG image"),
        (b"GIF89a" + b"z" * 50, "GIF image"),
        (b"%PDF-1.7\n%binary", "PDF document"),
        (b"PK\x03\x04" + b"w" * 50, "ZIP archive"),
    ],
)
def test_reject_binary_magic(tmp_path: Path, data: bytes, kind: str) -> None:
    r = rejected(write(tmp_path / "fake.txt", data))
    assert r.reason.startswith(f"binary file (looks like {kind}")


def test_reject_nul_bytes(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "nul.md", b"Title\n\nsome text\x00more text"))
    assert r.reason.startswith("binary file (contains NUL bytes)")


def test_reject_oversized_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:
        handle.truncate(12_345_678)  # sparse: no real 12 MB written

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file must not be opened")

    small = tmp_path / "small.txt"
    small.write_bytes(b"T\n\n" + b"x" * 2000)
    monkeypatch.setattr(Path, "open", no_open)
    r = rejected(path)
    assert r.reason == "file is 12.3 MB, over the 5 MB limit (GROKWATCH_MAX_FILE_BYTES)"
    r2 = rejected(small, max_bytes=1000)
    assert r2.reason == "file is 2 kB, over the 1 kB limit (GROKWATCH_MAX_FILE_BYTES)"


def test_reject_undecodable(tmp_path: Path) -> None:
    junk = (bytes(range(1, 9)) + bytes(range(14, 32)) + b"\x81\x8d\x90\x9d\x7f") * 20
    r = rejected(write(tmp_path / "junk.txt", junk))
    assert r.reason.startswith("not UTF-8 or Latin-1 text")


def test_cp1252_and_latin1_are_read(tmp_path: Path) -> None:
    text = "Un été à l’hôpital\n\nLe modèle a été publié “hier”, déjà.\n"
    a = article(write(tmp_path / "cp.txt", text.encode("cp1252")))
    assert a.title == "Un été à l’hôpital"
    assert a.text == "Le modèle a été publié “hier”, déjà."
    b = article(write(tmp_path / "l1.txt", "Noël\n\nÇa marche.".encode("latin-1")))
    assert (b.title, b.text) == ("Noël", "Ça marche.")


def test_utf8_bom_and_utf16_are_read(tmp_path: Path) -> None:
    a = article(write(tmp_path / "bom.txt", "\ufeffTitre\n\nCorps é.".encode()))
    assert (a.title, a.text) == ("Titre", "Corps é.")
    b = article(write(tmp_path / "u16.txt", "Titre\n\nCorps é.".encode("utf-16")))
    assert (b.title, b.text) == ("Titre", "Corps é.")
    c = write(tmp_path / "bom.json", '\ufeff{"title": "T", "text": "x"}'.encode())
    assert article(c).title == "T"


def test_mostly_utf8_with_one_bad_byte(tmp_path: Path) -> None:
    data = "Titre été\n\nDéjà publié, à l’instant.".encode() + b" \xff fin"
    a = article(write(tmp_path / "mixed.txt", data))
    assert a.title == "Titre été"
    assert "Déjà publié" in a.text


def test_reject_unsupported_extension(tmp_path: Path) -> None:
    r = rejected(write(tmp_path / "doc.pdf", "text"))
    assert r.reason == "unsupported file type .pdf; use .txt, .md, .html, .json or .jsonl"
    r2 = rejected(write(tmp_path / "README", "text"))
    assert "unsupported file type (no extension)" in r2.reason
    assert isinstance(only(write(tmp_path / "UPPER.TXT", "T\n\nbody")), RawArticle)


def test_reject_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "a.txt"
    items = list(read_paths([missing]))
    assert len(items) == 1
    assert isinstance(items[0], Rejected)
    assert items[0].where == str(missing)
    assert "does not exist" in items[0].reason


def test_reject_title_only(tmp_path: Path) -> None:
    assert "no article text" in rejected(write(tmp_path / "t.txt", "Only a title\n")).reason
    assert "no article text" in rejected(write(tmp_path / "j.txt", "Passer au contenu\n")).reason


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_reject_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "not a regular file" in rejected(fifo).reason


def test_folder_batch_goes_on_after_bad_files(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write(root / "b.txt", "Bravo\n\nbody b")
    write(root / "a.md", "# Alpha\n\nbody a")
    write(root / "c.png", b"\x89PNG\r\n\x1a\n....")
    write(root / "d.txt", b"")
    write(root / "sub" / "e.json", json.dumps({"title": "Echo", "text": "body e"}))
    write(root / ".hidden.txt", "Hidden\n\nbody")
    write(root / ".git" / "x.txt", "Git\n\nbody")
    write(root / "sub" / ".cache" / "y.txt", "Cache\n\nbody")
    items = list(read_paths([root, root / "a.md", tmp_path / "missing.txt"]))
    summary = [
        (Path(i.path or "").name, i.title) if isinstance(i, RawArticle) else (i.where, "REJ")
        for i in items
    ]
    assert summary == [
        ("a.md", "Alpha"),
        ("b.txt", "Bravo"),
        (str(root / "c.png"), "REJ"),
        (str(root / "d.txt"), "REJ"),
        ("e.json", "Echo"),
        (str(tmp_path / "missing.txt"), "REJ"),
    ]


def test_read_file_on_a_folder_walks_it(tmp_path: Path) -> None:
    write(tmp_path / "x" / "a.txt", "A\n\nbody")
    items = list(read_file(tmp_path / "x"))
    assert [i.title for i in items if isinstance(i, RawArticle)] == ["A"]


# --------------------------------------------------------------------------------------
# the real seeds (skipped when ../shared/seeds is absent)
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# the sample corpus shipped in bot/corpus/
# --------------------------------------------------------------------------------------


def corpus() -> list[RawArticle]:
    items = list(sample_corpus())
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
