"""Safe HTTP for feeds, pages and URL ingestion: the bot must never be a way into anyone's
network.

Every request goes through `SafeFetcher.fetch`, which

* allows only http(s) URLs on ports we can check;
* resolves the host ONCE, checks every resolved address (loopback, private, link-local,
  multicast, reserved, unspecified, shared/CGNAT and cloud metadata addresses are refused
  unless `GROKWATCH_ALLOW_PRIVATE_URLS` or the allow-list says otherwise), and connects
  to the address it checked: `PinnedTransport` rewrites the request's URL to that IP
  while keeping the `Host` header and the TLS server name (SNI and certificate check) of
  the original host. A DNS answer that changes between the check and the connection
  (DNS rebinding) is therefore never used: httpx never resolves the name itself;
* follows redirects by hand, at most `max_redirects`, each hop going through the same
  transport (so checked again, after its own DNS resolution), and stops a loop early;
* bounds every request by a connect/read timeout and by an overall deadline (a server
  that drips one byte a second cannot hold a poller forever);
* streams the body and stops reading past `max_bytes` (and refuses a declared
  Content-Length above it before reading anything);
* checks the content type against what the caller wants (a feed, a page, or either);
* names the bot in its User-Agent; never uses proxies from the environment (a proxy would
  resolve names itself and defeat the address check).

Errors are `FetchError`s whose message is one sentence for a user; nothing here raises
anything else for a bad URL or a bad server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx

from bot import __version__
from bot.ingest.readers.files import decode

logger = logging.getLogger(__name__)

Want = Literal["feed", "page", "any"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_USER_AGENT = f"grokwatch/{__version__} (news-tracking bot; feeds and pages it follows)"

# Cloud metadata endpoints: refused even when private addresses are allowed, unless an
# allow-list CIDR names them explicitly.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT

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


class FetchError(Exception):
    """A fetch that failed; the message says what happened, for a user.

    `permanent`: retrying the same URL cannot help (refused address, not a feed...)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float = 0.0):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class BlockedURL(FetchError):
    """The URL or an address it resolves to is not allowed; no connection was made."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    timeout: float = 15.0  # connect and per-read timeout, seconds
    total_timeout: float = 30.0  # the whole fetch, redirects and body included
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False
    allow_hosts: frozenset[str] = frozenset()  # host names allowed whatever they resolve to
    allow_networks: tuple[Network, ...] = ()  # addresses allowed even if private

    @classmethod
    def build(
        cls,
        *,
        allow: Iterable[str] = (),
        **kw: object,
    ) -> FetchPolicy:
        """A policy whose allow-list entries are CIDRs/addresses or host names."""
        hosts: set[str] = set()
        nets: list[Network] = []
        for entry in allow:
            entry = entry.strip()
            if not entry:
                continue
            try:
                nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.casefold().rstrip("."))
        return cls(allow_hosts=frozenset(hosts), allow_networks=tuple(nets), **kw)  # type: ignore[arg-type]


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is dangerous ("a private address"...), or None."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    inner = _embedded_v4(ip)
    if inner is not None:
        return address_problem(inner)
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED, "a shared (CGNAT) address"),
        (not ip.is_global, "a non-public address"),
    )
    for bad, why in checks:
        if bad:
            return why
    return None


class AddressGuard:
    """Resolves host names and says which of their addresses may be connected to."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy

    def allowed(self, host: str, ip: IPAddress) -> str | None:
        """None when `ip` (an address of `host`) may be used, else why not."""
        if any(ip in net for net in self.policy.allow_networks):
            return None
        problem = address_problem(ip)
        if problem is None:
            return None
        if ip in METADATA_ADDRESSES:
            return problem  # only an explicit CIDR allows these
        if self.policy.allow_private or host.casefold().rstrip(".") in self.policy.allow_hosts:
            return None
        return problem

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of `host` that may be connected to; BlockedURL if none."""
        if not host:
            raise BlockedURL("the URL has no host")
        literal: IPAddress | None
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            infos = [literal]
        else:
            try:
                raw = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except (socket.gaierror, UnicodeError) as exc:
                raise FetchError(f"cannot resolve {host}: {exc}") from None
            infos = []
            for *_, sockaddr in raw:
                try:
                    ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                except ValueError:
                    continue
                if ip not in infos:
                    infos.append(ip)
        if not infos:
            raise FetchError(f"{host} has no address")
        good: list[IPAddress] = []
        refused: list[str] = []
        for ip in infos:
            why = self.allowed(host, ip)
            if why is None:
                good.append(ip)
            else:
                refused.append(f"{ip} is {why}")
        if not good:
            raise BlockedURL(
                f"refused to fetch from {host}: {'; '.join(refused)} "
                "(set GROKWATCH_ALLOW_PRIVATE_URLS or GROKWATCH_URL_ALLOWLIST to allow it)"
            )
        return good


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only to addresses the guard checked.

    The request's host is resolved here, once; the request is then sent to the checked IP
    with the original `Host` header and, for https, the original name as the TLS server
    name (httpcore's `sni_hostname` extension, also used to verify the certificate)."""

    def __init__(self, guard: AddressGuard, inner: httpx.AsyncBaseTransport | None = None):
        self.guard = guard
        self.inner = inner or httpx.AsyncHTTPTransport(retries=0, trust_env=False)
        self.connections = 0  # requests actually handed to the network layer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise BlockedURL(f"only http and https URLs are fetched, not {url.scheme}:")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await self.guard.resolve(url.host, port)
        last: Exception | None = None
        for ip in addresses:
            extensions = dict(request.extensions)
            if url.scheme == "https":
                extensions["sni_hostname"] = url.host
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(ip)),
                headers=request.headers,  # keeps Host: the original name
                stream=request.stream,
                extensions=extensions,
            )
            self.connections += 1
            try:
                return await self.inner.handle_async_request(pinned)
            except httpx.ConnectError as exc:
                last = exc
                continue
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await self.inner.aclose()


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
        if self.charset:
            try:
                return self.content.decode(self.charset, errors="replace")
            except LookupError:
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
        self, policy: FetchPolicy | None = None, *, inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.guard = AddressGuard(self.policy)
        self.transport = PinnedTransport(self.guard, inner)
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
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise FetchError(
                    f"the body is over the {self.policy.max_bytes:,}-byte limit; stopped reading",
                    permanent=True,
                )
            chunks.append(chunk)
        result.content = b"".join(chunks)
        result.kind = self._kind(media, result.content, want)
        return result

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
    "AddressGuard",
    "BlockedURL",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "PinnedTransport",
    "SafeFetcher",
    "address_problem",
    "is_url",
]
