"""``mentorbot demo --channel whatsapp``: a Dutch customer's journey on WhatsApp, offline.

The real bot against the local WhatsApp Cloud API server (signed webhooks to the bot's own web
server on a free local port), the local Slack server with simulated support staff, on a demo
clock: click-to-chat opt-in, the delivery check-in opened by a template, an unhappy NPS with
words, the case in Slack with replies both ways, the resolve note with a voucher, "did we fix
it?", and a happy customer's ambassador ask.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.markup import escape
from sqlalchemy import select

from bot.advocacy_wiring import run_advocacy
from bot.app import Mentorbot
from bot.config import Config
from sandbox.demo_support import DEMO_SUPPORT, TOKEN, DemoDesk, slack_section
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_limits import Limits
from sandbox.local_servers.whatsapp_api_state import Sent
from sandbox.whatsapp_templates import TEMPLATES, register_templates
from storage.models import Case

APP_SECRET = "demo-app-secret"
JOOST, BRAM = "31612345678", "31687654321"


@asynccontextmanager
async def serving(bot: Mentorbot) -> AsyncIterator[str]:
    """The bot's web app on a free local port (the webhooks' target); yields its URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(bot.web_app(), log_level="warning", lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait([task], timeout=5)
        sock.close()


def demo_config(directory: Path, tg: LocalBotApi, slack: LocalSlackApi,
                wa: LocalWhatsAppApi) -> Config:  # fmt: skip
    """The demo shop: WhatsApp on the local server, the desk in the local Slack."""
    return Config.model_validate(
        {
            "data_dir": str(directory),
            "database": {"url": f"sqlite:///{directory / 'demo.db'}"},
            "default_language": "nl",
            "telegram": {
                "token": "1:DEMO",
                "base_url": tg.base_url,
                "base_file_url": tg.base_file_url,
                "rate_limit": False,
            },
            "slack": slack_section(slack),
            "support": DEMO_SUPPORT,
            "advocacy": {
                "public_url": "https://mentorbot.shop.example",
                "ambassadors": {
                    "enabled": True,
                    "delay": "1h",
                    "referral_url": "https://shop.example/?ref={code}",
                },
            },
            "whatsapp": {
                "enabled": True,
                "token": wa.token,
                "phone_number_id": wa.phone_number_id,
                "app_secret": APP_SECRET,
                "verify_token": "demo-verify",
                "business_number": wa.display_phone_number,
                "base_url": wa.base_url,
                "pair_interval": 0.06,
                "templates": TEMPLATES,
            },
        }
    )


class WhatsAppStory:
    """Plays the customers' side and prints the WhatsApp chats."""

    def __init__(self, wa: LocalWhatsAppApi, bot: Mentorbot, clock: Any, out: Console) -> None:
        self.wa, self.bot, self.clock, self.out = wa, bot, clock, out
        self.names = {JOOST: "Joost", BRAM: "Bram"}
        self.printed = 0

    def stamp(self) -> str:
        return f"[dim]{self.clock.now.astimezone():%a %d %b %H:%M}[/dim]"

    def later(self, **kwargs: float) -> None:
        """Move the demo clock and the server's (windows close)."""
        self.clock.now += timedelta(**kwargs)
        self.wa.advance(timedelta(**kwargs).total_seconds())

    async def settle(self) -> None:
        assert self.bot.whatsapp is not None
        for _ in range(3):
            await asyncio.sleep(0.05)
            await self.bot.whatsapp.inbox.idle(timeout=10)

    def show(self) -> None:
        """Print what the bot sent on WhatsApp since the last print."""
        for sent in [s for s in self.wa.sent if s.seq > self.printed]:
            kind = f"template {sent.template}" if sent.template else sent.kind
            self.out.print(f"{self.stamp()} [green]Mentorbot → {self.names.get(sent.wa_id)}[/green]"
                           f" [dim]({kind})[/dim]: {escape(sent.text)}")  # fmt: skip
            if sent.options:
                titles = " | ".join(o["title"] for o in sent.options)
                self.out.print(f"      [dim][ {escape(titles)} ][/dim]")
            self.printed = sent.seq

    async def say(self, wa_id: str, text: str) -> Sent:
        self.out.print(f"{self.stamp()} [cyan]{self.names[wa_id]}[/cyan] → {escape(text)}")
        since = self.wa.last_seq
        self.wa.customer_text(wa_id, text)
        reply = await self.wa.wait_for_sent(wa_id, since, timeout=10)
        await self.settle()
        self.show()
        return reply

    async def tap(self, wa_id: str, title: str) -> Sent:
        sent = next(s for s in reversed(self.wa.sent_to(wa_id)) if s.options)
        self.out.print(f"{self.stamp()} [cyan]{self.names[wa_id]}[/cyan] taps [bold]{title}[/bold]")
        since = self.wa.last_seq
        option = next(o for o in sent.options if o["title"] == title)
        if sent.kind == "template":
            self.wa.customer_quick_reply(wa_id, sent, sent.options.index(option))
        else:
            self.wa.customer_choice(wa_id, sent, option["id"])
        reply = await self.wa.wait_for_sent(wa_id, since, timeout=10)
        await self.settle()
        self.show()
        return reply

    async def buy(self, order: str, wa_id: str, name: str) -> str:
        (result,) = await self.bot.ingest([{
            "order_id": order, "product": "Wasmachine", "sku": "WM300",
            "purchased_at": (self.clock.now - timedelta(days=2)).isoformat(),
            "delivered_at": self.clock.now.isoformat(),
            "customer": {"name": name, "email": f"{order.lower()}@example.com",
                         "phone": f"+{wa_id}", "language": "nl"},
        }])  # fmt: skip
        token = str(result["opt_in_link"].split("start=")[1])
        assert self.bot.whatsapp is not None
        link = self.bot.whatsapp.config.click_to_chat(token)
        self.out.print(f"{self.stamp()} order {order} for {name}; confirmation link: {link}")
        return token

    async def dispatch(self) -> None:
        await self.bot.dispatch()
        await self.settle()
        self.show()


async def run_whatsapp_demo(out: Console) -> dict[str, Any]:
    """Play the story; returns a few figures for the summary (and the tests)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = type("DemoClock", (), {"now": start, "__call__": lambda self: self.now})()
    with tempfile.TemporaryDirectory() as tmp:
        wa = LocalWhatsAppApi(app_secret=APP_SECRET, limits=Limits(80, 0.05, 1000))
        register_templates(wa)
        async with LocalBotApi() as tg, LocalSlackApi(TOKEN) as slack, wa:
            bot = Mentorbot(demo_config(Path(tmp), tg, slack, wa), clock=clock)
            await bot.migrate()
            bot.build_telegram()
            await bot.start_telegram(poll_interval=0)
            desk = None
            try:
                async with serving(bot) as url:
                    wa.webhooks.set_url(f"{url}/whatsapp/webhook")
                    story = WhatsAppStory(wa, bot, clock, out)
                    desk = DemoDesk(slack, bot, out, story.stamp)
                    out.rule(
                        "Mentorbot demo on WhatsApp: a local Meta server, Slack, Dutch customers"
                    )
                    await play(story, desk)
                    async with bot.db.session() as s:
                        cases = (await s.execute(select(Case))).scalars().all()
                    figures = {"whatsapp_messages": len(wa.sent),
                               "templates": sum(1 for s in wa.sent if s.template),
                               "cases": len(cases),
                               "recovered": sum(1 for c in cases if c.recovered),
                               "refused_by_meta": sum(wa.limiter.refused.values())}  # fmt: skip
                    out.rule("summary")
                    out.print(figures)
                    return figures
            finally:
                if desk is not None:
                    await desk.close()
                await bot.stop_telegram()
                await bot.close()


async def play(story: WhatsAppStory, desk: DemoDesk) -> None:
    """Joost's journey, and Bram's happy one beside it."""
    joost = await story.buy("NL-1001", JOOST, "Joost de Vries")
    bram = await story.buy("NL-1002", BRAM, "Bram Bakker")
    await story.say(JOOST, f"START {joost}")
    await story.say(BRAM, f"START {bram}")
    story.later(days=1, hours=2)  # the window has closed: a template opens the check-in
    await story.dispatch()
    for who in (JOOST, BRAM):
        await story.tap(who, "Antwoorden")
        await story.tap(who, "4")
        await story.tap(who, "Ja")
    story.later(days=13)
    await story.dispatch()
    await story.tap(JOOST, "Antwoorden")
    await story.tap(JOOST, "2")
    await story.say(
        JOOST, "De deur is kapot en er staat water in de keuken. Ik wil mijn geld terug!"
    )
    await story.tap(JOOST, "3")
    await story.tap(BRAM, "Antwoorden")
    await story.tap(BRAM, "10")
    await story.say(BRAM, "Geweldige machine, heel stil en de monteur was super vriendelijk!")
    await story.tap(BRAM, "7")
    for _ in range(4):  # claim, reply in the thread, resolve: relayed to WhatsApp
        story.later(minutes=20)
        await desk.tick()
        await story.settle()
        story.show()
        if _ == 1:
            await story.say(JOOST, "Top, dank je. Hoe laat ongeveer?")
    story.later(days=3)  # "did we fix it?", once the survey-fatigue gap has passed
    await story.dispatch()
    await story.tap(JOOST, "Antwoorden")
    await story.tap(JOOST, "Ja")
    await story.tap(JOOST, "9")
    # Bram's ambassador ask keeps the same gap; his window has closed, so a template asks first
    await run_advocacy(story.bot)
    await story.settle()
    story.show()
    await story.tap(BRAM, "Graag")
