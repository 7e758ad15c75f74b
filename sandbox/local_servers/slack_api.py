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

Run it standalone with ``python -m sandbox.local_servers.slack_api --port 8082``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from aiohttp import web

from sandbox.local_servers.http_site import LocalSite
from sandbox.local_servers.slack_api_faults import SlackApiFaults, _Disconnect
from sandbox.local_servers.slack_api_files import SlackFiles
from sandbox.local_servers.slack_api_methods import Handler, SlackError
from sandbox.local_servers.slack_api_observe import Match as Match  # re-export: public here before
from sandbox.local_servers.slack_api_observe import SlackApiObservation
from sandbox.local_servers.slack_socket import SocketHub
from sandbox.local_servers.slack_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
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


def _decode_json_fields(params: dict[str, Any]) -> None:
    """Form posts carry blocks/view/files as JSON strings: decode them in place."""
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass


class LocalSlackApi(SlackApiObservation, SlackApiFaults, SlackFiles):
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
        self._lost_answers: list[list[Any]] = []  # [method, None, remaining]
        self._new_call = asyncio.Event()
        self._site = LocalSite()
        self._handlers: dict[str, Handler] = self._method_handlers()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalSlackApi:
        """Start listening; port 0 picks a free port (see `port` / `base_url`)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_post("/response/{rid}", self._handle_response_url)
        app.router.add_get("/socket", self.socket.handle)
        await self._site.start(app, host, port)
        return self

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        await self._site.stop()

    async def __aenter__(self) -> LocalSlackApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._site.port

    @property
    def root_url(self) -> str:
        """`http://host:port/`."""
        return f"http://{self._site.host}:{self.port}/"

    @property
    def base_url(self) -> str:
        """The slack_sdk `base_url`: `http://127.0.0.1:PORT/api/`."""
        return f"{self.root_url}api/"

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
            url = f"ws://{self._site.host}:{self.port}/socket"
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
            if self._take(self._lost_answers, method) is not None:  # done, but never answered
                return self._drop(request)
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
        status, text = self.receive_upload(file_id, data)
        error = None if status == 200 else text
        self._record(Call("upload", params, self.clock(), status, error))
        return web.Response(status=status, text=text)

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
        channel, message_ts, user = self.state.response_urls.get(rid, (None, None, None))
        self.state.response_posts.append(
            ResponsePost(rid, body, self.clock(), channel, message_ts, user)
        )
        self._apply_response(channel, message_ts, user, body)
        self._record(Call("response_url", {"id": rid, **body}, self.clock()))
        return web.Response(text="ok")

    def _apply_response(
        self, channel: str | None, ts: str | None, user: str | None, body: dict[str, Any]
    ) -> None:
        """Do what Slack does with a response_url post: replace, delete, post, or (the default,
        when ``response_type`` is not ``in_channel``) show it to the URL's user alone."""
        fields = {k: body.get(k) for k in ("text", "blocks", "attachments")}
        if channel and ts and body.get("delete_original"):
            self.state.delete_message(channel, ts)
        elif channel and ts and body.get("replace_original"):
            self.state.update_message(channel, ts, fields)
        elif channel and body.get("response_type") == "in_channel":
            self.state.post_message(channel, {**fields, "thread_ts": body.get("thread_ts")})
        else:
            self.state.ephemerals.append({"channel": channel, "user": user, **fields})


def main(argv: list[str] | None = None) -> None:
    """Run the server standalone: ``python -m sandbox.local_servers.slack_api --port 8082``."""
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
