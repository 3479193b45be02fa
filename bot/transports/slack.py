"""The Slack transport, on slack-bolt's AsyncApp.

- `/grok <command> <args>` is acknowledged at once; the command then runs through the
  handler registry and its answer goes back through the command's `response_url`
  (errors and ephemeral replies only to the caller). `@grokwatch <command>` works too and
  is answered in a thread.
- Alerts (`send`) are `chat.postMessage` calls, paced per channel, retried on rate limits,
  5xx and network errors by slack_sdk's retry handlers; a channel the bot lost raises a
  permanent `DeliveryError`, which pauses it. Follow-ups of a story go in the thread of
  its first alert.
- Socket Mode when SLACK_APP_TOKEN is set (no public URL), else an aiohttp server whose
  requests bolt verifies (signature, timestamps older than five minutes refused).

`to_command` and `render` are pure: payload → CommandRequest, Reply → message kwargs.
Everything from articles or users is escaped for mrkdwn, so it cannot ping anyone.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import shlex
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
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
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.transports.base import BotCore, DeliveryError
from bot.transports.slack_types import (
    AppMentionEvent,
    BlockActionsPayload,
    MessageKwargs,
    SlackUser,
    SlashCommandPayload,
)
from handlers.context import CommandRequest
from handlers.model import ChannelAddress
from handlers.registry import REGISTRY, ParseError, parse_command
from handlers.reply import Reply, defang

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

# Slack's Block Kit limits
MAX_BLOCKS = 50  # blocks in a message
MAX_SECTION = 3000  # characters of a section's text
MAX_HEADER = 150  # characters of a header
MAX_FIELDS = 10  # fields in a section
MAX_FIELD = 2000  # characters of a field
MAX_BUTTONS = 25  # elements of an actions block
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT = 3000  # characters of a context element
MAX_VIEW_BLOCKS = 100  # blocks in a Home tab view
# Our own budgets: characters of block text per message, and of the fallback text
MESSAGE_BUDGET = 12_000
MAX_FALLBACK = 3000

ACTION_PREFIX = "grok_"
HOME_ACTION = "grokhome_"
ALERT_EVENT = "grokwatch_alert"  # message metadata event type of alerts
HOME_MAX_CHANNELS = 40
USER_TTL = 300.0  # seconds a user's admin flag and locale are cached
GROUP_TTL = 60.0  # seconds a user group's members are cached

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
LOST_THREAD_ERRORS = {"thread_not_found", "invalid_thread_ts", "cannot_reply_to_message"}


# --------------------------------------------------------------------------- escaping
def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(text: str) -> str:
    """Text from articles or users, made inert: no ping, no link, no mention."""
    return escape(defang(text))


def link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>`; the label is escaped, only http(s) URLs link."""
    shown = safe(label).replace("|", "¦") or escape(url)
    if not re.match(r"https?://", url, re.IGNORECASE):
        return shown
    target = escape(url.strip()).replace("|", "%7C").replace(" ", "%20")
    return f"<{target}|{shown}>"


_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
_MD_BULLET = re.compile(r"^(\s*)[-+]\s+", re.MULTILINE)
_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")


def to_mrkdwn(markdown: str) -> str:
    """A Reply's markdown as Slack mrkdwn: escaped and defanged, with **bold**, links
    `[t](url)`, headings and bullets translated."""
    parts: list[str] = []
    pos = 0
    for m in _MD_LINK.finditer(markdown):
        parts.append(safe(markdown[pos : m.start()]))
        parts.append(link(m.group(2), m.group(1)))
        pos = m.end()
    parts.append(safe(markdown[pos:]))
    text = "".join(parts)
    text = _MD_HEADING.sub(r"*\1*", text)
    text = _MD_BULLET.sub(r"\1• ", text)
    text = _MD_BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    return _MD_STRIKE.sub(r"~\1~", text)


