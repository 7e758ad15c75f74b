"""Webhook deliveries of the local WhatsApp Cloud API: signed, retried, at least once.

Meta signs every webhook POST with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
body, keyed with the app secret>`` (Meta's "Webhooks" getting-started guide, "Validating
payloads"), and retries a delivery that is not answered 200 (with decreasing frequency, for up
to 7 days), so a receiver may see the same notification more than once. Here a delivery not
answered 200 is sent again after ``retry_delay`` seconds, ``attempts`` times at most, before the
deliveries after it; :attr:`WebhookSender.duplicate` makes every delivery go out twice even
when answered 200 (Meta's "at least once" made visible).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["Delivery", "WebhookSender", "sign"]


def sign(app_secret: str, raw_body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``raw_body``."""
    digest = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass
class Delivery:
    """One POST of a webhook body: which ids it carried, the attempt, how it was answered."""

    ids: list[str]
    attempt: int
    status: int | None
    error: str | None = None


def ids_in(body: dict[str, Any]) -> list[str]:
    """The message ids (customer messages and statuses) a webhook body carries."""
    found = []
    for entry in body.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            found += [m["id"] for m in value.get("messages", [])]
            found += [s["id"] for s in value.get("statuses", [])]
    return found


class WebhookSender:
    """Posts webhook bodies to ``url`` in order, signed with ``app_secret``."""

    def __init__(self, app_secret: str, url: str | None = None) -> None:
        self.app_secret = app_secret
        self.url = url
        self.attempts = 3
        self.retry_delay = 0.2
        self.duplicate = False
        self.deliveries: list[Delivery] = []
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def enqueue(self, body: dict[str, Any]) -> bytes:
        """Queue ``body`` for delivery (kept if no URL is set yet); returns the raw bytes."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        self._queue.put_nowait(raw)
        self._idle.clear()
        if self.url and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())
        return raw

    def set_url(self, url: str | None) -> None:
        """Deliver to ``url`` from now on (queued bodies go out too)."""
        self.url = url
        if url and not self._queue.empty() and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def verify(self, url: str, verify_token: str) -> bool:
        """Meta's verification request: GET ``url`` with ``hub.mode=subscribe``,
        ``hub.verify_token`` and a random ``hub.challenge``; True when the answer is 200 with
        the challenge as its body (then Meta subscribes the URL)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        challenge = str(secrets.randbelow(10**10))
        params = {"hub.mode": "subscribe", "hub.verify_token": verify_token,
                  "hub.challenge": challenge}  # fmt: skip
        try:
            async with self._session.get(url, params=params) as answer:
                return answer.status == 200 and (await answer.text()).strip() == challenge
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every queued body was delivered (or gave up)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        """Stop delivering; queued bodies are dropped."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while self.url:
            try:
                raw = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                self._idle.set()
                return
            ok = await self._deliver(raw)
            if ok and self.duplicate:
                await self._deliver(raw)

    async def _deliver(self, raw: bytes) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(self.app_secret, raw),
        }
        ids = ids_in(json.loads(raw))
        for attempt in range(1, self.attempts + 1):
            delivery = Delivery(ids, attempt, None)
            try:
                async with self._session.post(str(self.url), data=raw, headers=headers) as answer:
                    delivery.status = answer.status
                    await answer.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                delivery.error = repr(exc)
            self.deliveries.append(delivery)
            if delivery.status == 200:
                return True
            if attempt < self.attempts:
                await asyncio.sleep(self.retry_delay)
        return False
