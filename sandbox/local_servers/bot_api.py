"""A local, Telegram-compatible Bot API server for the demo, the tests and the benchmarks.

Real python-telegram-bot code talks to it over HTTP on 127.0.0.1::

    async with LocalBotApi() as server:
        bot = Bot("123:TEST", base_url=server.base_url, base_file_url=server.base_file_url)
        server.push_message(42, "/start tok123")          # a simulated customer writes
        reply = await server.wait_for_message(42)          # the bot's answer, as a dict

Method logic lives in :mod:`sandbox.local_servers.bot_api_state`; this module adds HTTP, long
polling, webhook delivery, waiting helpers and ``python -m sandbox.local_servers.bot_api``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.local_servers.bot_api_control import add_control_routes
from sandbox.local_servers.bot_api_media import CustomerMedia
from sandbox.local_servers.bot_api_state import BotApiState
from sandbox.local_servers.bot_api_types import ApiError, Call, UploadedFile, decode_params
from sandbox.local_servers.http_site import LocalSite

__all__ = ["ApiError", "Call", "LocalBotApi", "UploadedFile", "main"]

log = logging.getLogger(__name__)
_SEND_RESULTS = frozenset({"sendmessage", "senddocument", "sendphoto"})
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class LocalBotApi(CustomerMedia, BotApiState):
    """An in-process aiohttp server speaking the Telegram Bot API (see the module docstring).

    Constructor arguments are those of :class:`BotApiState` (identity, ``token``,
    ``enforce_limits``, history caps, ``strict_chats``) plus ``log_calls`` to log every call and
    ``control`` to mount the ``/_local/`` routes of :mod:`sandbox.local_servers.bot_api_control`.
    """

    def __init__(self, *, log_calls: bool = False, control: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log_calls = log_calls
        self.control = control
        self.webhook_deliveries: list[dict[str, Any]] = []
        self._site = LocalSite(shutdown_timeout=0.5)
        self._updates_event = asyncio.Event()
        self._waiters: list[tuple[Callable[[Call], bool], asyncio.Future[Call]]] = []
        self._delivery_waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._last_push_seq: dict[int, int] = {}
        self._webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False
        self.webhook_attempts = 1  # deliveries of one update to the webhook (Telegram retries)
        self.webhook_retry_delay = 0.2
        self._poll_seq = 0  # getUpdates calls so far
        self._polling = 0  # getUpdates calls waiting now
        self._last_seq = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalBotApi:
        """Start listening; ``port=0`` picks a free port (see :attr:`port`)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        if self.control:
            add_control_routes(app, self)
        await self._site.start(app, host, port)
        self._stopping = False
        return self

    async def stop(self) -> None:
        """Stop the server, wake long polls and the webhook sender, fail pending waiters."""
        self._stopping = True
        self._updates_event.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._site.stop()
        for _, future in self._waiters:
            if not future.done():
                future.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on (after :meth:`start`)."""
        return self._site.port

    @property
    def last_seq(self) -> int:
        """``seq`` of the latest call so far; pass it as ``since=`` to wait only for newer ones."""
        return self._last_seq

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: ``http://HOST:PORT/bot`` (PTB appends ``<token>/<method>``)."""
        return f"http://{self._site.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``: ``http://HOST:PORT/file/bot``."""
        return f"http://{self._site.host}:{self.port}/file/bot"

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.unavailable is not None:
            if self.unavailable == "reset" and request.transport is not None:
                request.transport.abort()
            return _json(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
        name = request.match_info["method"]
        method = name.lower()
        if self.token is not None and request.match_info["token"] != self.token:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        self._last_seq += 1
        call = Call(self._last_seq, name, {}, time.time())
        self.stats.by_method[name] += 1
        try:
            call.params, files = await _read_params(request)
            self.precheck(method, call.params, request.match_info["token"])
            if method == "getupdates":
                result = await self._get_updates(call.params)
            else:
                result = self.dispatch(method, call.params, files)
                if method == "setwebhook":
                    self._webhook_changed()
        except ApiError as error:
            return self._fail(call, error)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # malformed parameters
            return self._fail(call, ApiError(400, f"Bad Request: {exc}"))
        call.result = result
        self._record(call)
        return web.Response(body=_dumps({"ok": True, "result": result}).encode(),
                            content_type="application/json")  # fmt: skip

    def _fail(self, call: Call, error: ApiError) -> web.Response:
        call.status, call.error = error.status, error.description
        self.stats.failed += 1
        if error.status == 429:
            self.stats.rejected_429 += 1
        self._record(call)
        return _json(error.status, error.body())

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        upload = self.file_by_path(request.match_info["path"])
        if upload is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=upload.data, content_type=upload.mime_type or "application/octet-stream"
        )

    def _record(self, call: Call) -> None:
        if files := {k: v for k, v in call.params.items() if isinstance(v, web.FileField)}:
            call.params = {**call.params, **{k: {"filename": v.filename} for k, v in files.items()}}
        self.calls.append(call)
        if self.log_calls:
            log.info("%s %s -> %s", call.method, _short(call.params), call.status)
        if self._waiters:
            for predicate, future in list(self._waiters):
                if not future.done() and predicate(call):
                    future.set_result(call)
            self._waiters = [w for w in self._waiters if not w[1].done()]

    # ------------------------------------------------------------------ updates
    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        if params.get("allowed_updates") is not None:
            self.allowed_updates = params["allowed_updates"] or None
        # One poller at a time, as Telegram: a newer getUpdates ends the one still waiting.
        self._poll_seq += 1
        mine = self._poll_seq
        if self._polling:
            event, self._updates_event = self._updates_event, asyncio.Event()
            event.set()
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        pending = self.pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
        else:
            while pending and pending[0]["update_id"] < offset:
                pending.popleft()
        if not pending and timeout > 0 and not self._stopping:
            event = self._updates_event
            self._polling += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout)
            finally:
                self._polling -= 1
            if self._poll_seq != mine:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one"
                    " bot instance is running",
                )
        return list(itertools.islice(pending, limit))

    def _deliver(self, payload: dict[str, Any], chat_id: int | None = None) -> dict[str, Any]:
        update = self.new_update(payload)
        if chat_id is not None:
            self._last_push_seq[chat_id] = self._last_seq
        if update is None:
            return {"update_id": None, **payload}
        self._enqueue(update)
        return update

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Customer",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """A simulated user sends ``text`` in private chat ``chat_id``; returns the update."""
        message = self.build_user_message(
            chat_id, text, user_id=user_id, first_name=first_name, last_name=last_name,
            username=username, language_code=language_code,
        )  # fmt: skip
        return self._deliver({"message": message}, chat_id)

    def push_edit(
        self, chat_id: int, message_id: int, text: str, *, language_code: str | None = "en"
    ) -> dict[str, Any]:
        """A simulated user edits their message ``message_id`` to ``text`` (edited_message)."""
        message = self.build_user_message(chat_id, text, language_code=language_code)
        message["message_id"], message["edit_date"] = message_id, int(time.time())
        return self._deliver({"edited_message": message}, chat_id)

    def push_callback(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        """A simulated user presses a button with ``data`` on the bot's message ``message_id``."""
        query = self.build_callback(chat_id, message_id, data, user_id=user_id)
        return self._deliver({"callback_query": query}, chat_id)

    def push_raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver any dict as an update (garbage or forged); ``update_id`` is added if missing."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._enqueue(update)
        return update

    def _enqueue(self, update: dict[str, Any]) -> None:
        if self.webhook["url"]:
            self._webhook_queue.put_nowait(update)
            self._ensure_webhook_task()
        else:
            self.pending.append(update)
            event, self._updates_event = self._updates_event, asyncio.Event()
            event.set()

    # ------------------------------------------------------------------ webhooks
    def _webhook_changed(self) -> None:
        if self.webhook["url"]:
            while self.pending:
                self._webhook_queue.put_nowait(self.pending.popleft())
            self._ensure_webhook_task()

    def _ensure_webhook_task(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_sender())

    async def _webhook_sender(self) -> None:
        while True:
            update = await self._webhook_queue.get()
            url, secret = self.webhook["url"], self.webhook.get("secret_token")
            if not url:  # webhook removed meanwhile: back to getUpdates
                self.pending.append(update)
                continue
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            if self._session is None:
                self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            # Like Telegram, an update the webhook did not take (no 2xx) is sent again, before
            # the ones after it, ``webhook_attempts`` times at most.
            for attempt in range(1, self.webhook_attempts + 1):
                record: dict[str, Any] = {"update_id": update.get("update_id"), "url": url}
                record["attempt"] = attempt
                try:
                    async with self._session.post(url, json=update, headers=headers) as response:
                        record["status"] = response.status
                        await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    record["status"], record["error"] = None, repr(exc)
                self.webhook_deliveries.append(record)
                if record["status"] is not None and 200 <= record["status"] < 300:
                    break
                if attempt < self.webhook_attempts:
                    await asyncio.sleep(self.webhook_retry_delay)
            future = self._delivery_waiters.pop(record["update_id"], None)
            if future is not None and not future.done():
                future.set_result(record)

    # ------------------------------------------------------------------ waiting
    async def wait_for(
        self,
        predicate_or_method: str | Callable[[Call], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> Call:
        """The first call (kept or future) matching a method name or predicate.

        ``since``: only calls with ``seq`` greater than it. Raises ``TimeoutError``.
        """
        if isinstance(predicate_or_method, str):
            name = predicate_or_method.lower()

            def predicate(call: Call) -> bool:
                return call.method.lower() == name
        else:
            predicate = predicate_or_method
        for call in self.calls:
            if (since is None or call.seq > since) and predicate(call):
                return call
        floor = -1 if since is None else since
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiters.append((lambda c: c.seq > floor and predicate(c), future))
        return await asyncio.wait_for(future, timeout)

    async def wait_for_message(
        self,
        chat_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109
        contains: str | None = None,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        """The bot's next message (text, document or photo) in ``chat_id``, as kept (edits show).

        By default only messages sent after the last ``push_*`` to this chat count, so it
        returns "the reply"; ``contains`` filters on text or caption; ``since`` overrides the
        cut-off with a :attr:`Call.seq`.
        """
        floor = self._last_push_seq.get(chat_id, 0) if since is None else since

        def predicate(call: Call) -> bool:
            if call.seq <= floor or call.status != 200 or call.chat_id != chat_id:
                return False
            if call.method.lower() not in _SEND_RESULTS:
                return False
            result = call.result
            return contains is None or contains in (
                result.get("text") or result.get("caption") or ""
            )

        call = await self.wait_for(predicate, timeout)
        return call.result

    async def wait_for_webhook_delivery(self, update_id: int, timeout: float = 5.0) -> dict:  # noqa: ASYNC109
        """Wait until update ``update_id`` was POSTed to the webhook; returns the record."""
        for record in self.webhook_deliveries:
            if record["update_id"] == update_id:
                return record
        future = self._delivery_waiters.get(update_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._delivery_waiters[update_id] = future
        return await asyncio.wait_for(asyncio.shield(future), timeout)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, Any] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON") from None
            if isinstance(body, dict):
                raw.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = value
                else:
                    raw[key] = value
    params = decode_params(raw)
    params.update(files)
    return params, files


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, body=_dumps(body).encode(), content_type="application/json")


def _short(params: dict[str, Any]) -> str:
    text = _dumps({k: v for k, v in params.items() if not isinstance(v, web.FileField)})
    return text if len(text) < 300 else text[:297] + "..."


def main(argv: list[str] | None = None) -> None:
    """Run the server standalone: ``python -m sandbox.local_servers.bot_api --port 8081``."""
    parser = argparse.ArgumentParser(description="Local Telegram-compatible Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this token (default: any)")
    parser.add_argument("--username", default="mentorbot_demo_bot")
    parser.add_argument("--enforce-limits", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="do not log every call")
    parser.add_argument(
        "--control", action="store_true", help="mount /_local/ routes to push updates (benchmarks)"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=1000,
        help="bot messages kept per chat (0: none, for benchmarks)",
    )
    parser.add_argument("--calls-kept", type=int, default=10_000, help="calls kept for /_local/")
    parser.add_argument(
        "--webhook-attempts", type=int, default=1, help="deliveries of one update (retries)"
    )
    parser.add_argument("--webhook-retry-delay", type=float, default=0.2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    async def run() -> None:
        server = LocalBotApi(
            token=args.token, username=args.username, enforce_limits=args.enforce_limits,
            log_calls=not args.quiet, history_per_chat=args.history, control=args.control,
            calls_maxlen=args.calls_kept,
        )  # fmt: skip
        server.webhook_attempts = args.webhook_attempts
        server.webhook_retry_delay = args.webhook_retry_delay
        await server.start(args.host, args.port)
        log.info("Bot API on %s (files: %s)", server.base_url, server.base_file_url)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
