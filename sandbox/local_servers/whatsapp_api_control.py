"""Remote control of a local WhatsApp Cloud API server (tests, the demo, benchmarks).

Mounted with ``control=True``; JSON over HTTP:

- ``POST /_local/customer`` ``{"wa_id", "kind": "text" | "quick_reply" | "choice", "text",
  "message_id" (the business message replied to), "index" (quick reply), "option_id" (button or
  list row), "name"}``: a simulated customer writes or taps; a signed webhook goes out. Answers
  ``{"message_id"}`` (the customer message's wamid).
- ``GET /_local/sent?wa_id=W&since=SEQ``: what the business sent (to W), with payloads, the
  text the customer reads, the tap options, times and statuses.
- ``POST /_local/clock`` ``{"advance": seconds}``: move the server clock (windows close).
- ``POST /_local/limits`` ``{"throughput", "pair_interval", "daily_tier", "enforce"}``.
- ``POST /_local/unreachable`` ``{"wa_id", "mode": "async" | "sync" | null}``: the number
  cannot be reached (a failed status with 131026, or a refused call with 131026); null heals.
- ``POST /_local/templates`` ``{"name", "language", "body", "quick_replies", "status"}``.
- ``POST /_local/webhook`` ``{"url", "attempts", "retry_delay", "duplicate", "statuses",
  "verify_token"}``: with ``verify_token``, the URL is first checked with Meta's GET
  verification request and is not set unless it echoes the challenge (answer 409 then).
- ``POST /_local/status`` ``{"message_id", "status", "error_code"}``: a status webhook.
- ``GET /_local/stats``: accepted messages, the most in any rolling second (accepted and
  attempted), refusals per error code, throttled refusals, webhook answers per status.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.local_servers.control_client import ControlClient
from sandbox.local_servers.whatsapp_api_errors import GraphError, error_body

if TYPE_CHECKING:
    from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi

__all__ = ["THROTTLE_CODES", "WhatsAppControl", "add_control_routes"]

THROTTLE_CODES = (130429, 131048, 131056)


def add_control_routes(app: web.Application, server: LocalWhatsAppApi) -> None:
    """Mount the ``/_local/`` routes for ``server``; a request they cannot read is a 400."""

    @web.middleware
    async def bad_requests(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/_local/"):
            return await handler(request)
        try:
            return await handler(request)
        except (KeyError, ValueError, TypeError, GraphError) as exc:  # JSON errors are ValueError
            raise web.HTTPBadRequest(text=f"{type(exc).__name__}: {exc}") from None

    app.middlewares.append(bad_requests)

    async def customer(request: web.Request) -> web.Response:
        body = await request.json()
        wa_id, kind, name = str(body["wa_id"]), body.get("kind", "text"), body.get("name", "Klant")
        if kind == "text":
            context = body.get("message_id")
            message_id = server.customer_text(wa_id, str(body["text"]), name=name,
                                              context_id=context)  # fmt: skip
        else:
            sent = server.find_sent(str(body["message_id"]))
            if sent is None:
                raise web.HTTPNotFound(text=f"no sent message {body['message_id']}")
            try:
                if kind == "quick_reply":
                    index = int(body["index"])
                    message_id = server.customer_quick_reply(wa_id, sent, index, name=name)
                else:
                    option = str(body["option_id"])
                    message_id = server.customer_choice(wa_id, sent, option, name=name)
            except ValueError as exc:
                raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"message_id": message_id})

    async def sent(request: web.Request) -> web.Response:
        wa_id, since = request.query.get("wa_id"), int(request.query.get("since", "0"))
        found = [
            dataclasses.asdict(s)
            for s in list(server.sent)
            if s.seq > since and (wa_id is None or s.wa_id == wa_id)
        ]
        return web.json_response({"sent": found})

    async def clock(request: web.Request) -> web.Response:
        server.advance(float((await request.json()).get("advance", 0)))
        return web.json_response({"now": server.now()})

    async def limits(request: web.Request) -> web.Response:
        current = server.limiter.limits
        for key, value in (await request.json()).items():
            if key not in {f.name for f in dataclasses.fields(current)}:
                raise web.HTTPBadRequest(text=f"unknown limit {key!r}")
            setattr(current, key, value)
        return web.json_response(dataclasses.asdict(current))

    async def unreachable(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("mode") is None:
            server.unreachable.pop(str(body["wa_id"]), None)
        else:
            server.unreachable[str(body["wa_id"])] = str(body["mode"])
        return web.json_response({"unreachable": server.unreachable})

    async def templates(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            template = server.add_template(
                body["name"], body["language"], body["body"],
                tuple(body.get("quick_replies", ())), body.get("status", "APPROVED"),
            )  # fmt: skip
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"param_count": template.param_count})

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        sender = server.webhooks
        for key in ("attempts", "retry_delay", "duplicate"):
            if key in body:
                setattr(sender, key, body[key])
        if "statuses" in body:
            server.auto_statuses = tuple(body["statuses"])
        if "url" in body:
            token = body.get("verify_token")
            if token is not None and not await sender.verify(body["url"], str(token)):
                return web.json_response({"url": sender.url, "verified": False}, status=409)
            sender.set_url(body["url"])
        return web.json_response({"url": sender.url, "verified": "verify_token" in body})

    async def status(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            server.push_status(str(body["message_id"]), str(body["status"]),
                               body.get("error_code"))  # fmt: skip
        except KeyError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        except GraphError as error:
            return web.json_response(error_body(error), status=error.http_status)
        return web.json_response({"ok": True})

    async def stats(_request: web.Request) -> web.Response:
        limiter = server.limiter
        return web.json_response(
            {
                "calls": server.calls,
                "accepted": len(limiter.accepted),
                "max_in_rolling_second": limiter.max_in_second(),
                "max_attempts_in_rolling_second": limiter.max_attempts_in_second(),
                "refused": {str(code): n for code, n in limiter.refused.items()},
                "throttled": sum(limiter.refused[c] for c in THROTTLE_CODES),
                "webhook_answers": dict(Counter(str(d.status) for d in server.webhooks.deliveries)),
            }
        )

    app.router.add_post("/_local/customer", customer)
    app.router.add_get("/_local/sent", sent)
    app.router.add_post("/_local/clock", clock)
    app.router.add_post("/_local/limits", limits)
    app.router.add_post("/_local/unreachable", unreachable)
    app.router.add_post("/_local/templates", templates)
    app.router.add_post("/_local/webhook", webhook)
    app.router.add_post("/_local/status", status)
    app.router.add_get("/_local/stats", stats)


class WhatsAppControl(ControlClient):
    """The client side of the ``/_local/`` routes of a server at ``http://HOST:PORT``."""

    async def customer_text(self, wa_id: str, text: str, name: str = "Klant") -> str:
        """A customer writes ``text``; returns the customer message's wamid."""
        body = {"wa_id": wa_id, "kind": "text", "text": text, "name": name}
        return str((await self._call("POST", "/_local/customer", json=body))["message_id"])

    async def quick_reply(self, wa_id: str, message_id: str, index: int) -> str:
        """A customer taps quick reply ``index`` of template message ``message_id``."""
        body = {"wa_id": wa_id, "kind": "quick_reply", "message_id": message_id, "index": index}
        return str((await self._call("POST", "/_local/customer", json=body))["message_id"])

    async def choose(self, wa_id: str, message_id: str, option_id: str) -> str:
        """A customer taps reply button or list row ``option_id`` of ``message_id``."""
        body = {"wa_id": wa_id, "kind": "choice", "message_id": message_id, "option_id": option_id}
        return str((await self._call("POST", "/_local/customer", json=body))["message_id"])

    async def sent(self, wa_id: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """What the business sent (to ``wa_id``) after ``since``, oldest first."""
        params: dict[str, Any] = {"since": since} | ({"wa_id": wa_id} if wa_id else {})
        return list((await self._call("GET", "/_local/sent", params=params))["sent"])

    async def advance_clock(self, seconds: float) -> float:
        """Move the server clock forward; returns the server's new time."""
        return float((await self._call("POST", "/_local/clock", json={"advance": seconds}))["now"])

    async def set_limits(self, **limits: Any) -> dict[str, Any]:
        """Change throughput, pair_interval, daily_tier or enforce."""
        return dict(await self._call("POST", "/_local/limits", json=limits))

    async def set_unreachable(self, wa_id: str, mode: str | None = "async") -> None:
        """Make ``wa_id`` unreachable ("async": failed status, "sync": refused), None heals."""
        await self._call("POST", "/_local/unreachable", json={"wa_id": wa_id, "mode": mode})

    async def add_template(
        self, name: str, language: str, body: str, quick_replies: tuple[str, ...] = (),
        status: str = "APPROVED",
    ) -> int:  # fmt: skip
        """Register a template; returns its parameter count."""
        payload = {"name": name, "language": language, "body": body,
                   "quick_replies": list(quick_replies), "status": status}  # fmt: skip
        return int((await self._call("POST", "/_local/templates", json=payload))["param_count"])

    async def set_webhook(self, **settings: Any) -> None:
        """Set url, attempts, retry_delay, duplicate, statuses (auto statuses after a send);
        with verify_token, Meta's GET verification of the url first (409 if it fails)."""
        await self._call("POST", "/_local/webhook", json=settings)

    async def push_status(
        self, message_id: str, status: str, error_code: int | None = None
    ) -> None:
        """Send a status webhook for a sent message."""
        body = {"message_id": message_id, "status": status, "error_code": error_code}
        await self._call("POST", "/_local/status", json=body)

    async def stats(self) -> dict[str, Any]:
        """The server's counters (see ``GET /_local/stats``)."""
        return dict(await self._call("GET", "/_local/stats"))
