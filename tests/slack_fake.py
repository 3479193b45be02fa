"""A loopback fake of Slack's Web API (and of `response_url`s) for the Slack transport
tests: slack_sdk's real AsyncWebClient is pointed at it with `base_url`.

It records every call, keeps the messages posted per channel (with their metadata, for
`conversations.history`), and can be told to fail the next calls of a method with any
status, body and headers (429 with Retry-After, 500, `channel_not_found`, ...).

Strict like the real API: a Web API call needs `Authorization: Bearer <token>` with a
token it issued (`not_authed` without one, `invalid_auth` for an unknown or revoked one;
`tokens` maps each bot token to its workspace, `auth.test` answers with it), and message
bodies are checked against Block Kit and Slack's limits (`tests.slack.validate`), a breach
answered with Slack's error (`invalid_blocks` with its `errors`, `msg_too_long`,
`invalid_metadata_format`, `no_text`). `oauth.v2.access` exchanges the codes in
`oauth_codes` (code → team) for new bot tokens, as the OAuth install flow does.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.slack.validate import message_problem, view_problem

BOT_TOKEN = "xoxb-test-token"
CLIENT_ID, CLIENT_SECRET = "111.222", "fake-client-secret"
# methods authorised otherwise than by a bot token
_NO_BEARER = {"oauth.v2.access"}
_APP_TOKEN_METHODS = {"apps.connections.open"}


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    team: str = ""  # the workspace of the token it was made with


@dataclass(frozen=True)
class Failure:
    """A failure the fake answers on cue (see `FakeSlack.fail_next`)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    channel: str | None = None
    after: bool = False


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, tuple[str, list[str]]] = field(
        default_factory=dict
    )  # id→(handle, members)
    user_channels: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # what reached response_urls
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    # Socket Mode: envelopes to push to the connected client, and its acknowledgements
    envelopes: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_connected: bool = False
    url: str = ""
    tokens: dict[str, str] = field(default_factory=lambda: {BOT_TOKEN: "T1"})
    oauth_codes: dict[str, str] = field(default_factory=dict)  # install code → team id
    refused: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (method, answer)
    channel_info: dict[str, dict[str, Any]] = field(default_factory=dict)  # conversations.info

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{n}", self._respond)
        app.router.add_post("/upload/{file}", self._upload)
        app.router.add_get("/ws", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    @property
    def api(self) -> str:
        return self.url + "api/"

    def response_url(self, n: int = 1) -> str:
        return f"{self.url}respond/{n}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(
        self,
        method: str,
        status: int = 200,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        *,
        channel: str | None = None,
        after: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` (to `channel` only, when given) with
        this status, body and headers. `after`: do the call first (the message is
        posted), then answer the failure, as a server that fails on its way out."""
        for _ in range(times):
            self._failures.setdefault(method, []).append(
                Failure(
                    status,
                    body or {"ok": False, "error": "fatal_error"},
                    headers or {},
                    channel,
                    after,
                )
            )

    def of(self, method: str, *, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    async def wait_for(self, cond: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError("the fake Slack never saw what the test waited for")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ routes
    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "metadata", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, args, time.monotonic())
        self.calls.append(call)
        refused = self._auth(method, request, call)
        if refused is None:
            refused = self._validate(method, args)
        if refused is not None:
            call.status = 299
            self.refused.append((method, refused))
            return web.json_response(refused)
        queued = self._failures.get(method, [])
        failure = next((f for f in queued if f.channel in (None, args.get("channel"))), None)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if failure is not None:
            queued.remove(failure)
            if failure.after and handler:
                handler(args)
            call.status = failure.status if failure.status != 200 else 299  # 299: ok:false
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        body = handler(args) if handler else {"ok": True}
        return web.json_response(body)

    def _auth(self, method: str, request: web.Request, call: Call) -> dict[str, Any] | None:
        """Slack's answer to a call whose token is missing or not one it issued."""
        if method in _NO_BEARER:
            # the app's own credentials: HTTP Basic (what slack_sdk sends) or in the body
            basic = request.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                pair = base64.b64decode(basic[6:].strip()).decode(errors="replace")
                cid, _, secret = pair.partition(":")
                call.args.setdefault("client_id", cid)
                call.args.setdefault("client_secret", secret)
            return None
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return {"ok": False, "error": "not_authed"}
        token = header[7:].strip()
        if method in _APP_TOKEN_METHODS:
            return None if token.startswith("xapp-") else {"ok": False, "error": "invalid_auth"}
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        call.team = self.tokens[token]
        return None

    def _validate(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            return message_problem(args)
        if method == "views.publish":
            return view_problem(args)
        return None

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        problem = message_problem(body, needs_channel=False)
        if problem is not None:  # response_urls answer like incoming webhooks
            self.refused.append(("response_url", problem))
            return web.Response(status=400, text=str(problem["error"]))
        self.responses.append(body)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        await request.read()
        self.calls.append(Call("upload", {"file": request.match_info["file"]}, time.monotonic()))
        return web.Response(text="OK - 1")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {}})
        self.socket_connected = True

        async def pusher() -> None:
            while True:
                await ws.send_json(await self.envelopes.get())

        push = asyncio.create_task(pusher())
        try:
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(msg.data))
        finally:
            push.cancel()
            self.socket_connected = False
        return ws

    # ------------------------------------------------------------- Web API methods
    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.url.replace("http://", "ws://") + "ws"}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team = self.calls[-1].team or "T1"
        return {
            "ok": True,
            "url": f"https://{team.lower()}.slack.example/",
            "team": f"team {team}",
            "user": "grokwatch",
            "team_id": team,
            "user_id": "UBOT",
            "bot_id": "B" + team,
            "is_enterprise_install": False,
        }

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("client_id") != CLIENT_ID or args.get("client_secret") != CLIENT_SECRET:
            return {"ok": False, "error": "invalid_client_id"}
        team = self.oauth_codes.pop(str(args.get("code", "")), None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{team}-{next(self._ts)}"
        self.tokens[token] = team
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,app_mentions:read",
            "bot_user_id": "UBOT",
            "app_id": "A1",
            "team": {"id": team, "name": f"team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U1"},
        }

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(args.get("channel", ""))
        info = self.channel_info.get(cid)
        if info is None:
            info = {"is_member": True, "is_private": False}
        if info.get("missing"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": cid, "is_channel": True, **info}}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        uid = args.get("user", "")
        user = {"id": uid, "is_admin": False, "is_owner": False, "locale": "en-US"}
        user.update(self.users.get(uid, {}))
        return {"ok": True, "user": user}

    def _usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "usergroups": [{"id": gid, "handle": h} for gid, (h, _) in self.usergroups.items()],
        }

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(args.get("usergroup", ""))
        if group is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": group[1]}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {**args, "ts": ts}
        self.messages.setdefault(args["channel"], []).append(message)
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._post(args)

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": "1.0"}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        msgs = [
            m
            for m in self.messages.get(args["channel"], [])
            if "thread_ts" not in m and float(m["ts"]) >= oldest
        ]
        return {"ok": True, "messages": list(reversed(msgs)), "has_more": False}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        msgs = [
            m
            for m in self.messages.get(args["channel"], [])
            if m["ts"] == args["ts"] or m.get("thread_ts") == args["ts"]
        ]
        return {"ok": True, "messages": msgs, "has_more": False}

    def _users_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        ids = self.user_channels.get(args.get("user", ""), [])
        return {"ok": True, "channels": [{"id": c} for c in ids]}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "upload_url": f"{self.url}upload/F1", "file_id": "F1"}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "files": [{"id": "F1", "title": "chart"}]}
