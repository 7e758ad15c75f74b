"""Remote control of a local Bot API server in another process (benchmarks).

The real Telegram is on another machine; a benchmark that runs the local server in its own
process keeps the server's CPU out of the figures it measures. The simulated customers then need
a way in: these routes (mounted only with ``control=True`` / ``--control``) push updates and
read back what the bot sent.

- ``POST /_local/push`` with ``{"messages": [[chat_id, text], ...],
  "callbacks": [[chat_id, message_id, data], ...]}`` queues the updates, in that order.
- ``GET /_local/last?first=C&count=N``: the bot's newest message in chats C .. C+N-1.
- ``GET /_local/stats``: calls per method, failures, 429s, and the accepted sends: how many,
  the most in any rolling second, seconds from the first to the last, and per whole second;
  the most send attempts (refused ones too) in any rolling second.
- ``GET /_local/calls?since=SEQ[&method=M]``: the calls after SEQ (method, params, arrival
  time, status, result) and how the webhook deliveries were answered, for a test that reads
  what the bot sent (the chaos test).
- ``POST /_local/age_callbacks?seconds=S``: every callback query so far becomes S seconds older
  (a tap handled late: answerCallbackQuery refuses queries past Telegram's limit).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.local_servers.bot_api_limits import max_in_window
from sandbox.local_servers.control_client import ControlClient

if TYPE_CHECKING:
    from sandbox.local_servers.bot_api import LocalBotApi

__all__ = ["RemoteControl", "add_control_routes"]


def add_control_routes(app: web.Application, server: LocalBotApi) -> None:
    """Mount the ``/_local/`` routes for ``server`` on its aiohttp application."""

    async def push(request: web.Request) -> web.Response:
        body = await request.json()
        for chat_id, text in body.get("messages", []):
            server.push_message(int(chat_id), str(text))
        for chat_id, message_id, data in body.get("callbacks", []):
            server.push_callback(int(chat_id), int(message_id), str(data))
        return web.json_response({"ok": True})

    async def last(request: web.Request) -> web.Response:
        first = int(request.query["first"])
        count = int(request.query.get("count", "1"))
        found = {}
        for chat_id in range(first, first + count):
            kept = server.messages(chat_id)
            if kept:
                found[str(chat_id)] = kept[-1]
        return web.json_response(found)

    async def age_callbacks(request: web.Request) -> web.Response:
        server.age_callbacks(float(request.query["seconds"]))
        return web.json_response({"ok": True})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "by_method": dict(server.stats.by_method),
                "failed": server.stats.failed,
                "rejected_429": server.stats.rejected_429,
                "accepted_sends": len(server.send_windows.accepted),
                "max_sends_in_rolling_second": server.send_windows.max_in_window(1.0),
                "first_to_last_send_s": server.send_windows.span(),
                "max_attempts_in_rolling_second": max_in_window(
                    list(server.send_windows.attempted), 1.0
                ),
                "sends_per_second": server.send_windows.per_second(),
            }
        )

    async def calls(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        method = request.query.get("method")
        found = [
            {
                "seq": c.seq,
                "method": c.method,
                "params": {k: v for k, v in c.params.items() if not isinstance(v, web.FileField)},
                "time": c.time,
                "status": c.status,
                "result": c.result,
            }
            for c in list(server.calls)
            if c.seq > since and (method is None or c.method == method)
        ]
        statuses = Counter(str(d.get("status")) for d in server.webhook_deliveries)
        body = json.dumps({"calls": found, "webhook_statuses": statuses}, default=str)
        return web.Response(body=body.encode(), content_type="application/json")

    app.router.add_post("/_local/push", push)
    app.router.add_get("/_local/calls", calls)
    app.router.add_get("/_local/last", last)
    app.router.add_get("/_local/stats", stats)
    app.router.add_post("/_local/age_callbacks", age_callbacks)


class RemoteControl(ControlClient):
    """The client side of the ``/_local/`` routes, for a server at ``http://HOST:PORT``."""

    async def push(
        self,
        messages: Sequence[tuple[int, str]] = (),
        callbacks: Sequence[tuple[int, int, str]] = (),
    ) -> None:
        """Simulated customers write ``messages`` and press ``callbacks``."""
        await self._call(
            "POST", "/_local/push", json={"messages": list(messages), "callbacks": list(callbacks)}
        )

    async def last_messages(self, first: int, count: int) -> dict[int, dict[str, Any]]:
        """The bot's newest message per chat in ``first .. first+count-1`` (chats with one)."""
        found = await self._call("GET", "/_local/last", params={"first": first, "count": count})
        return {int(chat): message for chat, message in found.items()}

    async def stats(self) -> dict[str, Any]:
        """The server's counters (see ``GET /_local/stats``)."""
        return dict(await self._call("GET", "/_local/stats"))

    async def calls(self, method: str) -> int:
        """How many calls of ``method`` the server has answered so far."""
        stats = await self._call("GET", "/_local/stats")
        return int(stats["by_method"].get(method, 0))

    async def calls_after(
        self, seq: int, method: str | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """The calls after ``seq`` (of ``method`` only, if given), oldest first, each with its
        seq, method, params, arrival time (the server's wall clock), status and result; and how
        the webhook deliveries so far were answered (status: count)."""
        params: dict[str, Any] = {"since": seq}
        if method is not None:
            params["method"] = method
        found = await self._call("GET", "/_local/calls", params=params)
        return list(found["calls"]), dict(found["webhook_statuses"])

    async def age_callbacks(self, seconds: float) -> None:
        """Make every callback query so far ``seconds`` older (a tap handled late)."""
        await self._call("POST", "/_local/age_callbacks", params={"seconds": seconds})
