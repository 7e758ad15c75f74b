"""Failure injection for the local Slack server (`slack_api.py`): outages, 429s, errors, latency.

Every request passes through `_injected` before its handler; an injected failure is recorded in
the call log like any other answer. See the `slack_api` module docstring for how slack_sdk reacts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web

from sandbox.local_servers.slack_state import Call

__all__ = ["SlackApiFaults"]


class _Disconnect(Exception):
    """Internal: the outage mode asks to drop the connection."""


class SlackApiFaults:
    """Mixin with the failure-injection controls and the check each request goes through."""

    clock: Callable[[], float]
    stats: Counter[str]
    _record: Callable[[Call], None]
    _outage: Literal["503", "disconnect"] | None
    _rate_limits: list[list[Any]]  # [method|None, retry_after, remaining]
    _failures: list[list[Any]]  # [method, error, remaining]
    _latency: float
    _lost_answers: list[list[Any]]  # [method, None, remaining]

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

    def lose_next_answer(self, method: str, times: int = 1) -> None:
        """Carry out the next `times` calls of `method`, then drop the connection instead of
        answering: the caller cannot tell whether it happened (a crash mid-call looks so)."""
        self._lost_answers.append([method, None, times])

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

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=503)