def _cut(text: str, limit: int, *, at_break: bool = True) -> int:
    """Where to cut `text` to keep at most `limit` characters: at a line or word break
    when there is one in the second half, never inside a `<link>` or an `&entity;`."""
    if len(text) <= limit:
        return len(text)
    cut = limit
    if at_break:
        for sep in ("\n", " "):
            at = text.rfind(sep, 0, limit + 1)
            if at > limit // 2:
                cut = at
                break
    opened = text.rfind("<", 0, cut)
    if opened > text.rfind(">", 0, cut) and opened > 0:
        cut = opened
    amp = text.rfind("&", 0, cut)
    if amp >= 0 and cut - amp < 6 and ";" not in text[amp:cut]:
        cut = amp
    return max(cut, 1)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters; an ellipsis marks a cut."""
    if len(text) <= limit:
        return text
    return text[: _cut(text, limit - 1, at_break=False)].rstrip() + "…"


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Chunks of at most `limit` characters, cut at breaks (long replies are split,
    never rejected)."""
    chunks = []
    rest = text
    while len(rest) > limit:
        at = _cut(rest, limit)
        chunk = rest[:at].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[at:].lstrip("\n ")
    if rest.strip():
        chunks.append(rest)
    return chunks


# --------------------------------------------------------------------------- rendering
def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare names or URLs into mentions or links
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(defang(text).strip() or "·", limit), "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _sections(text: str) -> list[dict[str, Any]]:
    return [_section(chunk) for chunk in split_text(text, MAX_SECTION)]


def _packed(entries: list[str]) -> list[dict[str, Any]]:
    """Entries (already mrkdwn) packed into as few sections as the limit allows."""
    blocks: list[dict[str, Any]] = []
    buf = ""
    for entry in entries:
        if buf and len(buf) + 2 + len(entry) > MAX_SECTION:
            blocks.extend(_sections(buf))
            buf = ""
        buf = f"{buf}\n\n{entry}" if buf else entry
    if buf:
        blocks.extend(_sections(buf))
    return blocks


def _field_text(name: str, value: str, limit: int) -> str:
    return clip(f"*{safe(name)}*\n{to_mrkdwn(value)}" if name else to_mrkdwn(value), limit)


def _field_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Inline fields as section fields (10 a section); the others as packed text."""
    blocks: list[dict[str, Any]] = []
    inline: list[dict[str, Any]] = []
    wide: list[str] = []

    def flush() -> None:
        if inline:
            for i in range(0, len(inline), MAX_FIELDS):
                blocks.append({"type": "section", "fields": inline[i : i + MAX_FIELDS]})
            inline.clear()
        if wide:
            blocks.extend(_packed(wide))
            wide.clear()

    for f in reply.fields:
        if f.inline:
            if wide:
                flush()
            inline.append(_mrkdwn(_field_text(f.name, f.value, MAX_FIELD)))
        else:
            if inline:
                flush()
            wide.append(_field_text(f.name, f.value, MAX_SECTION))
    flush()
    return blocks


def _citation_blocks(reply: Reply) -> list[dict[str, Any]]:
    lines = []
    for c in reply.citations:
        title = clip(c.title, 300)
        line = f"[{c.n}] " + (link(c.url, title) if c.url else safe(title))
        if c.source:
            line += f" — {safe(clip(c.source, 200))}"
        lines.append(line)
    return _packed(["\n".join(lines)]) if lines else []


def action_id(action: str, index: int) -> str:
    """Unique within its block: `grok_untrack:0`, `grok_untrack:1`, ..."""
    return f"{ACTION_PREFIX}{action}:{index}"


def _button(label: str, action: str, value: str, style: str) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(label, MAX_BUTTON_TEXT),
        "action_id": action,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style in ("primary", "danger"):
        button["style"] = style
    return button


def _button_blocks(reply: Reply) -> list[dict[str, Any]]:
    buttons = [
        _button(b.label, action_id(b.action, i), b.value, b.style)
        for i, b in enumerate(reply.buttons)
    ]
    return [
        {"type": "actions", "elements": buttons[i : i + MAX_BUTTONS]}
        for i in range(0, len(buttons), MAX_BUTTONS)
    ]


_ICONS = {"alert": "🔔 ", "error": "⚠️ ", "info": ""}


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Every block of a Reply, each within Slack's limits (not yet split in messages)."""
    icon = _ICONS.get(reply.kind, "")
    blocks: list[dict[str, Any]] = []
    if reply.title:
        if reply.url and re.match(r"https?://", reply.url, re.IGNORECASE):
            label = clip(reply.title, MAX_SECTION - len(reply.url) - 40)
            blocks.append(_section(f"{icon}*{link(reply.url, label)}*"))
        else:
            blocks.append({"type": "header", "text": _plain(icon + reply.title, MAX_HEADER)})
    if reply.text:
        lead = icon if not reply.title and icon else ""
        blocks.extend(_sections(lead + to_mrkdwn(reply.text)))
    blocks.extend(_field_blocks(reply))
    blocks.extend(_citation_blocks(reply))
    blocks.extend(_button_blocks(reply))
    if reply.footer:
        blocks.append(
            {"type": "context", "elements": [_mrkdwn(clip(to_mrkdwn(reply.footer), MAX_CONTEXT))]}
        )
    if not blocks:
        blocks.append(_section(icon + "(nothing to show)"))
    return blocks


