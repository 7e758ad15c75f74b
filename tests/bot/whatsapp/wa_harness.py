"""A running Mentorbot with WhatsApp on the local Graph API server (and Telegram and Slack on
theirs): the bot's web server listens for the server's signed webhooks; customers write, tap
quick replies, buttons and list rows."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import uvicorn

from bot.app import Mentorbot
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_limits import Limits
from sandbox.local_servers.whatsapp_api_state import Sent
from sandbox.whatsapp_templates import TEMPLATES, register_templates
from tests.bot.channels.harness import FakeClock

APP_SECRET = "wa-app-secret"
VERIFY_TOKEN = "wa-verify-token"
PAIR = 0.05  # seconds between two messages to one customer, in these tests (Meta: 6)


def whatsapp_section(server: LocalWhatsAppApi, **overrides: Any) -> dict[str, Any]:
    """The ``whatsapp`` config for the local server."""
    return {
        "enabled": True,
        "token": server.token,
        "phone_number_id": server.phone_number_id,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "business_number": server.display_phone_number,
        "base_url": server.base_url,
        "pair_interval": PAIR * 1.2,
        "templates": TEMPLATES,
        **overrides,
    }


def local_whatsapp(**limits: Any) -> LocalWhatsAppApi:
    """The local Graph API server with the bot's templates approved, in English and Dutch."""
    server = LocalWhatsAppApi(
        app_secret=APP_SECRET,
        limits=Limits(**{"throughput": 80, "pair_interval": PAIR, **limits}),
        control=True,
    )
    register_templates(server)
    return server


@asynccontextmanager
async def serving(bot: Mentorbot) -> AsyncIterator[str]:
    """The bot's web app on a free local port; yields its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(bot.web_app(), log_level="warning", lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait([task], timeout=5)
        sock.close()


@dataclass
class WhatsAppHarness:
    """The bot, the local Graph API server and the clocks of both."""

    server: LocalWhatsAppApi
    bot: Mentorbot
    clock: FakeClock
    url: str

    def later(self, **kwargs: float) -> None:
        """Move both clocks: the bot's (check-ins fall due) and the server's (windows close)."""
        self.clock.advance(**kwargs)
        self.server.advance(timedelta(**kwargs).total_seconds())

    async def buy(self, order: str, phone: str | None, lang: str = "nl", days_ago: int = 0,
                  name: str = "Anne de Vries", consent: bool = True) -> str:  # fmt: skip
        """A purchase arrives; returns the opt-in code for the click-to-chat link."""
        delivered = self.clock.now - timedelta(days=days_ago)
        customer: dict[str, Any] = {"name": name, "email": f"{order.lower()}@example.com",
                                    "language": lang}  # fmt: skip
        if phone is not None:
            customer["phone"] = phone
        (result,) = await self.bot.ingest(
            [{"order_id": order, "product": "Wasmachine", "sku": "WM300",
              "purchased_at": (delivered - timedelta(days=2)).isoformat(),
              "delivered_at": delivered.isoformat(), "customer": customer,
              "consent_checkins": consent}]
        )  # fmt: skip
        return str(result["opt_in_link"].split("start=")[1])

    async def write(self, wa_id: str, text: str) -> Sent:
        """The customer writes; returns the bot's first message after it."""
        since = self.server.last_seq
        self.server.customer_text(wa_id, text)
        return await self.server.wait_for_sent(wa_id, since)

    async def tap(self, wa_id: str, sent: Sent, title: str) -> Sent:
        """The customer taps the option titled ``title`` of ``sent`` (a template's quick reply,
        a reply button or a list row); returns the bot's next message."""
        since = self.server.last_seq
        (index,) = [i for i, o in enumerate(sent.options) if o["title"] == title]
        if sent.kind == "template":
            self.server.customer_quick_reply(wa_id, sent, index)
        else:
            self.server.customer_choice(wa_id, sent, sent.options[index]["id"])
        return await self.server.wait_for_sent(wa_id, since)

    async def next_sent(self, wa_id: str, since: int, contains: str = "") -> Sent:
        """The first message to ``wa_id`` after ``since`` whose text has ``contains``."""
        while True:
            sent = await self.server.wait_for_sent(wa_id, since)
            if contains in sent.text:
                return sent
            since = sent.seq

    async def settle(self) -> None:
        """Let webhooks and the updates they carry finish."""
        for _ in range(3):
            await asyncio.sleep(0.05)
            wiring = self.bot.whatsapp
            await wiring.inbox.idle(timeout=10)

    def texts(self, wa_id: str) -> list[str]:
        """Everything the bot sent the customer, in order."""
        return [s.text for s in self.server.sent_to(wa_id)]


@asynccontextmanager
async def whatsapp_bot(
    bot: Mentorbot, server: LocalWhatsAppApi, clock: FakeClock
) -> AsyncIterator[WhatsAppHarness]:
    """Serve ``bot``'s web app, point the server's webhooks at it, start the channels."""
    async with serving(bot) as url:
        server.webhooks.set_url(f"{url}/whatsapp/webhook")
        yield WhatsAppHarness(server, bot, clock, url)
