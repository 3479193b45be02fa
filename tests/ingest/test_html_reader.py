"""HTML articles (bot.ingest.readers.html_reader), the one HTML-to-text path: metadata,
body text without boilerplate, the fallback, fragments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura

from bot.ingest.fetch import FetchResult
from bot.ingest.readers.html_reader import html_to_text
from bot.ingest.web import extract_page
from handlers.model import RawArticle
from tests.ingest.helpers import article, rejected, write

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
    # trafilatura's rules (they replace the old hand parser's): the page's only <h1> is the
    # headline, before the <title> tag; a date <meta> is read before a <time> element; the
    # text of <time> elements (bylines, "Posted Sunday") is left out of the body.
    html = """<html><head><title>Plain page title - Wire &amp; Weights</title>
    <meta name="date" content="2024-01-01"></head>
    <body><div id="content"><h1>Heading one</h1>
    <p>Posted <time datetime="2024-03-17">Sunday</time>.</p>
    <p>Body paragraph with an <a href="#">inline link</a> inside.</p>
    <br>After a break.</div></body></html>"""
    a = article(write(tmp_path / "p.htm", html))
    assert a.title == "Heading one"
    assert a.published_at == datetime(2024, 1, 1, tzinfo=UTC)
    paragraphs = a.text.split("\n\n")
    assert paragraphs[-2:] == ["Body paragraph with an inline link inside.", "After a break."]
    assert "Heading one" not in a.text  # the title, not repeated in the body
    assert a.lang is None and a.url is None and a.source is None
    # without an <h1> or a date <meta>: the <title> tag (minus what follows " - ") and the
    # <time> element
    html2 = html.replace('<meta name="date" content="2024-01-01">', "")
    html2 = html2.replace("<h1>Heading one</h1>", "")
    b = article(write(tmp_path / "q.htm", html2))
    assert b.title == "Plain page title"
    assert b.published_at == datetime(2024, 3, 17, tzinfo=UTC)


def test_html_title_suffix_stripped_and_h1_fallback(tmp_path: Path) -> None:
    html = """<html><head><title>Story title | The Open Ledger</title>
    <meta property="og:site_name" content="The Open Ledger"></head>
    <body><p>Text.</p></body></html>"""
    assert article(write(tmp_path / "t.html", html)).title == "Story title"
    html2 = "<html><body><h1>Only an <em>h1</em></h1><p>Body.</p></body></html>"
    a = article(write(tmp_path / "h.html", html2))
    assert a.title == "Only an h1"
    assert a.text == "Body."  # the h1 is the title, not repeated in the body


def test_html_json_ld(tmp_path: Path) -> None:
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
    # trafilatura reads both <article>s (the old hand parser kept only the longest; that
    # rule now holds only in the fallback, see test_html_fallback_when_trafilatura_finds_nothing)
    assert a.text.endswith("The main story, which is clearly much longer than the teaser.")


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


# the one fallback, fragments, and web pages through the same path


def test_html_fallback_when_trafilatura_finds_nothing(tmp_path: Path) -> None:
    # trafilatura leaves tables out: a page laid out in tables gives it no text at all, so
    # the fallback reads the longest <article> (its metadata still comes from trafilatura)
    html = """<html lang="en"><head><title>Old page | Wire &amp; Weights</title>
    <meta property="og:site_name" content="Wire &amp; Weights"></head><body>
    <nav><a href="/">Home</a></nav>
    <article><table><tr><td>Teaser.</td></tr></table></article>
    <article><table><tr><td>The main story, which is clearly much longer than the teaser.</td>
    <td>Second <b>cell</b>.<script>track()</script></td></tr></table></article>
    </body></html>"""
    a = article(write(tmp_path / "tables.html", html))
    assert a.text.split("\n\n") == [
        "The main story, which is clearly much longer than the teaser.",
        "Second cell.",
    ]
    assert (a.title, a.source, a.lang) == ("Old page", "Wire & Weights", "en")


def test_html_trafilatura_failure_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal trafilatura error")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    html = "<html><body><main><p>Still read.</p><nav>Menu</nav></main></body></html>"
    a = article(write(tmp_path / "t.html", html))
    assert a.text == "Still read."


def test_html_to_text_of_fragments() -> None:
    assert html_to_text("xAI releases Grok-1 weights &amp; code") == (
        "xAI releases Grok-1 weights & code"
    )
    assert html_to_text("<p>One</p><p>Two &eacute; <b>bold</b></p>") == "One\n\nTwo é bold"
    assert html_to_text("Line one<br>Line two<script>x()</script>") == "Line one\n\nLine two"
    assert html_to_text("  plain   text\nsecond line ") == "plain text\nsecond line"
    assert html_to_text("") == ""


def test_a_web_page_and_an_html_file_read_the_same(tmp_path: Path) -> None:
    url = "https://example.org/circuit/grok-1?utm_source=x"
    page = extract_page(
        FetchResult(url=url, status=200, content=FULL_HTML.encode(), content_type="text/html")
    )
    file = article(write(tmp_path / "page.html", FULL_HTML))
    assert isinstance(page, RawArticle)
    assert page.path is None and file.path == str(tmp_path / "page.html")
    page.path = file.path
    assert page == file
