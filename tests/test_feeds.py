"""Feeds end to end against a loopback server, through the real pipeline to the console:
RSS 2.0, Atom and RSS 1.0 written by us, first poll indexed without alerts, new items alert
once, changed GUIDs/dates/tracking parameters do not re-alert, 304s cost no parse, failures
back off and pause the feed with a notice, the lock, the commands and their permissions,
and pages extracted without navigation, share bars or comments."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.ingest.feeds import FeedManager, feed_id
from bot.ingest.fetch import FetchResult
from bot.ingest.service import INGEST_STAGES
from bot.ingest.web import extract_page, parse_feed
from bot.settings import Settings
from tests.conftest import ChatBot
from tests.web_fake import FakeWeb

CHANNEL = "console:newsroom"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeb]:
    async with FakeWeb() as server:
        yield server


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "url_allowlist": ["127.0.0.1/32"],  # the loopback test server, explicitly
            "feed_jitter": 0.0,
            "feed_interval": 60.0,
            "feed_max_failures": 3,
            "feed_complete_words": 0,  # no page fetches unless a test asks
            "fetch_timeout": 2.0,
            "fetch_total_timeout": 4.0,
        }
    )


def rss(fake: FakeWeb, items: list[tuple[str, str, str, str, str]]) -> str:
    """RSS 2.0 with (guid, link path, date, title, description) items."""
    body = "".join(
        f"""
    <item>
      <title>{title}</title>
      <link>{fake.url(link)}</link>
      <guid isPermaLink="false">{guid}</guid>
      <pubDate>{date}</pubDate>
      <description><![CDATA[<p>{desc}</p>]]></description>
    </item>"""
        for guid, link, date, title, desc in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Le Veilleur Tech</title>
    <link>{fake.url("/")}</link>
    <description>Actualités de la tech</description>
    <language>fr-FR</language>{body}
  </channel>
</rss>"""


BACKLOG = (
    "old-1",
    "/2024/03/11/musk-promet",
    "Mon, 11 Mar 2024 18:05:00 +0100",
    "Elon Musk promet d'ouvrir le code de Grok",
    "Le patron de xAI annonce sur X que son assistant Grok sera publié en open source "
    "dans la semaine, sur fond de procès contre OpenAI.",
)
FRESH = (
    "new-1",
    "/2024/03/17/grok-poids",
    "Sun, 17 Mar 2024 21:40:00 +0100",
    "xAI publie les poids de Grok-1",
    "La start-up xAI a mis en ligne les poids de Grok-1, un modèle de 314 milliards de "
    "paramètres, sous licence Apache 2.0.",
)


async def settle(bot: ChatBot) -> str:
    """Run the pipeline's ingest stages, then deliver; what the console printed."""
    await bot.app.pipeline.drain(INGEST_STAGES)
    return await bot.deliver()


async def make_due(bot: ChatBot, url: str) -> None:
    await bot.app.store.feeds.set_due({feed_id(url): time.time() - 1})


