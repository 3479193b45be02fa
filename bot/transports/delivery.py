"""What every platform transport does alike when it posts, written once.

- `target_address`: an outbox target (a string) read once, as a `ChannelAddress` of the
  transport's platform; a target nothing could ever deliver to is a permanent failure.
- `Pacer`: one sender per channel at a time, each turn spaced from the last by an interval.
- `classify` / `Failure`: a failed platform call sorted into the `DeliveryError` the
  pipeline acts on: permanent (the channel is gone or forbids us: it pauses), rate limited
  (`retry_after`: the wait the platform asked for) or transient (retried later); and
  whether trying again at once may help (a 5xx the SDK did not retry, the network).
- `retrying`: exponential backoff over those at-once retries.
- `stable_key`: delivery and idempotency keys (a Discord nonce, a Slack metadata key) that
  come out the same when the same alert is rendered again after a crash.

The platform modules keep only what is theirs: which of their errors mean "gone", how
their SDK reports a status, where their key travels.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sized
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from bot.transports.base import DeliveryError
from handlers.model import BadChannel, ChannelAddress

logger = logging.getLogger(__name__)

T = TypeVar("T")

# what a call raises when no answer came back (both SDKs run on aiohttp)
NETWORK_ERRORS: tuple[type[Exception], ...] = (aiohttp.ClientError, OSError, TimeoutError)


# error codes a platform answers (with HTTP 200 on Slack) for its own trouble, not the message's
TRANSIENT_CODES = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
# the bot's credentials were refused: no message is at fault, every one waits for the fix
CREDENTIAL_CODES = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


def target_address(target: str, platform: str) -> ChannelAddress:
    """The outbox target `target` as an address on `platform`; a permanent DeliveryError
    (retrying cannot help) when it is malformed or names another platform."""
    try:
        address = ChannelAddress.parse(target)
    except BadChannel as exc:
        raise DeliveryError(str(exc), permanent=True) from None
    if address.platform != platform:
        raise DeliveryError(f"{target!r} is not a {platform} channel", permanent=True)
    return address


class Pacer:
    """One sender per channel at a time; a turn starts `interval` seconds after the last
    one ended, times the number of messages that one posted (at least once)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._next_at: dict[Hashable, float] = {}

    @asynccontextmanager
    async def turn(self, channel: Hashable, posted: Sized = ()) -> AsyncIterator[None]:
        """Wait for `channel`'s turn. `posted`: what the sender records of its messages
        (read when the turn ends); without it a turn counts as one message."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._next_at.get(channel, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._next_at[channel] = time.monotonic() + self.interval * max(1, len(posted))


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed call to a platform, sorted."""

    reason: str  # what the pause notice or the log says
    permanent: bool = False  # the target is gone or forbids us
    retry_after: float | None = None  # rate limited: the wait the platform asked for
    again: bool = False  # trying again at once may help
    refused: bool = False  # the message itself was refused: sending it again cannot help

    def error(self) -> DeliveryError:
        return DeliveryError(
            self.reason,
            retry_after=self.retry_after,
            permanent=self.permanent,
            refused=self.refused,
        )


def classify(
    platform: str,
    status: int | None,
    *,
    gone: str | None = None,
    code: str = "",
    retry_after: float | None = None,
    retried: bool = False,
    error: BaseException | None = None,
) -> Failure:
    """The one rule for a failed call to a chat platform.

    `status`: the HTTP status, None when no answer came (`error` names what happened);
    `gone`: the platform's reason when its answer means the channel is gone or forbids
    the bot (permanent); `code`: its error code; `retry_after`: the wait it asked for;
    `retried`: its SDK already retried the call (5xx), so trying at once again is pointless.
    """
    if gone:
        return Failure(gone, permanent=True)
    if status is None:
        return Failure(f"network error ({type(error).__name__})", again=True)
    if status == 429:
        wait = 1.0 if retry_after is None else retry_after
        return Failure(f"rate limited for {wait:.0f}s", retry_after=wait)
    if status == 401 or code in CREDENTIAL_CODES:
        return Failure(f"{platform} refused the bot's token ({code or status}): fix it")
    if 500 <= status < 600 or code in TRANSIENT_CODES:
        return Failure(f"{platform} server error ({code or status})", again=not retried)
    return Failure(f"{platform} refused the message ({code or status})", refused=True)


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    sort: Callable[[Exception], Failure | None],
    *,
    retries: int,
    backoff: float,
    what: str,
) -> T:
    """Run `attempt`; a failure `sort` marks `again` is tried again up to `retries` times,
    after `backoff`·2ⁿ seconds; any other raises its DeliveryError at once (an exception
    `sort` does not know, None, is raised as it is)."""
    failure: Failure | None = None
    for n in range(retries + 1):
        try:
            return await attempt()
        except Exception as exc:
            failure = sort(exc)
            if failure is None:
                raise
            if not failure.again:
                raise failure.error() from None
        if n < retries:
            delay = backoff * 2**n
            logger.warning("%s: %s; retry in %.1fs", what, failure.reason, delay)
            await asyncio.sleep(delay)
    assert failure is not None
    raise DeliveryError(f"{failure.reason}, after {retries + 1} tries")


class RateLimit:
    """At most `rate` acquisitions a second on average, in bursts of up to `burst` (a
    token bucket): a platform's global limit, shared by the channels served at once."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._tokens = self.burst
        self._at = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


def stable_key(*parts: str, length: int = 32) -> str:
    """A digest of `parts` (hex, `length` characters): the same parts, the same key, on
    every run and every host."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:length]
