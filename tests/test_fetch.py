"""Safe HTTP (bot.ingest.fetch) against a loopback server: timeouts, size caps, redirects, content
types, and addresses refused after DNS resolution and on every hop, before any
connection. Nothing here sends traffic off this machine: refused addresses are checked
with a recording transport that must never be called."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import pytest

from bot.ingest.fetch import (
    DEFAULT_USER_AGENT,
    BlockedURL,
    FetchError,
    FetchPolicy,
    FetchResult,
    SafeFetcher,
    address_problem,
)
from tests.web_fake import FakeWeb, Recorder

LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeb]:
    async with FakeWeb() as server:
        yield server


def fetcher(**kw: object) -> SafeFetcher:
    allow = kw.pop("allow", LOOPBACK)
    return SafeFetcher(FetchPolicy.build(allow=allow, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("10.0.0.1", "private"),
        ("192.168.1.10", "private"),
        ("172.16.0.5", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.1.1", "CGNAT"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("240.0.0.1", "reserved"),
    ],
)
def test_dangerous_addresses_are_named(address: str, why: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and why in problem


def test_public_addresses_pass() -> None:
    for address in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "1.1.1.1"):
        assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:192.168.0.1]/",
        "http://0.0.0.0:8080/",
        "http://localhost/feed",  # a name that resolves to loopback, loopback not allowed
    ],
)
async def test_private_addresses_refused_without_any_connection(url: str) -> None:
    recorder = Recorder()
    async with SafeFetcher(FetchPolicy(), backend=recorder) as f:
        with pytest.raises(BlockedURL, match="refused to fetch"):
            await f.fetch(url)
    assert recorder.connects == []  # refused before connecting: nothing was sent


async def test_metadata_refused_even_when_private_urls_are_allowed() -> None:
    recorder = Recorder()
    async with SafeFetcher(FetchPolicy(allow_private=True), backend=recorder) as f:
        with pytest.raises(BlockedURL, match="metadata"):
            await f.fetch("http://169.254.169.254/latest/meta-data/")
        with pytest.raises(FetchError, match="cannot fetch"):  # allowed by the setting
            await f.fetch("http://10.0.0.1/page.html")
    assert recorder.connects == [("10.0.0.1", 80)]


async def test_connects_to_the_checked_address_with_the_original_host(fake: FakeWeb) -> None:
    """DNS rebinding: the name is resolved once, by us, and the socket goes to the checked
    address; the request keeps its name (Host header, connection pool, TLS)."""
    recorder = Recorder()
    async with SafeFetcher(FetchPolicy.build(allow=["localhost"]), backend=recorder) as f:
        with pytest.raises(FetchError):
            await f.fetch("http://localhost:8080/a/page.html?x=1")
    assert recorder.connects
    assert all(ipaddress.ip_address(host).is_loopback for host, _ in recorder.connects)
    assert {port for _, port in recorder.connects} == {8080}
    fake.set("/a/page.html", "<html><body><p>ok</p></body></html>", content_type="text/html")
    async with SafeFetcher(FetchPolicy.build(allow=["localhost"])) as f:
        result = await f.fetch(f"http://localhost:{fake.port}/a/page.html?x=1")
    assert result.url == f"http://localhost:{fake.port}/a/page.html?x=1"
    (sent,) = fake.requests
    assert sent.path == "/a/page.html" and sent.query_string == "x=1"
    assert sent.headers["Host"] == f"localhost:{fake.port}"
    assert sent.headers["User-Agent"] == DEFAULT_USER_AGENT


async def test_only_http_and_https() -> None:
    recorder = Recorder()
    async with SafeFetcher(FetchPolicy(), backend=recorder) as f:
        for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x/"):
            with pytest.raises(FetchError):
                await f.fetch(url)
    assert recorder.connects == []


async def test_a_redirect_to_a_private_address_is_refused(fake: FakeWeb) -> None:
    fake.set("/hop", status=302, headers={"Location": "http://10.0.0.1/secret"})
    async with fetcher() as f:
        with pytest.raises(BlockedURL, match=r"10\.0\.0\.1"):
            await f.fetch(fake.url("/hop"))
        assert f.transport.connections == 1  # the first hop only
    # and a redirect to a name that resolves to loopback, when only 127.0.0.1 is allowed
    fake.set("/hop2", status=301, headers={"Location": "http://[::1]/x"})
    async with fetcher() as f:
        with pytest.raises(BlockedURL, match="loopback"):
            await f.fetch(fake.url("/hop2"))


async def test_redirects_are_followed_and_capped(fake: FakeWeb) -> None:
    fake.set("/page", "<html><body><p>ok</p></body></html>", content_type="text/html")
    fake.set("/r1", status=301, headers={"Location": "/r2"})
    fake.set("/r2", status=302, headers={"Location": fake.url("/page")})
    async with fetcher() as f:
        result = await f.fetch(fake.url("/r1"))
    assert result.status == 200 and result.url == fake.url("/page") and result.kind == "page"
    for i in range(10):
        fake.set(f"/c{i}", status=302, headers={"Location": f"/c{i + 1}"})
    async with fetcher(max_redirects=3) as f:
        with pytest.raises(FetchError, match="more than 3 redirects"):
            await f.fetch(fake.url("/c0"))
    assert fake.hits["/c4"] == 0


async def test_a_redirect_loop_stops(fake: FakeWeb) -> None:
    fake.set("/a", status=302, headers={"Location": "/b"})
    fake.set("/b", status=302, headers={"Location": "/a"})
    async with fetcher(max_redirects=10) as f:
        with pytest.raises(FetchError, match="redirect loop"):
            await f.fetch(fake.url("/a"))
    assert fake.hits["/a"] == 1 and fake.hits["/b"] == 1


async def test_a_slow_server_times_out(fake: FakeWeb) -> None:
    fake.set("/slow", "<rss/>", delay=3)
    async with fetcher(timeout=0.3, total_timeout=5) as f:
        with pytest.raises(FetchError, match="timed out"):
            await f.fetch(fake.url("/slow"))


async def test_an_endless_body_is_cut_at_the_size_cap(fake: FakeWeb) -> None:
    fake.set("/huge", endless=True, content_type="application/rss+xml")
    async with fetcher(max_bytes=200_000, total_timeout=10) as f:
        with pytest.raises(FetchError, match="200,000-byte limit; stopped reading"):
            await f.fetch(fake.url("/huge"))


async def test_a_declared_huge_body_is_refused_unread(fake: FakeWeb) -> None:
    fake.set("/big", b"<rss>" + b" " * 300_000 + b"</rss>")
    async with fetcher(max_bytes=100_000) as f:
        with pytest.raises(FetchError, match="over the 100,000-byte limit"):
            await f.fetch(fake.url("/big"))


async def test_content_types_are_checked(fake: FakeWeb) -> None:
    fake.set("/img", b"\x89PNG\r\n", content_type="image/png")
    fake.set("/html", "<!doctype html><html><body>hi</body></html>", content_type="text/html")
    fake.set("/rss", "<?xml version='1.0'?><rss version='2.0'></rss>", content_type="text/xml")
    async with fetcher() as f:
        with pytest.raises(FetchError, match="unsupported content type image/png"):
            await f.fetch(fake.url("/img"))
        with pytest.raises(FetchError, match="HTML page, not an RSS or Atom feed"):
            await f.fetch(fake.url("/html"), want="feed")
        assert (await f.fetch(fake.url("/rss"))).kind == "feed"
        with pytest.raises(FetchError, match="HTTP 404"):
            await f.fetch(fake.url("/missing"))


async def test_conditional_get(fake: FakeWeb) -> None:
    fake.set("/rss", "<rss version='2.0'><channel></channel></rss>", etag='"v1"')
    async with fetcher() as f:
        first = await f.fetch(fake.url("/rss"), want="feed")
        again = await f.fetch(fake.url("/rss"), want="feed", etag=first.etag)
    assert first.status == 200 and first.etag == '"v1"'
    assert again.not_modified and again.content == b""
    assert fake.requests[-1].headers["If-None-Match"] == '"v1"'


def test_a_page_body_is_decoded_like_an_html_file() -> None:
    page = '<html><head><meta charset="windows-1251"></head><body>Привет</body></html>'
    undeclared = FetchResult(url="https://example.org/", status=200, content=page.encode("cp1251"))
    assert "Привет" in undeclared.text()  # the page's <meta charset>, as for a file
    declared = FetchResult(
        url="https://example.org/", status=200, content="é".encode("latin-1"), charset="latin-1"
    )
    assert declared.text() == "é"
    assert (
        FetchResult(url="https://example.org/", status=200, content=b"\xef\xbb\xbfok").text()
        == "ok"
    )