async def test_first_poll_indexes_without_alert_then_new_items_alert_once(
    testbot: ChatBot, fake: FakeWeb
) -> None:
    url = fake.url("/feed.xml")
    fake.set("/feed.xml", rss(fake, [BACKLOG]))
    await testbot.say("/grok track xAI", channel=CHANNEL)
    reply = await testbot.say(f"/grok feeds add {url}", channel=CHANNEL)
    assert reply.kind == "info", reply.text
    assert "1 existing article(s) indexed without alerts" in reply.text
    assert await settle(testbot) == ""  # the backlog does not alert...
    found = await testbot.say("/grok search promet ouvrir code", channel=CHANNEL)
    assert "Elon Musk promet" in found.as_text()  # ...but it is indexed

    fake.set("/feed.xml", rss(fake, [FRESH, BACKLOG]))
    await make_due(testbot, url)
    assert await testbot.app.feeds.poll_due() == 1
    shown = await settle(testbot)
    assert shown.count("xAI publie les poids de Grok-1") == 1
    assert "Le Veilleur Tech" in shown
    assert "Elon Musk promet" not in shown

    # the same items again, but new GUIDs, new dates and tracking parameters on the links
    moved = [
        (
            "guid-changed-" + g,
            link + "?utm_source=rss&utm_medium=feed",
            "Mon, 18 Mar 2024 08:00:00 GMT",
            t,
            d,
        )
        for g, link, _, t, d in (FRESH, BACKLOG)
    ]
    fake.set("/feed.xml", rss(fake, moved))
    await make_due(testbot, url)
    assert await testbot.app.feeds.poll_due() == 1
    assert await settle(testbot) == ""
    assert await testbot.app.store.articles.count() == 2
    listed = await testbot.say("/grok feeds list", channel=CHANNEL)
    assert "Le Veilleur Tech" in listed.as_text() and "2 article(s)" in listed.as_text()


async def test_backlog_alerts_when_configured(
    testbot: ChatBot, fake: FakeWeb, settings: Settings
) -> None:
    testbot.app.feeds.config.backlog_alerts = True
    fake.set("/feed.xml", rss(fake, [FRESH]))
    await testbot.say("/grok track xAI", channel=CHANNEL)
    await testbot.say(f"/grok feeds add {fake.url('/feed.xml')}", channel=CHANNEL)
    assert "xAI publie les poids" in await settle(testbot)


async def test_not_modified_costs_no_parse(testbot: ChatBot, fake: FakeWeb) -> None:
    url = fake.url("/etag.xml")
    fake.set("/etag.xml", rss(fake, [FRESH]), etag='"abc"')
    await testbot.say(f"/grok feeds add {url}", channel=CHANNEL)
    feeds: FeedManager = testbot.app.feeds
    assert feeds.parses == 1
    for _ in range(3):
        await make_due(testbot, url)
        assert await feeds.poll_due() == 1
    assert fake.hits["/etag.xml"] == 4
    assert feeds.parses == 1  # three 304s, no parse
    assert fake.requests[-1].headers.get("If-None-Match") == '"abc"'
    stats = await testbot.app.store.stats.counters()
    assert stats["feeds_polled"] == 4 and stats["feeds_not_modified"] == 3


async def test_failures_back_off_then_pause_with_a_notice(testbot: ChatBot, fake: FakeWeb) -> None:
    url = fake.url("/broken.xml")
    fake.set("/broken.xml", "oops", status=500, content_type="text/plain")
    reply = await testbot.say(f"/grok feeds add {url}", channel=CHANNEL)
    assert reply.kind == "info" and "HTTP 500" in reply.text  # kept, retried later
    feeds = testbot.app.feeds
    fid = feed_id(url)
    delays = []
    state = await testbot.app.store.feeds.load(fid)
    assert state is not None
    delays.append(state.next_poll - state.last_poll)
    for _ in range(2):
        await make_due(testbot, url)
        await feeds.poll_due()
        state = await testbot.app.store.feeds.load(fid)
        assert state is not None
        delays.append(state.next_poll - state.last_poll)
    assert delays[0] < delays[1] < delays[2]  # exponential backoff: 60, 120, 240 s
    assert state.paused and state.failures == 3 and "HTTP 500" in state.last_error
    assert await testbot.app.store.feeds.due_at(fid) is None
    notice = await testbot.deliver()
    assert "Feed paused" in notice and url in notice and "3 failure(s)" in notice
    assert await testbot.deliver() == ""  # once
    await make_due(testbot, url)  # even if due, a paused feed is not polled
    await testbot.app.store.feeds.unschedule(fid)
    assert await feeds.poll_due() == 0
    listed = (await testbot.say("/grok feeds list", channel=CHANNEL)).as_text()
    assert "paused after 3 failure(s)" in listed and "HTTP 500" in listed
    # fixed: adding it again resumes it
    fake.set("/broken.xml", rss(fake, [FRESH]))
    again = await testbot.say(f"/grok feeds add {url}", channel=CHANNEL)
    assert "polling it again" in again.text
    state = await testbot.app.store.feeds.load(fid)
    assert state is not None and not state.paused and state.failures == 0


