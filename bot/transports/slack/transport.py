"""The Slack transport, on slack-bolt's AsyncApp: the app's lifecycle and the I/O.

- In: Socket Mode when SLACK_APP_TOKEN is set (no public URL), else an aiohttp server
  whose requests bolt verifies (signature; timestamps older than five minutes refused).
  `/grok <command> <args>` and button presses are acknowledged at once (the 3-second
  rule); the command then runs through the core and its answer goes back through the
  command's `response_url` (errors and ephemeral replies only to the caller).
  `@grokwatch <command>` is answered in a thread; the Home tab is `home`. `connected`
  says whether that way in is up now (`/healthz` reads it); a send-only transport
  (`create(..., receive=False)`, for `grokwatch worker --stage deliver`) has none.
- Workspaces: one (SLACK_BOT_TOKEN), or as many as install the app (OAuth mode, when
  SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set): bolt serves the install flow at
  GROKWATCH_SLACK_INSTALL_PATH and GROKWATCH_SLACK_REDIRECT_PATH on the HTTP server (run
  in Socket Mode too, for those two), keeps each installation in Redis (`oauth`), and
  authorizes every request with its workspace's token, which the handlers use through
  the request's `client`. `app_uninstalled` and a revoked bot token remove the
  installation and what the workspace set up (`core.forget_tenant`).
- Out: alerts (`send`) are `chat.postMessage` calls, paced per channel, retried on rate
  limits, 5xx and network errors by slack_sdk's retry handlers; a channel the bot lost
  raises a permanent `DeliveryError`, which pauses it. Follow-ups of a story go in the
  thread of its first alert. Each alert carries its key in the message metadata, so a
  retry after a crash finds it instead of posting it twice.

Only I/O lives here: Block Kit is `render`, payload → request is `commands`, who may
manage is `users`, the Web API client and its errors are `api`, how failures are sorted
and paced is `bot.transports.delivery`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.store.installations import TokenCipher
from bot.transports.base import BotCore, DeliveryError
from bot.transports.delivery import Pacer, stable_key, target_address
from bot.transports.slack.api import (
    LOST_THREAD_ERRORS,
    SLACK_ERRORS,
    error_code,
    sort_failure,
    upload_chart,
    web_client,
)
from bot.transports.slack.commands import (
    Press,
    mention_to_command,
    message_press,
    press_to_command,
    to_command,
)
from bot.transports.slack.home import HOME_ACTION, home_press, publish_home
from bot.transports.slack.oauth import Workspaces
from bot.transports.slack.render import ACTION_PREFIX, render
from bot.transports.slack.types import (
    AppMentionEvent,
    BlockActionsPayload,
    MessageKwargs,
    SlashCommandPayload,
)
from bot.transports.slack.users import People, bot_missing
from handlers.context import CommandRequest
from handlers.registry import REGISTRY, ParseError
from handlers.reply import Reply

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

ALERT_EVENT = "grokwatch_alert"  # message metadata event type of alerts
RESPONSE_URL_MAX = 5  # messages a response_url takes


def delivery_key(target: str, reply: Reply) -> str:
    """A stable key of one alert to one channel (the same alert re-rendered after a
    crash gives the same key)."""
    return stable_key(target, reply.title or "", reply.url or "", reply.text, reply.footer or "")


class SlackTransport:
    """/grok, mentions, buttons and the Home tab in; replies and alerts out."""

    name = "slack"

    def __init__(self, settings: Settings, core: BotCore, *, receive: bool = True) -> None:
        self.oauth: Workspaces | None = None  # OAuth mode: the installed workspaces
        if settings.slack_oauth:
            keys = [k.get_secret_value() for k in settings.slack_token_key]
            self.oauth = Workspaces(core.installations(TokenCipher(keys)))
            if settings.slack_bot_token is not None:
                logger.warning("Slack: OAuth mode; SLACK_BOT_TOKEN is not used")
        elif settings.slack_bot_token is None:
            raise ValueError(
                "set SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (the OAuth install flow, many workspaces)"
            )
        self.settings = settings
        self.core = core
        self.app_token = (
            settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        )
        secret = (
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else None
        )
        self.receive = receive
        if receive and not self.app_token and not secret:
            raise ValueError("set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)")
        # OAuth mode: no token here (bolt sets each request's client; alerts: _client_for)
        self.client = web_client(settings)
        self.poster = web_client(settings, retries=False)  # alerts: the engine retries
        oauth: dict[str, Any] = {}
        if self.oauth is not None:
            oauth["oauth_settings"] = self.oauth.oauth_settings(settings)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret,
            request_verification_enabled=secret is not None,
            process_before_response=False,
            **oauth,
        )
        self.threads = settings.slack_threads
        self._people: dict[str, People] = {}  # per workspace
        self.pacer = Pacer(settings.slack_min_interval)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._socket: Any = None  # AsyncSocketModeHandler
        self.port: int | None = None
        self.app.command(re.compile(r"^/grok"))(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.action(re.compile(rf"^{ACTION_PREFIX}[a-z_-]+(:\d+)?$"))(self._on_action)
        self.app.action(re.compile(rf"^{HOME_ACTION}[a-z_-]+(:\d+)?$"))(self._on_home_action)
        if self.oauth is not None:
            self.app.use(self._note_workspace)
            self.app.event("app_uninstalled")(self._on_uninstalled)
            self.app.event("tokens_revoked")(self._on_tokens_revoked)

    # -------------------------------------------------------------- lifecycle
    @property
    def connected(self) -> bool:
        """Socket Mode: the socket is open; HTTP mode: the endpoint serves; send-only:
        always (nothing to receive on)."""
        if not self.receive:
            return True
        if self._socket is not None:
            client = self._socket.client
            session = client.current_session
            return bool(not client.closed and session is not None and not session.closed)
        return self._runner is not None

    async def start(self) -> None:
        if not self.receive:
            return
        if self.oauth is not None:  # every record opens, and is sealed with the new key
            await self.oauth.repo.reencrypt()
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            logger.info("Slack: connected in Socket Mode")
            if self.oauth is None:
                return
        web_app = web.Application()
        if not self.app_token:
            web_app.router.add_post(self.settings.slack_http_path, self._http_events)
        if self.oauth is not None:
            web_app.router.add_get(self.settings.slack_install_path, self._http_install)
            web_app.router.add_get(self.settings.slack_redirect_path, self._http_redirect)
        web_app.router.add_get("/healthz", self._http_health)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        host, port = self.settings.slack_http_host, self.settings.slack_http_port
        await web.TCPSite(self._runner, host, port).start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else port
        logger.info("Slack: HTTP mode on %s:%s%s", host, self.port, self.settings.slack_http_path)

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
        """Every Slack request in HTTP mode; bolt checks its signature and timestamp (a
        timestamp that is not a number, or a body that is not UTF-8, is refused here: the
        signature check would raise on it)."""
        stamp = request.headers.get("X-Slack-Request-Timestamp", "0").strip()
        if not (stamp.isascii() and stamp.isdigit()):
            return web.Response(status=401, text="invalid X-Slack-Request-Timestamp")
        try:
            bolt_request = await to_bolt_request(request)
        except (UnicodeDecodeError, LookupError):
            return web.Response(status=400, text="the body is not UTF-8 text")
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def _http_health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _http_install(self, request: web.Request) -> web.Response:
        """OAuth mode: a redirect to Slack's authorize page, with a new state."""
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def _http_redirect(self, request: web.Request) -> web.Response:
        """OAuth mode: Slack sends the installer back with a code and the state; bolt
        checks the state (this browser's, issued here, unused, fresh), exchanges the code
        (`oauth.v2.access`) and saves the installation."""
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    # ---------------------------------------------------------------- installs
    async def _note_workspace(
        self, context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        assert self.oauth is not None
        org = bool(context.is_enterprise_install)
        await self.oauth.seen(context.enterprise_id, context.team_id, org)
        return await next()

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        assert self.oauth is not None
        team = None if context.is_enterprise_install else context.team_id
        for gone in await self.oauth.uninstalled(context.enterprise_id, team):
            self._people.pop(gone, None)
            await self.core.forget_tenant(f"slack:{gone}")
        logger.warning("Slack: uninstalled from %s", team or context.enterprise_id)

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A revoked bot token is an uninstall for us (a bot app: no user tokens)."""
        assert self.oauth is not None
        if (event.get("tokens") or {}).get("bot"):
            await self._on_uninstalled(context)

    async def _client_for(self, team: str, *, retries: bool = False) -> AsyncWebClient:
        """The client alerts to workspace `team` go out with (`retries=False`: posting;
        True: reading and uploads): its installation's bot token in OAuth mode, raising
        a permanent DeliveryError (the channel pauses) when it has none."""
        if self.oauth is None:
            return self.client if retries else self.poster
        token = await self.oauth.bot_token(team)
        if token is None:
            raise DeliveryError(
                f"grokwatch is not installed in the Slack workspace {team} (any more): "
                f"install it there again ({self.settings.slack_install_path}), then "
                "/grok resume",
                permanent=True,
            )
        return web_client(self.settings, retries=retries, token=token)

    def _people_of(self, team: str, client: AsyncWebClient) -> People:
        """The cached user lookups of workspace `team`, with this request's client."""
        people = self._people.get(team)
        if people is None:
            people = self._people[team] = People(
                client,
                default_lang=self.settings.language,
                admin_group=self.settings.slack_admin_group,
            )
        people.client = client
        return people

    def _background(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                logger.exception("Slack: background work failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -------------------------------------------------------------- commands
    # Every handler works with the request's `client` (bolt's, with the token of the
    # request's workspace: SLACK_BOT_TOKEN, or its installation's in OAuth mode).
    async def _run(
        self,
        user_id: str,
        build: Callable[[str], CommandRequest],
        client: AsyncWebClient,
        team: str,
    ) -> Reply:
        """Build the request with the user's locale as the language hint (a ParseError is
        the reply), set whether they may manage, run it through the core."""
        people = self._people_of(team, client)
        facts = await people.facts(user_id)
        try:
            request = build(facts.lang)
        except ParseError as exc:
            return Reply.error(str(exc))
        spec = REGISTRY.get(request.name)
        request.can_manage = bool(
            spec and spec.needs_manage(request.args) and await people.may_manage(user_id)
        )
        if request.name == "track" and request.can_manage:  # can the bot post there?
            request.bot_missing = await bot_missing(client, request.channel.channel)
        return await self.core.handle(request)

    async def _on_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()  # the 3-second rule: acknowledge before any Redis or NLP work
        payload = cast(SlashCommandPayload, body)
        channel_id, user_id = payload["channel_id"], payload["user_id"]
        team = str(payload.get("team_id") or "")
        reply = await self._run(user_id, lambda lang: to_command(payload, lang=lang), client, team)
        await self._respond(respond, reply, channel_id, user_id, client)
        if reply.image:
            await upload_chart(client, channel_id, reply, None)

    async def _on_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        mention = cast(AppMentionEvent, event)
        if mention.get("bot_id"):
            return
        team = str(body.get("team_id") or mention.get("team") or "")
        thread = mention.get("thread_ts") or mention["ts"]
        self._background(self._answer_mention(mention, team, thread, client))

    async def _answer_mention(
        self, mention: AppMentionEvent, team: str, thread: str, client: AsyncWebClient
    ) -> None:
        user_id, channel_id = mention["user"], mention["channel"]
        reply = await self._run(
            user_id, lambda lang: mention_to_command(mention, team, lang=lang), client, team
        )
        private = reply.ephemeral or reply.kind == "error"
        await self._post_answer(render(reply), channel_id, user_id, private, thread, client)
        if reply.image:
            await upload_chart(client, channel_id, reply, thread)

    async def _on_action(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        press = message_press(cast(BlockActionsPayload, body))
        reply = await self._press(press, client)
        reply.ephemeral = True  # the result of a button is for whoever pressed it
        await self._respond(respond, reply, press.channel.channel, press.user_id, client)

    async def _on_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        team, user_id = str(body.get("team_id", "")), str(event["user"])
        self._background(self._publish_home(team, user_id, client))

    async def _on_home_action(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        press = home_press(cast(BlockActionsPayload, body))
        if press is None:
            return
        reply = await self._press(press, client)
        notice = reply.text or reply.title or ""
        await self._publish_home(press.channel.scope, press.user_id, client, notice=notice)

    async def _press(self, press: Press, client: AsyncWebClient) -> Reply:
        return await self._run(
            press.user_id,
            lambda lang: press_to_command(press, lang=lang),
            client,
            press.channel.scope,
        )

    async def _publish_home(
        self, team: str, user_id: str, client: AsyncWebClient, *, notice: str | None = None
    ) -> None:
        facts = await self._people_of(team, client).facts(user_id)
        await publish_home(client, self.core, team, user_id, lang=facts.lang, notice=notice)

    # --------------------------------------------------------------- answers
    async def _respond(
        self,
        respond: AsyncRespond,
        reply: Reply,
        channel_id: str,
        user_id: str,
        client: AsyncWebClient,
    ) -> None:
        """A command's answer through its response_url (works in any channel, DMs too);
        without one, through chat.postMessage / chat.postEphemeral."""
        private = reply.ephemeral or reply.kind == "error"
        messages = render(reply)
        if respond.response_url is None or len(messages) > RESPONSE_URL_MAX:
            await self._post_answer(messages, channel_id, user_id, private, None, client)
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
        client: AsyncWebClient,
    ) -> None:
        for message in messages:
            try:
                if private:
                    await client.chat_postEphemeral(
                        channel=channel_id, user=user_id, thread_ts=thread, **message
                    )
                else:
                    await client.chat_postMessage(channel=channel_id, thread_ts=thread, **message)
            except SLACK_ERRORS as exc:
                logger.warning("Slack: answer in %s failed: %s", channel_id, exc)
                return

    # ---------------------------------------------------------------- alerts
    async def send(self, target: str, reply: Reply) -> None:
        """Post an alert; raise DeliveryError (permanent when the channel is gone).

        Idempotent across a crash between the post and the pipeline's record of it: the
        first message carries the alert's key in its metadata, and an expiring intent mark
        is kept (through `core.mark_sending`) before posting; when a mark is found on a
        retry, the channel's recent history is searched for the key before posting again.
        """
        address = target_address(target, "slack")
        channel_id = address.channel
        poster = await self._client_for(address.scope)  # the workspace's token
        reader = await self._client_for(address.scope, retries=True)
        messages = render(reply)
        key = delivery_key(target, reply)
        threaded = bool(reply.thread_key and self.threads)
        async with self.pacer.turn(channel_id):
            thread_ts: str | None = None
            if threaded and reply.thread_key:
                thread_ts = await self.core.thread_ref(target, reply.thread_key)
            previous = await self.core.mark_sending(
                target, f"gw-sent:{key}", json.dumps({"at": time.time(), "thread": thread_ts})
            )
            if previous is not None and await self._already_posted(
                reader, channel_id, key, previous
            ):
                logger.info("Slack: alert %s was posted before a crash; not posted again", key)
                return
            first_ts: str | None = None
            for i, message in enumerate(messages):
                kwargs: dict[str, Any] = dict(message)
                if thread_ts:
                    kwargs["thread_ts"] = thread_ts
                if i == 0:
                    kwargs["metadata"] = {"event_type": ALERT_EVENT, "event_payload": {"key": key}}
                try:
                    resp = await self._post_alert(poster, channel_id, kwargs)
                except SLACK_ERRORS as exc:
                    raise sort_failure(exc, retried=False).error() from None
                if first_ts is None:
                    first_ts = str(resp.get("ts") or "") or None
            if threaded and reply.thread_key and thread_ts is None and first_ts:
                await self.core.set_thread_ref(target, reply.thread_key, first_ts)
            if reply.image:
                await upload_chart(reader, channel_id, reply, thread_ts or first_ts)

    async def _post_alert(
        self, poster: AsyncWebClient, channel_id: str, kwargs: dict[str, Any]
    ) -> AsyncSlackResponse:
        try:
            return await poster.chat_postMessage(channel=channel_id, **kwargs)
        except SlackApiError as exc:
            # the story's first alert was deleted: post at the top level instead
            if "thread_ts" in kwargs and error_code(exc) in LOST_THREAD_ERRORS:
                logger.info(
                    "Slack: thread %s in %s is gone; posting at the top level",
                    kwargs["thread_ts"],
                    channel_id,
                )
                return await poster.chat_postMessage(
                    channel=channel_id, **{k: v for k, v in kwargs.items() if k != "thread_ts"}
                )
            raise

    async def _already_posted(
        self, client: AsyncWebClient, channel_id: str, key: str, mark: str
    ) -> bool:
        """Is a message with this alert key in the channel (or the thread it went to)?"""
        try:
            info = json.loads(mark)
            oldest = f"{float(info.get('at', 0)) - 60:.6f}"
            thread = info.get("thread")
            resp: AsyncSlackResponse
            if thread:
                resp = await client.conversations_replies(
                    channel=channel_id,
                    ts=thread,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                )
            else:
                resp = await client.conversations_history(
                    channel=channel_id, oldest=oldest, include_all_metadata=True, limit=200
                )
        except (ValueError, TypeError, AttributeError):
            return False
        except SLACK_ERRORS as exc:
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


def create(settings: Settings, core: BotCore, *, receive: bool = True) -> SlackTransport:
    """The Slack transport for `grokwatch run` (tokens from the settings); `receive=False`:
    alerts out only (no socket, no HTTP endpoint), for delivery workers."""
    return SlackTransport(settings, core, receive=receive)
