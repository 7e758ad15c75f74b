"""A local Slack-compatible Web API server for the demo, the tests and the benchmarks.

The real `slack_sdk.web.async_client.AsyncWebClient` (and so slack-bolt's `AsyncApp`) talks to it
through `base_url`; everything stays on 127.0.0.1::

    async with LocalSlackApi(bot_token="xoxb-local") as slack:
        client = AsyncWebClient(token="xoxb-local", base_url=slack.base_url)
        await client.chat_postMessage(channel="C0SUPPORT", text="hi")
        assert slack.messages("C0SUPPORT")[0]["text"] == "hi"

Wire format, as slack_sdk sends it: methods with blocks (chat.*, views.*) post JSON; the others
post form fields or query parameters; the bot token arrives as `Authorization: Bearer ...` (or a
`token` field). Errors are HTTP 200 with `{"ok": false, "error": ...}`, as Slack does.

Failure injection:

- `set_outage(True)`: every request answers HTTP 503 `{"ok": false, "error":
  "service_unavailable"}`. slack_sdk raises `SlackApiError` (status 503) at once, and retries it
  only if the client has `AsyncServerErrorRetryHandler`. `set_outage(True, mode="disconnect")`
  drops the connection instead: aiohttp raises `ServerDisconnectedError`, which slack_sdk's
  default `AsyncConnectionErrorRetryHandler` retries once before it reaches the caller.
- `rate_limit_next(method=None, retry_after=1, times=1)`: HTTP 429, `Retry-After` header and
  `{"ok": false, "error": "ratelimited"}`; `AsyncRateLimitErrorRetryHandler` honours it.
- `fail_next(method, error, times=1)`: HTTP 200 `{"ok": false, "error": error}`.

Run it standalone with ``python -m bot.local_servers.slack_api --port 8082``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from aiohttp import web

from bot.local_servers.slack_socket import SocketHub
from bot.local_servers.slack_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
    Call,
    ResponsePost,
    SlackUser,
    UploadedFile,
    WorkspaceState,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "Call",
    "LocalSlackApi",
    "ResponsePost",
    "SlackUser",
    "UploadedFile",
    "main",
]

logger = logging.getLogger("mentorbot.local_slack")

DEFAULT_TOKEN = "xoxb-local-test-token"
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "user_auth_blocks")
_DEFAULT_USERS = (
    SlackUser(BOT_USER_ID, "Mentorbot", name="mentorbot", is_bot=True),
    SlackUser("U0ANNA", "Anna de Vries", tz="Europe/Amsterdam"),
    SlackUser("U0BOB", "Bob Smith", tz="Europe/London"),
)
_DEFAULT_USERGROUPS = (
    {"id": "S0LEADS", "handle": "support-leads", "name": "Support leads", "users": ["U0ANNA"]},
)

Match = str | Callable[[Call], bool]


class SlackError(Exception):
    """Raised by a method handler to answer `{"ok": false, "error": <error>}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _decode_json_fields(params: dict[str, Any]) -> None:
    """Form posts carry blocks/view/files as JSON strings: decode them in place."""
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass


def _page(items: list[Any], params: Mapping[str, Any], default_limit: int) -> tuple[list, str]:
    """Cursor pagination: the cursor is the offset as a string."""
    limit = int(params.get("limit") or default_limit) or default_limit
    start = int(params.get("cursor") or 0)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else "")


class LocalSlackApi:
    """A Slack Web API stand-in on aiohttp, for in-process use (tests, demo, benchmarks).

    Args:
        bot_token: the only accepted token; others get `invalid_auth`.
        users: members for users.info (the bot and two staff members by default).
        usergroups: groups for usergroups.list.
        channels: optional `{channel_id: name}`; when given, other channels get
            `channel_not_found` and `#name` resolves to the id. When None, any channel is accepted.
        clock: time source for message ts and the call log (a fake clock in tests).
        log_calls: log every call at INFO on the `mentorbot.local_slack` logger.
        app_token: the app-level token `apps.connections.open` accepts (Socket Mode); the
            WebSocket is at `/socket` and `socket.push(...)` sends envelopes to the app.
    """

    def __init__(
        self,
        bot_token: str = DEFAULT_TOKEN,
        *,
        users: Iterable[SlackUser] = _DEFAULT_USERS,
        usergroups: Iterable[Mapping[str, Any]] = _DEFAULT_USERGROUPS,
        channels: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        log_calls: bool = False,
        app_token: str = "xapp-local",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.socket = SocketHub()
        self.clock = clock
        self.log_calls = log_calls
        self._channel_ids = dict(channels) if channels is not None else None
        self._channel_by_name = {n.lstrip("#"): c for c, n in (channels or {}).items()}
        self.state = WorkspaceState(
            clock=clock,
            users={u.id: u for u in users},
            usergroups=[dict(g) for g in usergroups],
        )
        self.calls: list[Call] = []
        self.stats: Counter[str] = Counter()
        self._outage: Literal["503", "disconnect"] | None = None
        self._rate_limits: list[list[Any]] = []  # [method|None, retry_after, remaining]
        self._failures: list[list[Any]] = []  # [method, error, remaining]
        self._latency = 0.0
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda p: {"args": p},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "usergroups.list": self._usergroups_list,
        }

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalSlackApi:
        """Start listening; port 0 picks a free port (see `port` / `base_url`)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_post("/response/{rid}", self._handle_response_url)
        app.router.add_get("/socket", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalSlackApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("LocalSlackApi is not started")
        return self._port

    @property
    def root_url(self) -> str:
        """`http://host:port/`."""
        return f"http://{self._host}:{self.port}/"

    @property
    def base_url(self) -> str:
        """The slack_sdk `base_url`: `http://127.0.0.1:PORT/api/`."""
        return f"{self.root_url}api/"

    # -- failure injection --------------------------------------------------------------------

    def set_outage(self, on: bool, mode: Literal["503", "disconnect"] = "503") -> None:
        """Fail every request with HTTP 503 (default) or a dropped connection until turned off."""
        self._outage = mode if on else None

    def rate_limit_next(
        self, method: str | None = None, retry_after: int = 1, times: int = 1
    ) -> None:
        """Answer the next `times` calls (of `method`, or of any method) with HTTP 429."""
        self._rate_limits.append([method, retry_after, times])

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._failures.append([method, error, times])

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by `seconds` (simulates a slow Slack)."""
        self._latency = seconds

    @staticmethod
    def _take(rules: list[list[Any]], method: str) -> list[Any] | None:
        for rule in rules:
            if rule[0] is None or rule[0] == method:
                rule[2] -= 1
                if rule[2] <= 0:
                    rules.remove(rule)
                return rule
        return None

    # -- observation --------------------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Current state (after updates) of all messages and replies in a channel, ts order."""
        return self.state.messages(self._channel_key(channel))

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """Copies of the channel's messages that are not thread replies, oldest first."""
        return [dict(m) for m in self.state.top_level(self._channel_key(channel))]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Copies of a thread's parent and replies, oldest first."""
        return [dict(m) for m in self.state.thread(self._channel_key(channel), ts)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A copy of one stored message, or None."""
        found = self.state.get_message(self._channel_key(channel), ts)
        return dict(found) if found is not None else None

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Messages sent with chat.postEphemeral (channel, user, text, blocks)."""
        return self.state.ephemerals

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Current views by id (after views.update)."""
        return self.state.views

    @property
    def opened_views(self) -> list[dict[str, Any]]:
        """Views as opened by views.open / views.push, in order."""
        return self.state.opened_views

    @property
    def files(self) -> dict[str, UploadedFile]:
        """Files by id (name, title, content bytes, channel)."""
        return self.state.files

    @property
    def response_posts(self) -> list[ResponsePost]:
        """Bodies POSTed to response URLs, in order."""
        return self.state.response_posts

    def calls_to(self, method: str) -> list[Call]:
        """All calls of one method, including failed ones."""
        return [c for c in self.calls if c.method == method]

    def add_user(self, user: SlackUser) -> None:
        """Add or replace a member answered by users.info."""
        self.state.users[user.id] = user

    def post_as_user(
        self, channel: str, text: str, user: str = "U0ANNA", thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Store a message a person wrote in Slack (no HTTP call, not in `calls`).

        Returns a copy with its `ts`; send the matching Events API `message` event with
        `slack_signing.message_event(..., ts=msg["ts"], thread_ts=...)`.
        """
        fields = {"text": text, "thread_ts": thread_ts}
        return dict(self.state.post_message(self._channel_key(channel), fields, user=user))

    def new_response_url(self, channel: str | None = None, message_ts: str | None = None) -> str:
        """A response_url on this server; `replace_original` posts to it update `message_ts`."""
        rid = secrets.token_hex(8)
        self.state.response_urls[rid] = (channel, message_ts)
        return f"{self.root_url}response/{rid}"

    async def wait_for(
        self,
        match: Match,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper, mirrors asyncio.wait_for
        *,
        count: int = 1,
        since: int = 0,
    ) -> Call:
        """Wait until `count` calls match and return the last of them.

        `match` is a method name (matches successful calls only) or a predicate over `Call`.
        `since` skips the first calls of the log (pass `len(server.calls)` to wait for new ones).
        Raises TimeoutError listing the methods seen.
        """
        if isinstance(match, str):
            name = match

            def pred(c: Call) -> bool:
                return c.method == name and c.ok
        else:
            pred = match
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index, found = since, 0
        while True:
            while index < len(self.calls):
                call = self.calls[index]
                index += 1
                if pred(call):
                    found += 1
                    if found >= count:
                        return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = Counter(c.method for c in self.calls[since:])
                raise TimeoutError(f"no {count} call(s) matching {match!r} in {timeout}s; {seen}")
            event = self._new_call
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    def reset(self) -> None:
        """Forget calls, messages, views, files, stats and pending injected failures."""
        self.state = WorkspaceState(
            clock=self.clock, users=self.state.users, usergroups=self.state.usergroups
        )
        self.calls.clear()
        self.stats.clear()
        self._rate_limits.clear()
        self._failures.clear()
        self._outage = None

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.stats["requests"] += 1
        self.stats["ok" if call.ok else "errors"] += 1
        if self.log_calls:
            outcome = "ok" if call.ok else f"{call.status} {call.error}"
            shown = {k: v for k, v in call.params.items() if k not in ("blocks", "view")}
            logger.info("%s %s %s", call.method, outcome, json.dumps(shown, default=str)[:300])
        self._new_call.set()
        self._new_call = asyncio.Event()

    # -- HTTP layer ---------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    params[key] = value if isinstance(value, str) else value.file.read()
        _decode_json_fields(params)
        return params

    async def _injected(self, method: str, params: dict[str, Any]) -> web.StreamResponse | None:
        """The injected failure for this request, if any (and record it)."""
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._outage is not None:
            self.stats["outage"] += 1
            self._record(Call(method, params, self.clock(), 503, "service_unavailable"))
            if self._outage == "disconnect":
                raise _Disconnect
            body = {"ok": False, "error": "service_unavailable"}
            return web.json_response(body, status=503)
        rule = self._take(self._rate_limits, method)
        if rule is not None:
            self.stats["ratelimited"] += 1
            self._record(Call(method, params, self.clock(), 429, "ratelimited"))
            headers = {"Retry-After": str(rule[1])}
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=headers
            )
        rule = self._take(self._failures, method)
        if rule is not None:
            self.stats["injected_errors"] += 1
            self._record(Call(method, params, self.clock(), 200, rule[1]))
            return web.json_response({"ok": False, "error": rule[1]})
        return None

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_json"})
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        params.pop("token", None)
        try:
            injected = await self._injected(method, params)
        except _Disconnect:
            return self._drop(request)
        if injected is not None:
            return injected
        if method == "apps.connections.open":  # Socket Mode: the app-level token, not the bot's
            ok = token == self.app_token
            url = f"ws://{self._host}:{self.port}/socket"
            body = {"ok": True, "url": url} if ok else {"ok": False, "error": "invalid_auth"}
            self._record(Call(method, params, self.clock(), 200, None if ok else "invalid_auth"))
            return web.json_response(body)
        handler = self._handlers.get(method)
        try:
            if handler is None:
                raise SlackError("unknown_method")
            if token is None:
                raise SlackError("not_authed")
            if token != self.bot_token:
                raise SlackError("invalid_auth")
            body = {"ok": True, **handler(params)}
        except SlackError as err:
            self.stats[err.error] += 1
            body = {"ok": False, "error": err.error}
            self._record(Call(method, params, self.clock(), 200, err.error, body))
        else:
            self._record(Call(method, params, self.clock(), 200, None, body))
        return web.json_response(body)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = next((v for v in form.values() if not isinstance(v, str)), None)
            data = part.file.read() if part is not None else b""
        else:
            data = await request.read()
        params = {"file_id": file_id, "length": len(data)}
        try:
            injected = await self._injected("upload", params)
        except _Disconnect:
            return self._drop(request)
        if injected is not None:
            return injected
        upload = self.state.files.get(file_id)
        if upload is None:
            self._record(Call("upload", params, self.clock(), 404, "file_not_found"))
            return web.Response(status=404, text="file_not_found")
        upload.content = data
        self._record(Call("upload", params, self.clock()))
        return web.Response(text=f"OK - {len(data)}")

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["rid"]
        try:
            body = await request.json() if request.content_type == "application/json" else {}
        except ValueError:
            body = {}
        if not body:
            body = dict(await request.post()) if request.can_read_body else {}
            _decode_json_fields(body)
        try:
            injected = await self._injected("response_url", body)
        except _Disconnect:
            return self._drop(request)
        if injected is not None:
            return injected
        channel, message_ts = self.state.response_urls.get(rid, (None, None))
        self.state.response_posts.append(ResponsePost(rid, body, self.clock(), channel, message_ts))
        self._apply_response(channel, message_ts, body)
        self._record(Call("response_url", {"id": rid, **body}, self.clock()))
        return web.Response(text="ok")

    def _apply_response(self, channel: str | None, ts: str | None, body: dict[str, Any]) -> None:
        """Do what Slack does with a response_url post: replace, delete, post or ephemeral."""
        fields = {k: body.get(k) for k in ("text", "blocks", "attachments")}
        if channel and ts and body.get("delete_original"):
            self.state.delete_message(channel, ts)
        elif channel and ts and body.get("replace_original"):
            self.state.update_message(channel, ts, fields)
        elif channel and body.get("response_type") == "in_channel":
            self.state.post_message(channel, {**fields, "thread_ts": body.get("thread_ts")})
        else:
            self.state.ephemerals.append({"channel": channel, "user": None, **fields})

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=503)

    # -- Web API methods ----------------------------------------------------------------------

    def _channel_key(self, channel: str) -> str:
        return self._channel_by_name.get(channel.lstrip("#"), channel)

    def _channel(self, params: Mapping[str, Any], key: str = "channel") -> str:
        channel = params.get(key)
        if not channel:
            raise SlackError("channel_not_found")
        channel = self._channel_key(str(channel))
        if self._channel_ids is not None and channel not in self._channel_ids:
            raise SlackError("channel_not_found")
        return channel

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.root_url,
            "team": TEAM_NAME,
            "user": "mentorbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }

    @staticmethod
    def _content(params: Mapping[str, Any]) -> dict[str, Any]:
        return {k: params.get(k) for k in ("text", "blocks", "attachments", "metadata")}

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        content = self._content(params)
        if not (content["text"] or content["blocks"] or content["attachments"]):
            raise SlackError("no_text")
        thread_ts = params.get("thread_ts") or None
        message = self.state.post_message(channel, {**content, "thread_ts": thread_ts})
        return {"channel": channel, "ts": message["ts"], "message": dict(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("ts") or "")
        message = self.state.update_message(channel, ts, self._content(params))
        if message is None:
            raise SlackError("message_not_found")
        return {"channel": channel, "ts": ts, "text": message["text"], "message": dict(message)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if not self.state.delete_message(channel, str(params.get("ts") or "")):
            raise SlackError("message_not_found")
        return {"channel": channel, "ts": params["ts"]}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        user = params.get("user")
        if not user:
            raise SlackError("user_not_in_channel")
        ts = self.state.new_ts()
        self.state.ephemerals.append(
            {"channel": channel, "user": user, "ts": ts, **self._content(params)}
        )
        return {"message_ts": ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("message_ts") or "")
        if self.state.get_message(channel, ts) is None:
            raise SlackError("message_not_found")
        link = f"{self.root_url}archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _build_view(self, view: Any, view_id: str, previous: dict | None) -> dict[str, Any]:
        if not isinstance(view, dict) or "type" not in view:
            raise SlackError("invalid_arguments")
        built = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": secrets.token_hex(6),
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "previous_view_id": None,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        return built

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not (params.get("trigger_id") or params.get("interactivity_pointer")):
            raise SlackError("invalid_arguments")
        view = self._build_view(params.get("view"), self.state.new_id("V"), None)
        view["trigger_id"] = params.get("trigger_id")
        self.state.views[view["id"]] = view
        self.state.opened_views.append(view)
        return {"view": view}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        current: dict[str, Any] | None = None
        if params.get("view_id"):
            current = self.state.views.get(params["view_id"])
        elif params.get("external_id"):
            ext = params["external_id"]
            current = next((v for v in self.state.views.values() if v["external_id"] == ext), None)
        if current is None:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._build_view(params.get("view"), current["id"], current)
        self.state.views[view["id"]] = view
        return {"view": view}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.state.users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api()}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        thread = self.state.thread(channel, str(params.get("ts") or ""))
        if not thread:
            raise SlackError("thread_not_found")
        page, cursor = _page(thread, params, 1000)
        return {
            "messages": [dict(m) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        found = [m for m in self.state.top_level(channel) if oldest <= float(m["ts"]) <= latest][
            ::-1
        ]
        page, cursor = _page(found, params, 100)
        return {
            "messages": [dict(m) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        message = self.state.get_message(channel, str(params.get("timestamp") or ""))
        if message is None:
            raise SlackError("message_not_found")
        name = str(params.get("name") or "")
        if not name:
            raise SlackError("invalid_name")
        reactions = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        elif BOT_USER_ID in reaction["users"]:
            raise SlackError("already_reacted")
        else:
            reaction["users"].append(BOT_USER_ID)
            reaction["count"] += 1
        return {}

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            raise SlackError("invalid_arguments")
        file_id = self.state.new_id("F")
        self.state.files[file_id] = UploadedFile(
            file_id, str(params["filename"]), int(params["length"])
        )
        return {"upload_url": f"{self.root_url}upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel = self._channel(params, "channel_id") if params.get("channel_id") else None
        done = []
        for entry in entries:
            upload = self.state.files.get(str(entry.get("id")))
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            upload.title = entry.get("title") or upload.name
            upload.channel = channel
            upload.thread_ts = params.get("thread_ts")
            upload.initial_comment = params.get("initial_comment")
            upload.completed = True
            done.append(upload.to_api())
        return {"files": done}

    def _usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        include_users = str(params.get("include_users", "")).lower() in ("1", "true")
        groups = []
        for group in self.state.usergroups:
            shown = {"team_id": TEAM_ID, **group}
            if not include_users:
                shown.pop("users", None)
            groups.append(shown)
        return {"usergroups": groups}


class _Disconnect(Exception):
    """Internal: the outage mode asks to drop the connection."""


def main(argv: list[str] | None = None) -> None:
    """Run the server standalone: ``python -m bot.local_servers.slack_api --port 8082``."""
    parser = argparse.ArgumentParser(description="Local Slack-compatible Web API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="accepted bot token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def serve() -> None:
        server = LocalSlackApi(args.token, log_calls=True)
        await server.start(args.host, args.port)
        logger.info("local Slack Web API on %s (token %s)", server.base_url, args.token)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