async def test_a_permanent_error_refuses_the_feed(testbot: ChatBot, fake: FakeWeb) -> None:
    fake.set(
        "/page.html",
        "<!doctype html><html><body><p>Bonjour</p></body></html>",
        content_type="text/html",
    )
    reply = await testbot.say(f"/grok feeds add {fake.url('/page.html')}", channel=CHANNEL)
    assert reply.kind == "error" and "HTML page, not an RSS or Atom feed" in reply.text
    assert await testbot.app.feeds.feeds(CHANNEL) == []
    reply = await testbot.say("/grok feeds add http://169.254.169.254/latest/", channel=CHANNEL)
    assert reply.kind == "error" and "metadata" in reply.text


async def test_malformed_xml_and_wrong_encoding_are_reported(
    testbot: ChatBot, fake: FakeWeb
) -> None:
    fake.set(
        "/bad.xml",
        "<?xml version='1.0'?><rss><channel><title>x</titl",
        content_type="application/rss+xml",
    )
    reply = await testbot.say(f"/grok feeds add {fake.url('/bad.xml')}", channel=CHANNEL)
    assert "malformed" in reply.text.lower() or "not an rss" in reply.text.lower()
    # Latin-1 bytes served as UTF-8: parsed, not crashed on
    latin = rss(fake, [FRESH]).replace('encoding="UTF-8"', 'encoding="UTF-8"').encode("latin-1")
    fake.set("/latin.xml", latin, content_type="application/rss+xml; charset=utf-8")
    reply = await testbot.say(f"/grok feeds add {fake.url('/latin.xml')}", channel=CHANNEL)
    assert reply.kind == "info", reply.text


async def test_commands_need_permission(testbot: ChatBot, fake: FakeWeb) -> None:
    url = fake.url("/feed.xml")
    fake.set("/feed.xml", rss(fake, [FRESH]))
    for line in (f"/grok feeds add {url}", f"/grok feeds remove {url}"):
        reply = await testbot.say(line, channel=CHANNEL, can_manage=False)
        assert reply.kind == "error" and "manage" in reply.text
    # reading the list is open to everyone
    listed = await testbot.say("/grok feeds list", channel=CHANNEL, can_manage=False)
    assert listed.kind == "info" and "no feed" in listed.text
    assert (await testbot.say("/grok feeds", channel=CHANNEL)).text.startswith(
        "This channel has added no feed"
    )
    assert "add" in (await testbot.say("/grok feeds add", channel=CHANNEL)).text
    assert (await testbot.say(f"/grok feeds add {url}", channel=CHANNEL)).kind == "info"
    other = await testbot.say("/grok feeds list", channel="console:elsewhere")
    assert "no feed" in other.text  # a channel sees only its own feeds
    removed = await testbot.say(f"/grok feeds remove {url}", channel=CHANNEL)
    assert removed.kind == "info" and "Stopped polling" in removed.text
    assert (await testbot.say(f"/grok feeds remove {url}", channel=CHANNEL)).kind == "error"
    assert await testbot.app.feeds.feeds() == []


