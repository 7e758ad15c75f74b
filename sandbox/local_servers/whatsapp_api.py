"""A local WhatsApp Cloud API (Meta's Graph API) for the demo, the tests and the benchmarks.

Our own client talks to it over HTTP on 127.0.0.1::

    async with LocalWhatsAppApi(app_secret="s3cret", webhook_url=url) as server:
        server.add_template("delivery_checkin", "nl", "Hoi {{1}}, hoe is je {{2}} aangekomen?",
                            ("Goed", "Niet goed"))
        client = WhatsAppCloud(token=server.token, phone_number_id=server.phone_number_id,
                               base_url=server.base_url)
        server.customer_text("31612345678", "hallo")        # a signed webhook to ``url``

Routes: ``POST /{version}/{phone_number_id}/messages`` (bearer token; 401/190 otherwise; an
unknown phone number id is Graph's 400/100 with subcode 33), the media routes of
:mod:`sandbox.local_servers.whatsapp_api_media` (``GET /{version}/{media-id}`` and the
download URL it answers) and, with ``control=True``, the
``/_local/`` routes of :mod:`sandbox.local_servers.whatsapp_api_control`. Rules are in
``whatsapp_api_rules`` (payloads), ``whatsapp_api_limits`` (rates), ``whatsapp_api_state``
(window, templates, webhook shapes) and ``whatsapp_api_webhooks`` (signed delivery).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from sandbox.local_servers.http_site import LocalSite
from sandbox.local_servers.whatsapp_api_control import add_control_routes
from sandbox.local_servers.whatsapp_api_errors import GraphError, error_body, webhook_error
from sandbox.local_servers.whatsapp_api_limits import Limits
from sandbox.local_servers.whatsapp_api_media import CustomerMediaStore, Media
from sandbox.local_servers.whatsapp_api_state import Sent, WhatsAppApiState
from sandbox.local_servers.whatsapp_api_webhooks import WebhookSender

__all__ = ["GraphError", "Limits", "LocalWhatsAppApi", "main"]

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


class LocalWhatsAppApi(CustomerMediaStore, WhatsAppApiState):
    """An in-process aiohttp server speaking the Cloud API's messages endpoint (see above).

    Arguments are those of :class:`WhatsAppApiState` plus ``app_secret`` (signs webhooks),
    ``webhook_url`` (where customer messages and statuses go) and ``control`` (mount the
    ``/_local/`` routes).
    """

    def __init__(
        self,
        *,
        app_secret: str = "LOCAL-APP-SECRET",
        webhook_url: str | None = None,
        control: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.app_secret = app_secret
        self.control = control
        self.webhooks = WebhookSender(app_secret, webhook_url)
        self.calls = 0
        self._site = LocalSite(shutdown_timeout=0.5)
        self._sent_event = asyncio.Event()
        self.media: dict[str, Media] = {}
        self._media_urls: dict[str, tuple[str, float]] = {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalWhatsAppApi:
        """Start listening; ``port=0`` picks a free port."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/{version}/{phone_number_id}/messages", self._handle)
        self.add_media_routes(app)
        if self.control:
            add_control_routes(app, self)
        await self._site.start(app, host, port)
        return self

    async def stop(self) -> None:
        """Stop the webhook sender and the server."""
        await self.webhooks.close()
        await self._site.stop()

    async def __aenter__(self) -> LocalWhatsAppApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The client's ``base_url``: ``http://HOST:PORT`` (the client adds version and id)."""
        return f"http://{self._site.host}:{self._site.port}"

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        try:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                raise GraphError(190, "Error validating access token: the token is not valid")
            pnid = request.match_info["phone_number_id"]
            if pnid != self.phone_number_id:
                raise GraphError(
                    100, f"Unsupported post request. Object with ID '{pnid}' does not exist",
                    subcode=33,
                )  # fmt: skip
            try:
                body = json.loads(await request.read())
            except (ValueError, UnicodeDecodeError):
                raise GraphError(100, "the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise GraphError(100, "the request body must be a JSON object")
            response, statuses = self.accept(body)
        except GraphError as error:
            return web.json_response(error_body(error), status=error.http_status)
        for status in statuses:
            self.webhooks.enqueue(status)
        if "messages" in response:
            event, self._sent_event = self._sent_event, asyncio.Event()
            event.set()
        return web.json_response(response)

    # ------------------------------------------------------------------ simulated customers
    def customer_text(self, wa_id: str, text: str, **kwargs: Any) -> str:
        """A customer writes ``text``: a signed webhook; returns the message's wamid."""
        return self._push(self.inbound(wa_id, "text", {"body": text}, **kwargs))

    def customer_media(
        self,
        wa_id: str,
        kind: str,
        caption: str | None = None,
        media: Media | None = None,
        **kwargs: Any,
    ) -> str:
        """A customer sends an image, video, document, audio or sticker, with ``caption``
        where the type has one; the file is ``media`` (by default a small JPEG), fetchable by
        its id. Returns the message's wamid."""
        content: dict[str, Any] = (media or self.add_media()).webhook()
        if caption is not None:
            content["caption"] = caption
        return self._push(self.inbound(wa_id, kind, content, **kwargs))

    def customer_reaction(self, wa_id: str, sent: Sent, emoji: str, **kwargs: Any) -> str:
        """A customer reacts to the business's message ``sent`` with ``emoji``."""
        content = {"message_id": sent.message_id, "emoji": emoji}
        return self._push(self.inbound(wa_id, "reaction", content, **kwargs))

    def customer_quick_reply(self, wa_id: str, sent: Sent, index: int, **kwargs: Any) -> str:
        """A customer taps quick reply ``index`` of the template message ``sent``."""
        if sent.kind != "template" or not 0 <= index < len(sent.options):
            raise ValueError(f"{sent.message_id} has no quick reply {index}")
        option = sent.options[index]
        content = {"payload": option["id"], "text": option["title"]}
        return self._push(self.inbound(wa_id, "button", content, context_id=sent.message_id,
                                       **kwargs))  # fmt: skip

    def customer_choice(self, wa_id: str, sent: Sent, option_id: str, **kwargs: Any) -> str:
        """A customer taps the reply button or list row ``option_id`` of ``sent``."""
        option = next((o for o in sent.options if o["id"] == option_id), None)
        if option is None or not sent.kind.startswith("interactive"):
            raise ValueError(f"{sent.message_id} has no button or row {option_id!r}")
        reply = "button_reply" if sent.kind == "interactive_button" else "list_reply"
        content = {"type": reply, reply: dict(option)}
        return self._push(self.inbound(wa_id, "interactive", content,
                                       context_id=sent.message_id, **kwargs))  # fmt: skip

    def push_status(self, message_id: str, status: str, error_code: int | None = None) -> None:
        """Send a status webhook (delivered, read, failed with ``error_code``) for a message."""
        sent = self.find_sent(message_id)
        if sent is None:
            raise KeyError(f"no sent message {message_id}")
        error = webhook_error(error_code, "reported by the control API") if error_code else None
        self.webhooks.enqueue(self.status_payload(sent, status, error))

    def _push(self, body: dict[str, Any]) -> str:
        self.webhooks.enqueue(body)
        return str(body["entry"][0]["changes"][0]["value"]["messages"][0]["id"])

    # ------------------------------------------------------------------ waiting
    async def wait_for_sent(
        self,
        wa_id: str,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Sent:
        """The first message sent to ``wa_id`` after sequence number ``since``."""
        async with asyncio.timeout(timeout):
            while True:
                found = self.sent_to(wa_id, since)
                if found:
                    return found[0]
                await self._sent_event.wait()

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest sent message (pass as ``since``)."""
        return self.sent[-1].seq if self.sent else 0


def main(argv: list[str] | None = None) -> None:
    """Run standalone: ``python -m sandbox.local_servers.whatsapp_api --port 8082``."""
    parser = argparse.ArgumentParser(description="Local WhatsApp Cloud API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", default="LOCAL-WA-TOKEN")
    parser.add_argument("--phone-number-id", default="100000000000001")
    parser.add_argument("--app-secret", default="LOCAL-APP-SECRET")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--throughput", type=int, default=80)
    parser.add_argument("--pair-interval", type=float, default=6.0)
    parser.add_argument("--daily-tier", type=int, default=1000)
    parser.add_argument("--no-limits", action="store_true")
    parser.add_argument("--no-statuses", action="store_true", help="no sent/delivered webhooks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    limits = Limits(args.throughput, args.pair_interval, args.daily_tier, not args.no_limits)

    async def run() -> None:
        server = LocalWhatsAppApi(
            token=args.token, phone_number_id=args.phone_number_id, app_secret=args.app_secret,
            webhook_url=args.webhook_url, control=True, limits=limits,
        )  # fmt: skip
        if args.no_statuses:
            server.auto_statuses = ()
        await server.start(args.host, args.port)
        log.info("WhatsApp Cloud API on %s", server.base_url)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
