"""A loopback fake of Discord's REST API (v10), for the endpoints the transport uses.

It answers in Discord's real JSON shapes, records every request (method, path, JSON body,
attachment names) and can be told to fail the next matching requests (429 with a
`retry_after`, 5xx, 403, 404). Like Discord, it honours `enforce_nonce`: a second message
with the same nonce from the bot returns the first one instead of creating another.

Strict like the real API: every bot route needs `Authorization: Bot <token>` (401
otherwise; webhook and interaction routes are authorised by the token in their path, and
a wrong bot token there is refused too), and every body is checked against Discord's
published limits (`tests.discord.validate`: embeds, components, threads, commands), a
breach answered 400 "Invalid Form Body" (code 50035) with the errors tree Discord gives.
Channels can be given a type (`channel_types`: 15 is a forum, 11 a public thread with its
parent in `parents`), which `GET /channels/{id}` reports.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord.validate import (
    command_errors,
    invalid_form_body,
    message_errors,
    thread_errors,
)

logger = logging.getLogger(__name__)

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
TIMESTAMP = "2024-03-17T12:00:00.000000+00:00"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[str] = field(default_factory=list)
    status: int = 200


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Discord's exact content type (discord.py compares it)."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def user_json(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


class FakeDiscord:
    """Use as `async with FakeDiscord() as fake:`; `fake.base` is the API base URL."""

    def __init__(self, token: str = "fake-token") -> None:
        self.token = token
        self.requests: list[Recorded] = []
        self.messages: dict[int, list[dict[str, Any]]] = {}  # channel id → messages
        self.threads: dict[int, dict[str, Any]] = {}  # message id → thread
        self._failures: list[tuple[str, str, Failure]] = []
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self._nonces: dict[tuple[int, str], dict[str, Any]] = {}
        self.forbidden_channels: set[int] = set()
        self.channel_types: dict[int, int] = {}  # channel id → Discord channel type
        self.parents: dict[int, int] = {}  # thread id → its parent channel
        self.guild_of: dict[int, int] = {}  # channel id → guild id (default 1)
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ------------------------------------------------------------- control
    def fail(
        self,
        method: str,
        path_part: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` requests whose path contains `path_part` get `status`."""
        default = {"message": "error", "code": 0}
        if status == 429:
            default = {
                "message": "You are being rate limited.",
                "retry_after": 0.2,
                "global": False,
            }
        hdrs = {"Via": "1.1 google"} if status == 429 else {}
        hdrs.update(headers or {})
        for _ in range(times):
            self._failures.append((method, path_part, Failure(status, body or default, hdrs)))

    def posts(self, path_part: str = "/messages") -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(path_part)]

    def sent_messages(self) -> list[dict[str, Any]]:
        return [m for msgs in self.messages.values() for m in msgs]

    # ------------------------------------------------------------- server
    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _read(self, request: web.Request) -> tuple[Any, list[str]]:
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: list[str] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append(part.filename or "")  # type: ignore[union-attr]
                    await part.read()  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._read(request)
        rec = Recorded(request.method, path, dict(request.query), body, files)
        self.requests.append(rec)
        refused = self._unauthorised(request, path)
        if refused is not None:
            rec.status = 401
            return _json(refused, 401)
        for i, (method, part, failure) in enumerate(self._failures):
            if method == request.method and part in path:
                del self._failures[i]
                rec.status = failure.status
                return _json(failure.body, failure.status, failure.headers)
        errors = self._validate(request.method, path, body)
        if errors:
            rec.status = 400
            logger.info("fake Discord refused %s %s: %s", request.method, path, errors)
            return _json(invalid_form_body(errors), 400)
        try:
            status, payload = self._route(request.method, path, body, files)
        except LookupError:
            status, payload = 404, {"message": "404: Not Found", "code": 0}
        rec.status = status
        if status == 204:
            return web.Response(status=204)
        return _json(payload, status)

    # ------------------------------------------------------------- rules
    def _unauthorised(self, request: web.Request, path: str) -> dict[str, Any] | None:
        """Discord's 401 body when the request's Authorization is missing or wrong."""
        given = request.headers.get("Authorization")
        by_path = path.startswith(("/webhooks/", "/interactions/"))
        if given is None and by_path:
            return None
        if given != f"Bot {self.token}":
            return {"message": "401: Unauthorized", "code": 0}
        return None

    def _validate(self, method: str, path: str, body: Any) -> dict[str, Any]:
        """The errors tree of a body that breaks one of Discord's rules ({}: valid)."""
        parts = path.strip("/").split("/")
        if method == "PUT" and parts[-1] == "commands":
            return command_errors(body if isinstance(body, list) else [])
        if method == "POST" and parts[0] == "channels" and parts[-1] == "threads":
            errors = thread_errors(body or {})
            if isinstance((body or {}).get("message"), dict):  # a forum post
                for key, value in message_errors(body["message"]).items():
                    errors.setdefault("message", {})[key] = value
            return errors
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            return message_errors(body or {})
        if parts[0] == "webhooks" and method in ("POST", "PATCH") and body is not None:
            return message_errors(body)
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            data = (body or {}).get("data")
            return message_errors(data) if isinstance(data, dict) and body.get("type") == 4 else {}
        return {}

    # ------------------------------------------------------------- routes
    def _route(self, method: str, path: str, body: Any, files: list[str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return 200, {
                **user_json(BOT_ID, "grokwatch", bot=True),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
            }
        if method == "GET" and path == "/oauth2/applications/@me":
            return 200, {
                "id": str(APP_ID),
                "name": "grokwatch",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_json(1, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
            }
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            return 200, [self._command_json(c, parts) for c in body]
        if method == "GET" and parts[0] == "channels" and len(parts) == 2:
            return 200, self._channel_json(int(parts[1]))
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            channel = int(parts[1])
            if channel in self.forbidden_channels:
                return 403, {"message": "Missing Access", "code": 50001}
            if self.channel_types.get(channel) in (4, 15, 16):  # category, forum, media
                return 400, {"message": "Cannot send messages in a non-text channel", "code": 50008}
            return 200, self._create_message(channel, body, files)
        if (
            method == "POST"
            and parts[0] == "channels"
            and len(parts) == 3
            and parts[2] == "threads"
        ):
            return self._forum_post(int(parts[1]), body, files)
        if method == "POST" and parts[0] == "channels" and parts[-1] == "threads":
            channel, message = int(parts[1]), int(parts[3])
            if message in self.threads:
                return 400, {
                    "message": "A thread has already been created for this message",
                    "code": 160004,
                }
            thread = {
                "id": str(message),  # a thread started on a message has the message's id
                "type": 11,
                "guild_id": "1",
                "parent_id": str(channel),
                "name": body["name"],
                "owner_id": str(BOT_ID),
                "member_count": 1,
                "message_count": 0,
                "rate_limit_per_user": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": body.get("auto_archive_duration", 1440),
                    "archive_timestamp": TIMESTAMP,
                    "locked": False,
                },
                "flags": 0,
            }
            self.threads[message] = thread
            return 201, thread
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            return 200, {
                "interaction": {
                    "id": parts[1],
                    "type": 2,
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool(
                        (body.get("data") or {}).get("flags", 0) & 64
                    ),
                }
            }
        if parts[0] == "webhooks" and len(parts) == 3 and method == "POST":
            return 200, self._create_message(0, body, files, webhook=True)
        if parts[0] == "webhooks" and parts[-1] == "@original":
            if method == "DELETE":
                return 204, None
            return 200, self._create_message(0, body or {}, files, webhook=True)
        raise LookupError(path)

    def _channel_json(self, channel: int) -> dict[str, Any]:
        kind = self.channel_types.get(channel, 0)
        data: dict[str, Any] = {
            "id": str(channel),
            "type": kind,
            "guild_id": str(self.guild_of.get(channel, 1)),
            "name": f"channel-{channel}",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(self.parents[channel]) if channel in self.parents else None,
            "flags": 0,
        }
        if kind == 15:
            data["available_tags"] = []
        return data

    def _forum_post(self, forum: int, body: dict[str, Any], files: list[str]) -> tuple[int, Any]:
        """A post in a forum channel: a thread whose first message is `body["message"]`."""
        if self.channel_types.get(forum) not in (15, 16):
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}
        if forum in self.forbidden_channels:
            return 403, {"message": "Missing Access", "code": 50001}
        thread_id = next(self._ids)
        self.channel_types[thread_id] = 11
        self.parents[thread_id] = forum
        first = self._create_message(thread_id, body.get("message") or {}, files)
        thread = {
            **self._channel_json(thread_id),
            "owner_id": str(BOT_ID),
            "name": body.get("name", ""),
            "message_count": 1,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 4320),
                "archive_timestamp": TIMESTAMP,
                "locked": False,
            },
            "message": first,
        }
        self.threads[thread_id] = thread
        return 201, thread

    def _command_json(self, cmd: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        out = {
            "id": str(next(self._ids)),
            "application_id": str(APP_ID),
            "version": "1",
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            **cmd,
        }
        if "guilds" in parts:
            out["guild_id"] = parts[parts.index("guilds") + 1]
        out.setdefault("options", [])
        return out

    def _create_message(
        self, channel: int, body: dict[str, Any], files: list[str], *, webhook: bool = False
    ) -> dict[str, Any]:
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and (channel, nonce) in self._nonces:
            return self._nonces[(channel, nonce)]
        mid = next(self._ids)
        message = {
            "id": str(mid),
            "channel_id": str(channel),
            "author": user_json(APP_ID if webhook else BOT_ID, "grokwatch", bot=True),
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(next(self._ids)),
                    "filename": f,
                    "size": 1,
                    "url": f"https://cdn.example/{f}",
                    "proxy_url": f"https://cdn.example/{f}",
                }
                for f in files
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0),
            "nonce": nonce,
        }
        if webhook:
            message["webhook_id"] = str(APP_ID)
        self.messages.setdefault(channel, []).append(message)
        if nonce:
            self._nonces[(channel, nonce)] = message
        return message