async def test_the_lock_keeps_two_pollers_apart(testbot: ChatBot, fake: FakeWeb) -> None:
    url = fake.url("/slowfeed.xml")
    fake.set("/slowfeed.xml", rss(fake, [FRESH]))
    await testbot.app.feeds.ensure_feeds([url])
    await make_due(testbot, url)
    fake.routes["/slowfeed.xml"].delay = 0.3
    results = await asyncio.gather(*(testbot.app.feeds.poll(feed_id(url)) for _ in range(3)))
    assert sorted(r.status for r in results) == ["ok", "skipped", "skipped"]
    assert fake.hits["/slowfeed.xml"] == 1
    assert not await testbot.app.store.feeds.is_locked(feed_id(url))


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Open Ledger</title>
  <id>urn:uuid:5b1e0d9e-open-ledger</id>
  <updated>2024-03-18T07:00:00Z</updated>
  <entry>
    <title type="html">xAI releases Grok-1 weights &amp;amp; code</title>
    <link rel="alternate" href="https://openledger.example/2024/03/17/grok-1"/>
    <id>tag:openledger.example,2024:grok-1</id>
    <updated>2024-03-17T20:15:00Z</updated>
    <published>2024-03-17T20:00:00Z</published>
    <content type="html">&lt;p&gt;Elon Musk's xAI published the weights of Grok-1 under the Apache 2.0 licence.&lt;/p&gt;</content>
  </entry>
</feed>"""

RDF = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://octet.example/">
    <title>Octet Libre</title>
    <link>https://octet.example/</link>
    <description>Logiciel libre et IA</description>
    <dc:language>fr</dc:language>
    <items><rdf:Seq><rdf:li rdf:resource="https://octet.example/grok"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://octet.example/grok">
    <title>Grok-1 : ce que contient l'archive</title>
    <link>https://octet.example/grok</link>
    <description>Les poids, le code d'inférence et la licence Apache : tour d'horizon.</description>
    <dc:date>2024-03-18T10:00:00+01:00</dc:date>
  </item>
</rdf:RDF>""".encode("latin-1")


def test_atom_and_rss1_are_read() -> None:
    atom = parse_feed(
        FetchResult(
            url="https://openledger.example/feed",
            status=200,
            content=ATOM.encode(),
            content_type="application/atom+xml",
        )
    )
    (item,) = atom.items
    assert atom.title == "Open Ledger"
    assert item.article.title == "xAI releases Grok-1 weights & code"
    assert item.article.url == "https://openledger.example/2024/03/17/grok-1"
    assert (
        item.article.published_at is not None
        and item.article.published_at.isoformat() == "2024-03-17T20:00:00+00:00"
    )
    assert "Apache 2.0" in item.article.text and "<p>" not in item.article.text
    rdf = parse_feed(
        FetchResult(
            url="https://octet.example/rss",
            status=200,
            content=RDF,
            content_type="application/rdf+xml",
        )
    )
    (item,) = rdf.items
    assert rdf.title == "Octet Libre" and rdf.lang == "fr"
    assert item.article.title == "Grok-1 : ce que contient l'archive"
    assert "inférence" in item.article.text  # Latin-1 decoded
    assert item.article.published_at is not None and item.article.published_at.hour == 9


PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Grok-1 : xAI ouvre son modèle | Le Veilleur Tech</title>
  <meta property="og:site_name" content="Le Veilleur Tech">
  <meta property="og:title" content="Grok-1 : xAI ouvre son modèle">
  <meta property="article:published_time" content="2024-03-18T09:12:00+01:00">
  <link rel="canonical" href="{canonical}">
