"""Hostile servers against `SafeFetcher`, each on a real loopback server: decompression
bombs (stacked and single-layer, with the memory they cost measured in a child process),
unknown encodings, a second HTTPS host on the same address (TLS checked per host name),
the IPv6 forms of the metadata address, redirects to data:/mailto:/javascript:, and
charsets that are not text encodings."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import ssl
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.ingest.fetch import BlockedURL, FetchError, FetchPolicy, SafeFetcher
from bot.ingest.web import WebReader, parse_feed
from handlers.model import RawArticle, Rejected
from tests.web_fake import FakeWeb, Recorder

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = ["127.0.0.1/32"]
PAGE = (
    "<html><head><title>Titre</title></head><body><article><p>"
    + ("Le modèle publié par la start-up compte des milliards de paramètres. " * 8)
    + "</p></article></body></html>"
)


def zeros_gzip(size: int) -> bytes:
    """`size` zero bytes, gzipped (64 MiB at a time: the test never holds them all)."""
    out = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 26)
    parts = [
        out.compress(block[: min(len(block), size - done)]) for done in range(0, size, len(block))
    ]
    return b"".join(parts) + out.flush()


@pytest.fixture(scope="module")
def bomb() -> tuple[bytes, bytes]:
    """(gzip of 256 MiB of zeros, gzip of that): a few hundred bytes on the wire that
    inflate, two layers deep, to 256 MiB."""
    inner = zeros_gzip(256 << 20)
    return inner, gzip.compress(inner, 9)


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeb]:
    async with FakeWeb() as server:
        yield server


def fetcher(**kw: object) -> SafeFetcher:
    return SafeFetcher(FetchPolicy.build(allow=LOOPBACK, **kw))


async def test_stacked_encodings_are_refused_before_inflating(
    fake: FakeWeb, bomb: tuple[bytes, bytes]
) -> None:
    _, outer = bomb
    assert len(outer) < 10_000
    fake.set("/bomb", outer, content_type="text/html", headers={"Content-Encoding": "gzip, gzip"})
    fake.set(
        "/bomb2", outer, content_type="text/html", headers={"Content-Encoding": "gzip,deflate"}
    )
    async with fetcher() as f:
        with pytest.raises(FetchError, match=r"compressed 2 times \(gzip, gzip\)") as caught:
            await f.fetch(fake.url("/bomb"))
        assert caught.value.permanent
        with pytest.raises(FetchError, match="compressed 2 times"):
            await f.fetch(fake.url("/bomb2"))


async def test_one_layer_is_inflated_and_capped_while_streaming(
    fake: FakeWeb, bomb: tuple[bytes, bytes]
) -> None:
    inner, _ = bomb
    fake.set("/zeros", inner, content_type="text/html", headers={"Content-Encoding": "gzip"})
    async with fetcher(max_bytes=2_000_000) as f:
        with pytest.raises(FetchError, match="inflates to over the 2,000,000-byte limit"):
            await f.fetch(fake.url("/zeros"))


async def test_compressed_pages_are_read(fake: FakeWeb) -> None:
    body = PAGE.encode()
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    fake.set(
        "/gz", gzip.compress(body), content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    fake.set(
        "/zlib",
        zlib.compress(body),
        content_type="text/html",
        headers={"Content-Encoding": "deflate"},
    )
    fake.set(
        "/raw",
        raw.compress(body) + raw.flush(),
        content_type="text/html",
        headers={"Content-Encoding": "deflate"},
    )
    two_members = gzip.compress(body[:100]) + gzip.compress(body[100:])
    fake.set(
        "/members", two_members, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    async with fetcher() as f:
        for path in ("/gz", "/zlib", "/raw", "/members"):
            assert (await f.fetch(fake.url(path))).content == body, path


async def test_encodings_we_did_not_ask_for_are_refused(fake: FakeWeb) -> None:
    fake.set("/br", b"\x0b\x02\x80", content_type="text/html", headers={"Content-Encoding": "br"})
    fake.set(
        "/bad", b"not gzip at all", content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    async with fetcher() as f:
        with pytest.raises(FetchError, match="content encoding 'br', which is not read"):
            await f.fetch(fake.url("/br"))
        with pytest.raises(FetchError, match="compressed body is corrupt"):
            await f.fetch(fake.url("/bad"))


CHILD = """
import asyncio, json, resource, sys
from bot.ingest.fetch import FetchError, FetchPolicy, SafeFetcher

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def main(base):
    async with SafeFetcher(FetchPolicy.build(allow=["127.0.0.1/32"])) as f:
        await f.fetch(base + "/page")
        idle = peak_mb()
        errors = []
        for path in ("/stacked", "/single"):
            try:
                await f.fetch(base + path)
            except FetchError as exc:
                errors.append(str(exc))
    print(json.dumps({"idle": idle, "peak": peak_mb(), "errors": errors}))

