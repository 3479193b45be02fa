"""Safe HTTP for feeds, pages and URL ingestion: the bot must never be a way into anyone's
network.

Every request goes through `SafeFetcher.fetch`, which

* allows only http(s) URLs on ports we can check;
* resolves the host ONCE, checks every resolved address (loopback, private, link-local,
  multicast, reserved, unspecified, shared/CGNAT and cloud metadata addresses are refused
  unless `GROKWATCH_ALLOW_PRIVATE_URLS` or the allow-list says otherwise; cloud metadata
  addresses, also in any IPv6 form that carries them, only by an explicit CIDR), and
  connects to the address it checked: the name is resolved in `GuardedBackend`, the
  httpcore network backend, at the moment a connection is opened, and the socket goes to
  a checked address. The URL keeps its host name, so httpcore pools connections per host
  name and checks the TLS certificate against that name on every new connection (two
  HTTPS hosts on one CDN address never share a connection). A DNS answer that changes
  between the check and the connection (DNS rebinding) is never used;
* follows redirects by hand, at most `max_redirects`, each hop going through the same
  transport (so checked again, after its own DNS resolution), and stops a loop early;
* bounds every request by a connect/read timeout and by an overall deadline (a server
  that drips one byte a second cannot hold a poller forever);
* streams the body and stops reading past `max_bytes` on the wire (and refuses a declared
  Content-Length above it before reading anything); a compressed body is inflated here,
  one `gzip` or `deflate` layer at most (a stack of encodings, or one we did not ask
  for, is refused), a bounded piece at a time, and stops past `max_bytes` inflated, so a
  few kilobytes of compressed zeros cannot take the memory of the machine;
* checks the content type against what the caller wants (a feed, a page, or either);
* names the bot in its User-Agent; never uses proxies from the environment (a proxy would
  resolve names itself and defeat the address check).

Errors are `FetchError`s whose message is one sentence for a user; nothing here raises
anything else for a bad URL or a bad server.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpcore
import httpx

from bot.ingest.netguard import (
    DEFAULT_USER_AGENT,
    METADATA_ADDRESSES,
    AddressGuard,
    BlockedURL,
    FetchError,
    FetchPolicy,
    address_problem,
    is_metadata,
)
from bot.ingest.readers.files import decode, text_codec
from bot.ingest.transport import Inflater, PinnedTransport, body_encoding

logger = logging.getLogger(__name__)

Want = Literal["feed", "page", "any"]

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/feed+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(slots=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content: bytes = b""
    content_type: str = ""  # lowercased media type without parameters
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    kind: Literal["feed", "page", "none"] = "none"
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text: the declared charset, else decoded as an HTML file is (a BOM,
        UTF-8, the page's `<meta charset>`, Windows-1252...), else Windows-1252 anyway."""
        codec = text_codec(self.charset) if self.charset else None
        if codec is not None:
            try:
                return self.content.decode(codec, errors="replace")
            except (UnicodeError, ValueError):  # a codec that refuses "replace" (idna...)
                pass
        decoded = decode(self.content, html=True)
        return decoded if decoded is not None else self.content.decode("cp1252", errors="replace")


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset" and value:
            charset = value.strip().strip("\"'") or None
    return parts[0].lower(), charset