</head>
<body>
  <header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/ia">Intelligence artificielle</a></li>
  <li><a href="/jeux">Jeux vidéo</a></li><li><a href="/abonnement">S'abonner</a></li></ul></nav></header>
  <main>
    <article>
      <h1>Grok-1 : xAI ouvre son modèle</h1>
      <div class="share-bar"><a href="#">Partager sur Facebook</a> <a href="#">Partager sur X</a> <a href="#">Copier le lien</a></div>
      <p>La société xAI, fondée par Elon Musk, a mis en ligne dimanche soir les poids de son modèle de langage Grok-1, comme son patron l'avait promis une semaine plus tôt.</p>
      <p>Le modèle compte 314 milliards de paramètres et repose sur une architecture dite de mélange d'experts, dont seule une partie est active pour chaque mot traité.</p>
      <p>L'archive publiée sur GitHub contient le code d'inférence et les poids bruts, sous licence Apache 2.0, ce qui autorise un usage commercial sans redevance.</p>
      <p>Les données d'entraînement et les outils de réglage fin ne sont en revanche pas fournis, ce que plusieurs chercheurs ont aussitôt regretté sur les réseaux sociaux.</p>
    </article>
    <section id="comments" class="comments">
      <h2>Commentaires</h2>
      <div class="comment"><p>Bernard75 : encore un coup de com' de Musk, personne ne fera tourner ça chez soi.</p></div>
      <div class="comment"><p>LinaDev : super nouvelle pour la recherche ouverte, merci pour l'article !</p></div>
    </section>
  </main>
  <aside class="newsletter">Recevez notre lettre quotidienne</aside>
  <footer><p>© 2024 Le Veilleur Tech — Mentions légales — Contact</p></footer>