def _block_chars(block: dict[str, Any]) -> int:
    return len(json.dumps(block, ensure_ascii=False))


def fallback_text(reply: Reply) -> str:
    """The notification text of a message (shown where blocks are not)."""
    icon = _ICONS.get(reply.kind, "")
    head = safe(reply.title or "")
    body = to_mrkdwn(reply.text) if reply.text else ""
    text = f"{icon}{head}: {body}" if head and body else icon + (head or body or "grokwatch")
    return clip(text, MAX_FALLBACK)


def render(reply: Reply) -> list[MessageKwargs]:
    """A Reply as one or more `chat.postMessage` kwargs: blocks within Slack's limits,
    split across messages when a reply is long, and a fallback text."""
    blocks = reply_blocks(reply)
    groups: list[list[dict[str, Any]]] = [[]]
    used = 0
    for block in blocks:
        size = _block_chars(block)
        if groups[-1] and (len(groups[-1]) >= MAX_BLOCKS or used + size > MESSAGE_BUDGET):
            groups.append([])
            used = 0
        groups[-1].append(block)
        used += size
    first = fallback_text(reply)
    messages: list[MessageKwargs] = []
    for i, group in enumerate(groups):
        text = (
            first
            if i == 0
            else clip(f"{safe(reply.title or 'grokwatch')} ({i + 1}/{len(groups)})", MAX_FALLBACK)
        )
        messages.append(
            MessageKwargs(text=text, blocks=group, unfurl_links=False, unfurl_media=False)
        )
    return messages


def home_view(sections: list[tuple[str, Reply]], *, notice: str | None = None) -> dict[str, Any]:
    """The App Home tab: for each channel (id, its `/grok tracked` reply) what it tracks,
    with an Untrack button per entity (value: channel and entity)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("What your channels track", MAX_HEADER)}
    ]
    if notice:
        blocks.append(_section(to_mrkdwn(notice)))
    if not sections:
        blocks.append(
            _section(
                "None of your channels tracks anything yet. In a channel, type "
                "`/grok track Elon Musk` (or `/grok help`)."
            )
        )
    for channel_id, reply in sections:
        if len(blocks) + 4 > MAX_VIEW_BLOCKS:
            blocks.append(_section("… and more channels; `/grok tracked` in each lists them."))
            break
        blocks.append({"type": "divider"})
        blocks.append(_section(f"*<#{escape(channel_id)}>*"))
        blocks.extend(_field_blocks(reply)[:2])
        buttons = [
            _button(
                b.label,
                f"{HOME_ACTION}{b.action}:{i}",
                json.dumps({"c": channel_id, "v": b.value}),
                b.style,
            )
            for i, b in enumerate(reply.buttons[:MAX_BUTTONS])
        ]
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
        if reply.footer:
            blocks.append(
                {
                    "type": "context",
                    "elements": [_mrkdwn(clip(to_mrkdwn(reply.footer), MAX_CONTEXT))],
                }
            )
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


# --------------------------------------------------------------------------- payloads
def channel_ref(team_id: str, channel_id: str) -> ChannelAddress:
    return ChannelAddress("slack", channel_id, team_id)


def split_channel(target: str) -> tuple[str, str]:
    """ "slack:T1:C1" → ("T1", "C1"); a permanent DeliveryError when it is not one."""
    address = ChannelAddress.try_parse(target)
    if address is None or address.platform != "slack":
        raise DeliveryError(f"{target!r} is not a Slack channel id", permanent=True)
    return address.scope, address.channel


def lang_of(locale: str | None, default: str = "en") -> str:
    """The bot's language for a Slack locale ("fr-FR" → "fr"); `default` when unknown."""
    if not locale:
        return default
    return "fr" if locale.lower().startswith("fr") else "en"