def sniff_kind(content: bytes) -> Literal["feed", "page", "none"]:
    """What a body looks like when its content type does not say."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<html" in head[:512]:
        return "page"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    if head.startswith(b"<?xml"):
        return "feed"
    return "none"


def _retry_after(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


class SafeFetcher:
    """The one HTTP client of the bot (see the module docstring). Use `async with` or
    `aclose()`."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        backend: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`backend`: the network under the address guard (tests record with it);
        `ssl_context`: the certificates trusted (the system's CAs by default)."""
        self.policy = policy or FetchPolicy()
        self.guard = AddressGuard(self.policy)
        self.transport = PinnedTransport(self.guard, backend, ssl_context=ssl_context)
        self.client = httpx.AsyncClient(
            transport=self.transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self.policy.timeout),
            headers={"User-Agent": self.policy.user_agent},
        )

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        want: Want = "any",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET `url` safely (see the module docstring). A 304 comes back with an empty body
        (`not_modified`); any other non-2xx status raises FetchError."""
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                return await self._fetch(url, want, etag, last_modified)
        except TimeoutError:
            raise FetchError(
                f"{url} timed out after {self.policy.total_timeout:g}s in total"
            ) from None

    async def _fetch(
        self, url: str, want: Want, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        try:
            current = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchError(f"not a valid URL: {exc}", permanent=True) from None
        headers: dict[str, str] = {
            "Accept": {
                "feed": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9",
                "page": "text/html, application/xhtml+xml;q=0.9",
                "any": "application/rss+xml, application/atom+xml, text/html, application/xml;q=0.9, */*;q=0.1",
            }[want],
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen: list[str] = []
        for _ in range(self.policy.max_redirects + 1):
            if current.scheme not in ("http", "https"):
                raise BlockedURL(f"only http and https URLs are fetched, not {current.scheme}:")
            if str(current) in seen:
                raise FetchError(f"redirect loop at {current}", permanent=True)
            seen.append(str(current))
            try:
                async with self.client.stream("GET", current, headers=headers) as resp:
                    if resp.status_code in REDIRECTS:
                        location = resp.headers.get("location")
                        if not location:
                            raise FetchError(f"redirect without a Location from {current}")
                        try:
                            current = current.join(location)
                        except httpx.InvalidURL as exc:
                            raise FetchError(f"bad redirect target: {exc}") from None
                        continue
                    return await self._finish(resp, seen, want)
            except FetchError:
                raise
            except httpx.InvalidURL as exc:  # httpx reads the Location of a redirect itself
                raise FetchError(
                    f"{current.host} redirects to an address that cannot be fetched: {exc}",
                    permanent=True,
                ) from None
            except httpx.TimeoutException:
                raise FetchError(
                    f"{current.host} timed out (over {self.policy.timeout:g}s)"
                ) from None
            except httpx.TooManyRedirects:  # pragma: no cover - we follow by hand
                raise FetchError("too many redirects") from None
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"cannot fetch {current.host}: {type(exc).__name__}: {exc}".rstrip(": ")
                ) from None
        raise FetchError(f"more than {self.policy.max_redirects} redirects", permanent=True)

    async def _finish(self, resp: httpx.Response, seen: list[str], want: Want) -> FetchResult:
        media, charset = _media_type(resp.headers.get("content-type"))
        result = FetchResult(
            url=str(resp.url),
            status=resp.status_code,
            content_type=media,
            charset=charset,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
            redirects=seen[1:],
        )
        # the URL the response came from is the pinned one; report the name-based one
        result.url = seen[-1]
        if resp.status_code == 304:
            return result
        if resp.status_code >= 400:
            raise FetchError(
                f"HTTP {resp.status_code} from {httpx.URL(seen[-1]).host}",
                permanent=resp.status_code == 410,
                retry_after=_retry_after(resp.headers.get("retry-after")),
            )
        if resp.status_code != 200:
            raise FetchError(f"unexpected HTTP {resp.status_code} from {httpx.URL(seen[-1]).host}")
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise FetchError(
                f"the body is {int(declared):,} bytes, over the {self.policy.max_bytes:,}-byte limit",
                permanent=True,
            )
        result.content = await self._read_body(resp)
        result.kind = self._kind(media, result.content, want)
        return result

    async def _read_body(self, resp: httpx.Response) -> bytes:
        """The body, at most `max_bytes` on the wire and `max_bytes` once inflated; raw
        bytes are read and inflated here, one encoding layer at most (see the module
        docstring)."""
        limit = self.policy.max_bytes
        encoding = body_encoding(resp.headers.get_list("content-encoding"))
        inflater = Inflater(encoding, limit) if encoding else None
        chunks: list[bytes] = []
        wire = 0
        async for raw in resp.aiter_raw():
            wire += len(raw)
            if wire > limit:
                raise FetchError(
                    f"the body is over the {limit:,}-byte limit; stopped reading",
                    permanent=True,
                )
            if inflater is None:
                chunks.append(raw)
            else:
                chunks.extend(inflater.feed(raw))
        if inflater is not None:
            chunks.append(inflater.finish())
        return b"".join(chunks)

    @staticmethod
    def _kind(media: str, content: bytes, want: Want) -> Literal["feed", "page", "none"]:
        sniffed = sniff_kind(content)
        if media in PAGE_TYPES:
            kind: Literal["feed", "page", "none"] = "page"
        elif media in FEED_TYPES or media.endswith("+xml"):
            kind = "page" if sniffed == "page" else "feed"
        elif media in ("", "text/plain", "application/octet-stream"):
            kind = sniffed  # servers that do not say, or say it wrong
        else:
            raise FetchError(f"unsupported content type {media}", permanent=True)
        if kind == "none":
            raise FetchError(
                f"the body ({media or 'no content type'}) is neither a feed nor a web page",
                permanent=True,
            )
        if want == "feed" and kind == "page":
            raise FetchError(
                "the URL serves an HTML page, not an RSS or Atom feed "
                "(look for the site's feed link, often /feed or /rss)",
                permanent=True,
            )
        if want == "page" and kind == "feed":
            raise FetchError("the URL serves a feed, not a web page", permanent=True)
        return kind


def is_url(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


__all__: Sequence[str] = [
    "DEFAULT_USER_AGENT",
    "METADATA_ADDRESSES",
    "AddressGuard",
    "BlockedURL",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "PinnedTransport",
    "SafeFetcher",
    "address_problem",
    "is_metadata",
    "is_url",
]