</body>
</html>"""


def test_a_french_page_loses_navigation_share_bar_and_comments() -> None:
    html = PAGE.format(canonical="https://veilleur.example/ia/grok-1-ouvert")
    art = extract_page(
        FetchResult(
            url="https://veilleur.example/ia/grok-1-ouvert?utm_source=x",
            status=200,
            content=html.encode(),
            content_type="text/html",
            charset="utf-8",
        )
    )
    assert not isinstance(art, type(None)) and hasattr(art, "text"), art
    assert art.title == "Grok-1 : xAI ouvre son modèle"  # type: ignore[union-attr]
    text = art.text  # type: ignore[union-attr]
    assert "314 milliards de paramètres" in text and "Apache 2.0" in text
    for junk in (
        "Accueil",
        "Partager",
        "Bernard75",
        "LinaDev",
        "Commentaires",
        "Mentions légales",
        "lettre quotidienne",
    ):
        assert junk not in text, junk
    assert art.source == "Le Veilleur Tech"  # type: ignore[union-attr]
    assert art.lang == "fr"  # type: ignore[union-attr]
    assert (
        art.published_at is not None and art.published_at.isoformat() == "2024-03-18T08:12:00+00:00"
    )  # type: ignore[union-attr]
    assert art.url == "https://veilleur.example/ia/grok-1-ouvert"  # type: ignore[union-attr]


async def test_short_summaries_are_completed_from_the_page(testbot: ChatBot, fake: FakeWeb) -> None:
    testbot.app.web.complete_below_words = 40
    page_url = fake.url("/ia/grok-1-ouvert")
    fake.set(
        "/ia/grok-1-ouvert",
        PAGE.format(canonical=page_url),
        content_type="text/html; charset=utf-8",
    )
    teaser = (
        "g1",
        "/ia/grok-1-ouvert",
        "Mon, 18 Mar 2024 08:12:00 GMT",
        "Grok-1 : xAI ouvre son modèle",
        "xAI publie Grok-1. Lire la suite…",
    )
    fake.set("/feed.xml", rss(fake, [teaser]))
    await testbot.say(f"/grok feeds add {fake.url('/feed.xml')}", channel=CHANNEL)
    (article_id,) = [
        i.decode()
        for i in await testbot.app.store.client.zrange(testbot.app.store.keys.articles, 0, -1)
    ]
    rec = await testbot.app.store.articles.load(article_id)
    assert rec is not None and "314 milliards" in rec.text and "Bernard75" not in rec.text
    # known on the next poll: the page is not fetched again
    await make_due(testbot, fake.url("/feed.xml"))
    await testbot.app.feeds.poll_due()
    assert fake.hits["/ia/grok-1-ouvert"] == 1


async def test_grok_ingest_url_fetches_a_page_safely(testbot: ChatBot, fake: FakeWeb) -> None:
    page_url = fake.url("/ia/grok")
    fake.set("/ia/grok", PAGE.format(canonical=page_url), content_type="text/html")
    reply = await testbot.say(f"/grok ingest {page_url}", channel=CHANNEL)
    assert "1 new" in reply.text and "Grok-1 : xAI ouvre son modèle" in reply.text
    again = await testbot.say(f"/grok ingest {page_url}?utm_campaign=z", channel=CHANNEL)
    assert "1 duplicate" in again.text
    refused = await testbot.say("/grok ingest http://10.0.0.1/admin", channel=CHANNEL)
    assert refused.kind == "error" and "refused to fetch" in refused.text


OTHER = (
    "new-2",
    "/2024/03/18/meteo",
    "Mon, 18 Mar 2024 07:30:00 +0100",
    "Le mistral souffle fort sur la vallée du Rhône",
    "Des rafales de vent sont attendues toute la journée entre Lyon et Marseille.",
)


async def test_follow_posts_every_new_item_then_unfollow_goes_back_to_matches(
    testbot: ChatBot, fake: FakeWeb
) -> None:
    url = fake.url("/all.xml")
    fake.set("/all.xml", rss(fake, [BACKLOG]))
    refused = await testbot.say(f"/grok feeds follow {url}", channel=CHANNEL, can_manage=False)
    assert refused.kind == "error" and "manage" in refused.text
    missing = await testbot.say(f"/grok feeds unfollow {url}", channel=CHANNEL)
    assert missing.kind == "error" and "no feed" in missing.text
    # this channel tracks nothing: following the feed (added on the way) posts its items
    followed = await testbot.say(f"/grok feeds follow {url}", channel=CHANNEL)
    assert followed.kind == "info" and "Every new item" in followed.text, followed.text
    assert "every new item is posted here" in followed.as_text()
    assert await settle(testbot) == ""  # the backlog is indexed, not posted
    again = await testbot.say(f"/grok feeds follow {url}", channel=CHANNEL)
    assert "already posted here" in again.text

    fake.set("/all.xml", rss(fake, [OTHER, BACKLOG]))
    await make_due(testbot, url)
    assert await testbot.app.feeds.poll_due() == 1
    shown = await settle(testbot)
    assert shown.count("Le mistral souffle fort") == 1  # mentions nothing tracked
    assert f"alert in {CHANNEL}" in shown
    listed = await testbot.say("/grok feeds list", channel=CHANNEL, can_manage=False)
    assert "every new item is posted here" in listed.as_text()
    elsewhere = await testbot.say(f"/grok feeds follow {url}", channel="console:elsewhere")
    assert elsewhere.kind == "info"  # another channel follows on its own
    assert "every new item" not in (await testbot.say("/grok feeds list", channel=CHANNEL)).text

    stopped = await testbot.say(f"/grok feeds unfollow {url}", channel=CHANNEL)
    assert stopped.kind == "info" and "no longer" in stopped.text
    assert (
        "does not get every item"
        in (await testbot.say(f"/grok feeds unfollow {url}", channel=CHANNEL)).text
    )
    fake.set("/all.xml", rss(fake, [FRESH, OTHER, BACKLOG]))
    await make_due(testbot, url)
    assert await testbot.app.feeds.poll_due() == 1
    after = await settle(testbot)
    # only the follower left gets the new item; this channel tracks nothing
    assert after.count("xAI publie les poids de Grok-1") == 1
    assert "alert in console:elsewhere" in after and f"alert in {CHANNEL}" not in after
    assert (
        "every new item is posted here"
        not in (await testbot.say("/grok feeds list", channel=CHANNEL)).as_text()
    )
    # removing the feed also stops the other channel's every-item posts
    assert (
        await testbot.say(f"/grok feeds remove {url}", channel="console:elsewhere")
    ).kind == "info"
    assert await testbot.app.store.noise.following("console:elsewhere", [feed_id(url)]) == [False]
