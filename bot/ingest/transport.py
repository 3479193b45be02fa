"""The wire of `SafeFetcher`: where connections are opened and bodies inflated.

* `GuardedBackend` is the httpcore network backend: asked for a TCP connection to a host
  name, it resolves the name itself (`AddressGuard`) and connects to a checked address,
  trying the next one when one refuses. Nothing else resolves the name, so a DNS answer
  that changes after the check is never used.
* `PinnedTransport` is the httpx transport over an httpcore connection pool that uses that
  backend. The request keeps its host name, so the pool keeps one set of connections per
  (scheme, host name, port) and TLS checks the certificate against the host of each new
  connection: a second HTTPS host on the same address gets its own connection and its own
  certificate check.
* `Inflater` undoes one `gzip` or `deflate` content encoding a bounded piece at a time,
  counting what comes out, so a small compressed body that inflates to gigabytes is
  stopped at the cap having used about the cap's worth of memory.
"""

from __future__ import annotations

import logging
import ssl
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from bot.ingest.netguard import AddressGuard, BlockedURL, FetchError

logger = logging.getLogger(__name__)

ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})  # what we ask for and undo


@contextmanager
def _as_httpx() -> Iterator[None]:
    """httpcore's exceptions as the httpx ones of the same name (httpx does the same)."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        kind = getattr(httpx, type(exc).__name__, httpx.TimeoutException)
        raise kind(str(exc)) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        kind = getattr(httpx, type(exc).__name__, httpx.TransportError)
        raise kind(str(exc)) from exc


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard allows for the host asked for."""

    def __init__(
        self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()
        self.connections = 0  # connection attempts handed to the network

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.guard.resolve(host, port)
        last: Exception | None = None
        for ip in addresses:
            self.connections += 1
            try:
                return await self.inner.connect_tcp(
                    str(ip),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURL("Unix sockets are never connected to")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            with _as_httpx():
                await close()


class PinnedTransport(httpx.AsyncBaseTransport):
    """httpx over an httpcore pool whose connections `GuardedBackend` opens (see the
    module docstring)."""

    def __init__(
        self,
        guard: AddressGuard,
        backend: httpcore.AsyncNetworkBackend | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = guard
        self.backend = GuardedBackend(guard, backend)
        self.pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            retries=0,
            network_backend=self.backend,
        )

    @property
    def connections(self) -> int:
        """Connection attempts handed to the network so far."""
        return self.backend.connections

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise BlockedURL(f"only http and https URLs are fetched, not {url.scheme}:")
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx():
            resp = await self.pool.handle_async_request(core)
        assert isinstance(resp.stream, AsyncIterable)
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_Body(resp.stream),
            extensions=resp.extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()


def body_encoding(values: Iterable[str]) -> str | None:
    """The one content encoding to undo (None for none), from the Content-Encoding header
    values; FetchError for a stack of encodings or one we did not ask for."""
    layers = [
        token.strip().lower()
        for value in values
        for token in value.split(",")
        if token.strip() and token.strip().lower() != "identity"
    ]
    if len(layers) > 1:
        raise FetchError(
            f"the body is compressed {len(layers)} times ({', '.join(layers)}); "
            "one gzip or deflate layer at most is read",
            permanent=True,
        )
    if layers and layers[0] not in ENCODINGS:
        raise FetchError(
            f"the body uses the content encoding {layers[0][:40]!r}, which is not read "
            "(gzip or deflate only)",
            permanent=True,
        )
    return layers[0] if layers else None


class Inflater:
    """One gzip or deflate layer undone piece by piece, at most `limit` bytes out."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.gzip = encoding in ("gzip", "x-gzip")
        self.limit = limit
        self.out = 0
        self._raw_tried = False
        self._d = self._new(zlib.MAX_WBITS | 16 if self.gzip else zlib.MAX_WBITS)

    @staticmethod
    def _new(wbits: int) -> zlib._Decompress:
        return zlib.decompressobj(wbits)

    def _over(self) -> FetchError:
        return FetchError(
            f"the body inflates to over the {self.limit:,}-byte limit; stopped reading",
            permanent=True,
        )

    def feed(self, data: bytes) -> list[bytes]:
        """What `data` inflates to (FetchError past the limit or for corrupt data)."""
        pieces: list[bytes] = []
        while data:
            if self._d.eof:
                if not (self.gzip and data.startswith(b"\x1f\x8b")):
                    break  # bytes after the end of the stream (padding): ignored
                self._d = self._new(zlib.MAX_WBITS | 16)  # another gzip member
            try:
                piece = self._d.decompress(data, self.limit - self.out + 1)
            except zlib.error as exc:
                if not self.gzip and not self._raw_tried and self.out == 0:
                    # servers that send raw deflate (no zlib header) as "deflate"
                    self._raw_tried = True
                    self._d = self._new(-zlib.MAX_WBITS)
                    continue
                raise FetchError(f"the compressed body is corrupt: {exc}") from None
            self._raw_tried = True
            self.out += len(piece)
            if self.out > self.limit:
                raise self._over()
            if piece:
                pieces.append(piece)
            data = self._d.unused_data if self._d.eof else self._d.unconsumed_tail
        return pieces

    def finish(self) -> bytes:
        """The rest of the output once the body has ended."""
        rest = self._d.flush() if not self._d.eof else b""
        self.out += len(rest)
        if self.out > self.limit:
            raise self._over()
        return rest