asyncio.run(main(sys.argv[1]))
"""


async def test_a_bomb_costs_little_memory(fake: FakeWeb, bomb: tuple[bytes, bytes]) -> None:
    """The issue's gzip-of-gzip bomb took the bot to 8.2 GB; now the peak RSS of a process
    that fetches a bomb of each kind stays within 100 MB of what it used idle."""
    inner, outer = bomb
    fake.set("/page", PAGE, content_type="text/html")
    fake.set(
        "/stacked", outer, content_type="text/html", headers={"Content-Encoding": "gzip, gzip"}
    )
    fake.set("/single", inner, content_type="text/html", headers={"Content-Encoding": "gzip"})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, fake.url(""), stdout=subprocess.PIPE, env=env, cwd=ROOT
    )
    out, _ = await child.communicate()
    assert child.returncode == 0
    report = json.loads(out)
    assert len(report["errors"]) == 2  # both refused, as FetchErrors
    assert report["peak"] - report["idle"] < 100, report


# ------------------------------------------------------------------ TLS per host name
def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A CA, and a server certificate it signed for the name `localhost` only."""
    d = tmp_path_factory.mktemp("tls")
    (d / "leaf.ext").write_text(
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=grokwatch test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign", cwd=d)  # fmt: skip
    _openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost",
             cwd=d)  # fmt: skip
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext",
             cwd=d)  # fmt: skip
    yield d


async def test_a_second_host_on_the_same_address_gets_its_own_tls_check(certs: Path) -> None:
    """localhost and 127.0.0.1 are one address; the certificate names only localhost. The
    old transport pooled by address and reused the localhost connection for 127.0.0.1."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(certs / "leaf.pem", certs / "leaf.key")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx).start()
    port = runner.addresses[0][1]
    client_ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    policy = FetchPolicy.build(allow=[*LOOPBACK, "localhost"])
    try:
        async with SafeFetcher(policy, ssl_context=client_ctx) as f:
            ok = await f.fetch(f"https://localhost:{port}/")
            assert ok.kind == "page"
            with pytest.raises(FetchError, match=r"(?i)certificate"):
                await f.fetch(f"https://127.0.0.1:{port}/")
            assert (await f.fetch(f"https://localhost:{port}/")).kind == "page"
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    "host",
    [
        "[::ffff:169.254.169.254]",
        "[::ffff:a9fe:a9fe]",
        "[2002:a9fe:a9fe::]",  # 6to4
        "[64:ff9b::a9fe:a9fe]",  # NAT64
        "[64:ff9b:1::a9fe:a9fe]",  # local-use NAT64
        "[::a9fe:a9fe]",  # IPv4-compatible
        "[::ffff:100.100.100.200]",
    ],
)
async def test_metadata_in_ipv6_forms_is_refused_even_with_private_allowed(host: str) -> None:
    recorder = Recorder()
    async with SafeFetcher(FetchPolicy(allow_private=True), backend=recorder) as f:
        with pytest.raises(BlockedURL, match="metadata"):
            await f.fetch(f"http://{host}/latest/meta-data/")
    assert recorder.connects == []


@pytest.mark.parametrize(
    "target", ["data:text/html,<p>hi</p>", "mailto:a@b.example", "javascript:alert(1)"]
)
async def test_a_redirect_to_another_scheme_is_a_clear_error(fake: FakeWeb, target: str) -> None:
    fake.set("/hop", status=302, headers={"Location": target})
    async with fetcher() as f:
        with pytest.raises(FetchError, match="redirects to an address that cannot be fetched"):
            await f.fetch(fake.url("/hop"))
        read = await WebReader(f).read_url(fake.url("/hop"))
    assert [type(r) for r in read] == [Rejected]


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "no-such-charset"])
async def test_pages_and_feeds_with_odd_charsets_are_read(fake: FakeWeb, charset: str) -> None:
    fake.set("/page", PAGE, content_type=f"text/html; charset={charset}")
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Flux</title>"
        "<item><title>Un titre</title><link>https://e.example/a</link>"
        "<description>Des mots, assez de mots.</description></item></channel></rss>"
    )
    fake.set("/feed", feed, content_type=f"application/rss+xml; charset={charset}")
    async with fetcher() as f:
        (page,) = await WebReader(f).read_url(fake.url("/page"))
        result = await f.fetch(fake.url("/feed"), want="feed")
    assert isinstance(page, RawArticle) and "milliards" in page.text
    assert [i.article.title for i in parse_feed(result).items] == ["Un titre"]