def to_command(payload: SlashCommandPayload, *, lang: str = "en") -> CommandRequest:
    """A slash command payload as a CommandRequest (can_manage is left to the caller).
    Raises ParseError with the text to show."""
    request = parse_command("/grok " + payload.get("text", ""), lang=lang)
    request.raw = f"{payload.get('command', '/grok')} {payload.get('text', '')}".strip()
    request.channel = channel_ref(payload["team_id"], payload["channel_id"])
    request.user = f"slack:{payload['user_id']}"
    return request


_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def mention_to_command(event: AppMentionEvent, team_id: str, *, lang: str = "en") -> CommandRequest:
    """`<@UBOT> story` → the `story` command in the event's channel."""
    line = _LEADING_MENTION.sub("", event.get("text", ""), count=1)
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    request = parse_command("/grok " + line.strip(), lang=lang)
    request.channel = channel_ref(team_id, event["channel"])
    request.user = f"slack:{event['user']}"
    return request


def button_command(
    action: str, value: str, channel: ChannelAddress, user: str, lang: str
) -> CommandRequest:
    """A pressed button: the command `action` with `value` as its argument."""
    request = parse_command(f"/grok {action} {shlex.quote(value)}", lang=lang)
    request.channel = channel
    request.user = user
    return request


def delivery_key(target: str, reply: Reply) -> str:
    """A stable key of one alert to one channel (the same alert re-rendered after a
    crash gives the same key)."""
    digest = hashlib.sha256()
    for part in (target, reply.title or "", reply.url or "", reply.text, reply.footer or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


# --------------------------------------------------------------------------- transport
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


@dataclass(slots=True)
class _UserFacts:
    admin: bool
    lang: str
    bot: bool
    until: float


def _delivery_error(exc: Exception, what: str) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error", "") or "")
        status = exc.response.status_code
        if code in PERMANENT_ERRORS:
            return DeliveryError(PERMANENT_ERRORS[code], permanent=True)
        if status == 429:
            raw = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            after = float(raw[0] if isinstance(raw, list) else raw or 1)
            return DeliveryError(f"{what}: rate limited by Slack", retry_after=after)
        return DeliveryError(f"{what}: Slack answered {code or status}")
    return DeliveryError(f"{what}: {type(exc).__name__}: {exc}")


class SlackTransport:
    """/grok, mentions, buttons and the Home tab in; replies and alerts out."""

    name = "slack"

    def __init__(self, settings: Settings, core: BotCore | None = None) -> None:
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.settings = settings
        self._core = core
        self.app_token = (
            settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        )
        secret = (
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else None
        )
        if not self.app_token and not secret:
            raise ValueError("set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)")
        retry: list[AsyncRetryHandler] = [
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            _ServerErrorRetryHandler(max_retry_count=3),
        ]
        client_kw: dict[str, Any] = {"retry_handlers": retry, "timeout": 30}
        if settings.slack_api_base:
            client_kw["base_url"] = settings.slack_api_base.rstrip("/") + "/"
        self.client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), **client_kw)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret,
            request_verification_enabled=secret is not None,
            process_before_response=False,
        )
        self.threads = settings.slack_threads
        self.admin_group = settings.slack_admin_group
        self.min_interval = settings.slack_min_interval
        self._users: dict[str, _UserFacts] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_post: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._socket: Any = None  # AsyncSocketModeHandler
        self.port: int | None = None
        self._register()

    # ----------------------------------------------------------------- wiring
    @property
    def core(self) -> BotCore:
        if self._core is None:
            raise RuntimeError("SlackTransport.bind(core) was not called")
        return self._core

    def bind(self, core: BotCore) -> None:
        self._core = core

    def _register(self) -> None:
        self.app.command(re.compile(r"^/grok"))(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.action(re.compile(rf"^{ACTION_PREFIX}[a-z_-]+(:\d+)?$"))(self._on_action)
        self.app.action(re.compile(rf"^{HOME_ACTION}[a-z_-]+(:\d+)?$"))(self._on_home_action)

    async def start(self) -> None:
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            logger.info("Slack: connected in Socket Mode")
            return
        web_app = web.Application()
        web_app.router.add_post(self.settings.slack_http_path, self._http_events)
        web_app.router.add_get("/healthz", self._http_health)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, self.settings.slack_http_host, self.settings.slack_http_port
        )
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.settings.slack_http_port
        logger.info(
            "Slack: HTTP mode on %s:%s%s",
            self.settings.slack_http_host,
            self.port,
            self.settings.slack_http_path,
        )

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _http_events(self, request: web.Request) -> web.Response:
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def _http_health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def _background(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                logger.exception("Slack: background work failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -------------------------------------------------------------- who asks
    async def _user(self, user_id: str) -> _UserFacts:
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached and cached.until > now:
            return cached
        try:
            resp = await self.client.users_info(user=user_id, include_locale=True)
            user = cast(SlackUser, resp.get("user") or {})
            facts = _UserFacts(
                admin=bool(
                    user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
                ),
                lang=lang_of(user.get("locale"), self.settings.language),
                bot=bool(user.get("is_bot")),
                until=now + USER_TTL,
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning(
                "Slack: users.info for %s failed (%s); treated as a member", user_id, exc
            )
            return _UserFacts(admin=False, lang=self.settings.language, bot=False, until=0.0)
        self._users[user_id] = facts
        return facts

    async def _group_members(self) -> frozenset[str]:
        handle = (self.admin_group or "").lstrip("@")
        now = time.monotonic()
        cached = self._groups.get(handle)
        if cached and cached[0] > now:
            return cached[1]
        members: frozenset[str] = frozenset()
        try:
            groups = await self.client.usergroups_list()
            group_id = next(
                (g["id"] for g in groups.get("usergroups") or [] if g.get("handle") == handle),
                None,
            )
            if group_id is None:
                logger.warning(
                    "Slack: user group @%s not found (GROKWATCH_SLACK_ADMIN_GROUP)", handle
                )
            else:
                resp = await self.client.usergroups_users_list(usergroup=group_id)
                members = frozenset(resp.get("users") or [])
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("Slack: reading user group @%s failed (%s)", handle, exc)
            return members
        self._groups[handle] = (now + GROUP_TTL, members)
        return members

    async def may_manage(self, user_id: str) -> bool:
        """Workspace admins and owners, and members of the configured user group."""
        if (await self._user(user_id)).admin:
            return True
        if self.admin_group:
            return user_id in await self._group_members()
        return False

    async def _prepare(self, request: CommandRequest, user_id: str) -> None:
        spec = REGISTRY.get(request.name)
        request.can_manage = bool(
            spec and spec.needs_manage(request.args) and await self.may_manage(user_id)
        )

    # -------------------------------------------------------------- listeners
    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # the 3-second rule: acknowledge before any Redis or NLP work
        payload = cast(SlashCommandPayload, body)
        facts = await self._user(payload["user_id"])
        try:
            request = to_command(payload, lang=facts.lang)
        except ParseError as exc:
            await self._respond(
                respond, Reply.error(str(exc)), payload["channel_id"], payload["user_id"]
            )
            return
        await self._prepare(request, payload["user_id"])
        reply = await self.core.handle(request)
        await self._respond(respond, reply, payload["channel_id"], payload["user_id"])
        if reply.image:
            await self._upload(payload["channel_id"], reply, None)

    async def _respond(
        self, respond: AsyncRespond, reply: Reply, channel_id: str, user_id: str
    ) -> None:
        """A command's answer through its response_url (works in any channel, DMs too);
        without one, through chat.postMessage / chat.postEphemeral."""
        private = reply.ephemeral or reply.kind == "error"
        messages = render(reply)
        if respond.response_url is None or len(messages) > 5:  # a response_url takes five
            await self._post_answer(messages, channel_id, user_id, private, None)
            return
        for message in messages:
            result = await respond(
                text=message["text"],
                blocks=message["blocks"],
                response_type="ephemeral" if private else "in_channel",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )
            if result.status_code != 200:
                logger.warning("Slack: response_url answered %s", result.status_code)
                return

    async def _post_answer(
        self,
        messages: list[MessageKwargs],
        channel_id: str,
        user_id: str,
        private: bool,
        thread: str | None,
    ) -> None:
        for message in messages:
            try:
                if private:
                    await self.client.chat_postEphemeral(
                        channel=channel_id, user=user_id, thread_ts=thread, **message
                    )
                else:
                    await self.client.chat_postMessage(
                        channel=channel_id, thread_ts=thread, **message
                    )
            except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
                logger.warning("Slack: answer in %s failed: %s", channel_id, exc)
                return

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        mention = cast(AppMentionEvent, event)
        if mention.get("bot_id"):
            return
        team = str(body.get("team_id") or mention.get("team") or "")
        thread = mention.get("thread_ts") or mention["ts"]
        self._background(self._answer_mention(mention, team, thread))

    async def _answer_mention(self, mention: AppMentionEvent, team: str, thread: str) -> None:
        facts = await self._user(mention["user"])
        try:
            request = mention_to_command(mention, team, lang=facts.lang)
        except ParseError as exc:
            reply = Reply.error(str(exc))
        else:
            await self._prepare(request, mention["user"])
            reply = await self.core.handle(request)
        channel = mention["channel"]
        private = reply.ephemeral or reply.kind == "error"
        await self._post_answer(render(reply), channel, mention["user"], private, thread)
        if reply.image:
            await self._upload(channel, reply, thread)

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        payload = cast(BlockActionsPayload, body)
        action = payload["actions"][0]
        name = action["action_id"].removeprefix(ACTION_PREFIX).split(":", 1)[0]
        channel, container = payload.get("channel"), payload.get("container")
        channel_id = channel["id"] if channel else (container or {}).get("channel_id", "")
        user_id = payload["user"]["id"]
        facts = await self._user(user_id)
        try:
            request = button_command(
                name,
                action.get("value", ""),
                channel_ref(payload["team"]["id"], channel_id),
                f"slack:{user_id}",
                facts.lang,
            )
        except ParseError as exc:
            reply = Reply.error(str(exc))
        else:
            await self._prepare(request, user_id)
            reply = await self.core.handle(request)
        reply.ephemeral = True  # the result of a button is for whoever pressed it
        await self._respond(respond, reply, channel_id, user_id)

    async def _on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        self._background(self.publish_home(str(body.get("team_id", "")), str(event["user"])))

    async def _on_home_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        payload = cast(BlockActionsPayload, body)
        action = payload["actions"][0]
        name = action["action_id"].removeprefix(HOME_ACTION).split(":", 1)[0]
        team, user_id = payload["team"]["id"], payload["user"]["id"]
        try:
            target = json.loads(action.get("value", "{}"))
            channel_id, value = str(target["c"]), str(target["v"])
        except (ValueError, KeyError, TypeError):
            logger.warning("Slack: malformed Home button value ignored")
            return
        facts = await self._user(user_id)
        try:
            request = button_command(
                name, value, channel_ref(team, channel_id), f"slack:{user_id}", facts.lang
            )
        except ParseError as exc:
            notice = str(exc)
        else:
            await self._prepare(request, user_id)
            reply = await self.core.handle(request)
            notice = reply.text or reply.title or ""
        await self.publish_home(team, user_id, notice=notice)

    async def publish_home(self, team: str, user_id: str, *, notice: str | None = None) -> None:
        """The Home tab of `user_id`: what each of their channels tracks (bounded)."""
        facts = await self._user(user_id)
        try:
            resp = await self.client.users_conversations(
                user=user_id,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
            )
            channels = [str(c["id"]) for c in resp.get("channels") or []][:HOME_MAX_CHANNELS]
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            logger.warning("Slack: users.conversations failed: %s", exc)
            channels = []
        sections: list[tuple[str, Reply]] = []
        for channel_id in channels:
            reply = await self.core.handle(
                CommandRequest(
                    name="tracked",
                    raw="/grok tracked",
                    channel=channel_ref(team, channel_id),
                    user=f"slack:{user_id}",
                    lang=facts.lang,
                )
            )
            if reply.fields:
                sections.append((channel_id, reply))
        try:
            await self.client.views_publish(
                user_id=user_id, view=home_view(sections, notice=notice)
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            logger.warning("Slack: views.publish for the Home tab failed: %s", exc)

    # ---------------------------------------------------------------- alerts
    @asynccontextmanager
    async def _paced(self, channel_id: str) -> AsyncIterator[None]:
        """One post at a time per channel, at least `min_interval` seconds apart."""
        lock = self._locks.setdefault(channel_id, asyncio.Lock())
        async with lock:
            wait = self._last_post.get(channel_id, -1e9) + self.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_post[channel_id] = time.monotonic()

    async def send(self, target: str, reply: Reply) -> None:
        """Post an alert; raise DeliveryError (permanent when the channel is gone).

        Idempotent across a crash between the post and the pipeline's record of it: the
        first message carries the alert's key in its metadata, and an expiring intent mark
        is kept (through `core.mark_sending`) before posting; when a mark is found on a
        retry, the channel's recent history is searched for the key before posting again.
        """
        _, channel_id = split_channel(target)
        messages = render(reply)
        key = delivery_key(target, reply)
        mark = f"gw-sent:{key}"
        async with self._paced(channel_id):
            thread_ts: str | None = None
            if reply.thread_key and self.threads:
                thread_ts = await self.core.thread_ref(target, reply.thread_key)
            previous = await self.core.mark_sending(
                target, mark, json.dumps({"at": time.time(), "thread": thread_ts})
            )
            if previous is not None and await self._already_posted(channel_id, key, previous):
                logger.info("Slack: alert %s was posted before a crash; not posted again", key)
                return
            first_ts: str | None = None
            for i, message in enumerate(messages):
                kwargs: dict[str, Any] = dict(message)
                if thread_ts:
                    kwargs["thread_ts"] = thread_ts
                if i == 0:
                    kwargs["metadata"] = {
                        "event_type": ALERT_EVENT,
                        "event_payload": {"key": key},
                    }
                try:
                    resp = await self._post_alert(channel_id, kwargs)
                except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
                    raise _delivery_error(exc, f"chat.postMessage to {channel_id}") from None
                if first_ts is None:
                    first_ts = str(resp.get("ts") or "") or None
            if reply.thread_key and self.threads and thread_ts is None and first_ts:
                await self.core.set_thread_ref(target, reply.thread_key, first_ts)
            if reply.image:
                await self._upload(channel_id, reply, thread_ts or first_ts)

    async def _post_alert(self, channel_id: str, kwargs: dict[str, Any]) -> AsyncSlackResponse:
        try:
            return await self.client.chat_postMessage(channel=channel_id, **kwargs)
        except SlackApiError as exc:
            # the story's first alert was deleted: post at the top level instead
            if "thread_ts" in kwargs and exc.response.get("error") in LOST_THREAD_ERRORS:
                logger.info(
                    "Slack: thread %s in %s is gone; posting at the top level",
                    kwargs["thread_ts"],
                    channel_id,
                )
                return await self.client.chat_postMessage(
                    channel=channel_id, **{k: v for k, v in kwargs.items() if k != "thread_ts"}
                )
            raise

    async def _already_posted(self, channel_id: str, key: str, mark: str) -> bool:
        """Is a message with this alert key in the channel (or the thread it went to)?"""
        try:
            info = json.loads(mark)
            oldest = f"{float(info.get('at', 0)) - 60:.6f}"
            thread = info.get("thread")
            resp: AsyncSlackResponse
            if thread:
                resp = await self.client.conversations_replies(
                    channel=channel_id,
                    ts=thread,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                )
            else:
                resp = await self.client.conversations_history(
                    channel=channel_id, oldest=oldest, include_all_metadata=True, limit=200
                )
        except (ValueError, TypeError, AttributeError):
            return False
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            # e.g. missing channels:history: post again (at least once beats never)
            logger.warning("Slack: could not check %s for an earlier post (%s)", channel_id, exc)
            return False
        for msg in resp.get("messages") or []:
            meta = msg.get("metadata") or {}
            if (
                meta.get("event_type") == ALERT_EVENT
                and (meta.get("event_payload") or {}).get("key") == key
            ):
                return True
        return False

    async def _upload(self, channel_id: str, reply: Reply, thread_ts: str | None) -> None:
        """Charts go up as files (best effort: the text reply is already there)."""
        assert reply.image is not None
        try:
            await self.client.files_upload_v2(
                channel=channel_id,
                file=str(reply.image),
                filename=reply.image.name,
                title=clip(defang(reply.title or reply.image.stem), 250),
                thread_ts=thread_ts,
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            logger.warning("Slack: chart upload to %s failed: %s", channel_id, exc)


def create(settings: Settings, core: BotCore) -> SlackTransport:
    """The Slack transport for `grokwatch run` (tokens from the settings)."""
    return SlackTransport(settings, core)
