"""The Slack Web API client, and how its failures read.

Owns `web_client` (slack_sdk's AsyncWebClient with its retry handlers: connection
errors, rate limits waited out with Slack's `Retry-After`, any 5xx; the base URL tests
point at a fake), `SLACK_ERRORS` (what a failed call raises), `sort_failure` (a failed
post, after those retries, as the shared `delivery.Failure`: the error codes that mean
the channel is gone or closed to the bot are permanent, with a reason that says what to
do) and `upload_chart` (best effort).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.transports.delivery import NETWORK_ERRORS, Failure, classify
from bot.transports.slack.render import clip
from handlers.reply import Reply, defang

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

RETRIES = 3  # per kind of failure, inside one call
TIMEOUT = 30  # seconds

# what a Slack Web API call raises when it fails
SLACK_ERRORS: tuple[type[Exception], ...] = (SlackApiError, SlackClientError, *NETWORK_ERRORS)

# chat.postMessage errors retrying cannot fix: the subscription is paused, with why
PERMANENT_ERRORS = {
    "channel_not_found": "the channel was deleted or the bot cannot see it "
    "(for a private channel, invite the bot with /invite @grokwatch)",
    "not_in_channel": "the bot is not a member of the channel; invite it with /invite @grokwatch",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
    "restricted_action": "the workspace does not let the bot post in this channel",
    "team_access_not_granted": "the bot is not installed in this channel's workspace",
}
# a thread reply whose parent is gone: post at the top level instead
LOST_THREAD_ERRORS = {"thread_not_found", "invalid_thread_ts", "cannot_reply_to_message"}


class _ServerErrorRetryHandler(AsyncRetryHandler):
    """Retry on any 5xx (slack_sdk's own handler only retries 500 and 503)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def web_client(
    settings: Settings, *, retries: bool = True, token: str | None = None
) -> AsyncWebClient:
    """The bot's Web API client, retrying what can be retried: with `token` (a
    workspace's bot token, OAuth mode), else SLACK_BOT_TOKEN (one workspace; in OAuth
    mode none: bolt gives each request's client the token of its workspace).

    `retries=False`: the client alerts are posted with. An SDK retry re-posts blindly
    (a 500 can come after Slack posted the message), so posting calls are retried only by
    the delivery engine, which looks for the earlier post first."""
    if token is None and settings.slack_bot_token and not settings.slack_oauth:
        token = settings.slack_bot_token.get_secret_value()
    retry: list[AsyncRetryHandler] = (
        [
            AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
            _ServerErrorRetryHandler(max_retry_count=RETRIES),
        ]
        if retries
        else []
    )
    kw: dict[str, Any] = {"retry_handlers": retry, "timeout": TIMEOUT}
    if settings.slack_api_base:
        kw["base_url"] = settings.slack_api_base.rstrip("/") + "/"
    return AsyncWebClient(token=token, **kw)


def error_code(exc: Exception) -> str:
    """Slack's error code of a failed call ("channel_not_found"); "" when it has none."""
    return str(exc.response.get("error", "") or "") if isinstance(exc, SlackApiError) else ""


def sort_failure(exc: Exception, *, retried: bool = True) -> Failure:
    """A failed Slack call as a delivery failure (`retried`: after slack_sdk's own
    retries, so trying again at once is pointless)."""
    if not isinstance(exc, SlackApiError):
        return classify("Slack", None, error=exc)
    code = error_code(exc)
    raw = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    try:
        retry_after = float(raw[0] if isinstance(raw, list) else raw) if raw else None
    except ValueError:
        retry_after = None
    return classify(
        "Slack",
        exc.response.status_code,
        gone=PERMANENT_ERRORS.get(code),
        code=code,
        retry_after=retry_after,
        retried=retried,
    )


async def upload_chart(
    client: AsyncWebClient, channel_id: str, reply: Reply, thread_ts: str | None
) -> None:
    """A reply's chart as a file (best effort: the text reply is already there)."""
    assert reply.image is not None
    try:
        await client.files_upload_v2(
            channel=channel_id,
            file=str(reply.image),
            filename=reply.image.name,
            title=clip(defang(reply.title or reply.image.stem), 250),
            thread_ts=thread_ts,
        )
    except SLACK_ERRORS as exc:
        logger.warning("Slack: chart upload to %s failed: %s", channel_id, exc)
