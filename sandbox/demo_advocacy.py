"""The advocacy part of ``mentorbot demo``: one customer from a finished check-in to a purchase
her friend made through her referral link, against the demo's running bot and local server.

The demo's config needs :data:`DEMO_ADVOCACY` under ``advocacy`` and the bot needs
``install_advocacy``; :func:`run_advocacy_story` then plays the story on the demo clock and
returns the transcript lines (also printed to ``out`` when given).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from starlette.applications import Starlette

from bot.advocacy_wiring import advocacy_of, run_advocacy
from bot.redirects import redirect_routes

if TYPE_CHECKING:
    from rich.console import Console

    from bot.app import Mentorbot
    from sandbox.local_servers.bot_api import LocalBotApi

DEMO_ADVOCACY: dict[str, Any] = {
    "public_url": "https://mentorbot.shop.example",
    "reviews": {
        "enabled": True,
        "delay": "1h",
        "platforms": [
            {
                "name": "Trustpilot",
                "url": {
                    "en": "https://www.trustpilot.com/evaluate/shop.example",
                    "nl": "https://nl.trustpilot.com/evaluate/shop.example",
                },
            },
            {"name": "Google", "url": "https://g.page/r/shop-example/review"},
        ],
    },
    "ambassadors": {
        "enabled": True,
        "delay": "1h",
        "referral_url": "https://shop.example/welcome?ref={code}",
    },
}
"""The ``advocacy`` config section the demo runs with."""

CHAT = 5101
NAME = "Mia Chen"
STEP = timedelta(hours=6)


class Clock(Protocol):
    """The demo clock: a ``now`` the story moves."""

    now: datetime

    def __call__(self) -> datetime:
        """The current demo time."""
        ...


class AdvocacyStory:
    """Plays one ambassador's story and keeps its transcript."""

    def __init__(
        self, server: LocalBotApi, bot: Mentorbot, clock: Clock, out: Console | None
    ) -> None:
        self.server, self.bot, self.clock, self.out = server, bot, clock, out
        self.lines: list[str] = []
        self.seen = server.last_seq

    def note(self, who: str, text: str) -> None:
        """One transcript line, stamped with the demo time."""
        line = f"{self.clock.now.astimezone():%a %d %b %H:%M} {who} → {text}"
        self.lines.append(line)
        if self.out is not None:
            self.out.print(line, highlight=False, markup=False)

    async def settle(self) -> None:
        """Wait until the bot is quiet, then note its messages to the customer."""
        last = -1
        while last != self.server.last_seq:
            last = self.server.last_seq
            await asyncio.sleep(0.05)
        for call in self.server.calls:
            if call.seq <= self.seen or call.status != 200 or call.chat_id != CHAT:
                continue
            if call.method.lower() != "sendmessage":
                continue
            markup = call.result.get("reply_markup", {}).get("inline_keyboard", [])
            buttons = " ".join(f"[{b['text']}]" for row in markup for b in row)
            self.note("bot", call.result.get("text", "") + (f"\n    {buttons}" if buttons else ""))
        self.seen = self.server.last_seq

    async def reply(self, before: int) -> None:
        """Wait for the bot's answer to what the customer just did, then note it."""
        await self.server.wait_for_message(CHAT, timeout=10, since=before)
        await self.settle()

    async def say(self, text: str, shown: str | None = None) -> None:
        """The customer writes."""
        self.note(NAME, shown or text)
        before = self.server.last_seq
        self.server.push_message(CHAT, text, first_name=NAME.split()[0], language_code="en")
        await self.reply(before)

    async def tap(self, label: str) -> None:
        """The customer taps a button on the newest message that has it."""
        for message in reversed(self.server.messages(CHAT)):
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            data = [b["callback_data"] for row in rows for b in row if b["text"] == label]
            if data:
                self.note(NAME, f"taps [{label}]")
                before = self.server.last_seq
                self.server.push_callback(CHAT, message["message_id"], data[0])
                await self.reply(before)
                return
        raise LookupError(f"no button {label!r} in the demo chat")

    async def until(self, words: str, days: int = 10) -> None:
        """Let demo time pass (check-ins and advocacy rounds run) until the bot says ``words``."""
        end, before = self.clock.now + timedelta(days=days), len(self.lines)
        while self.clock.now < end:
            await self.bot.dispatch()
            await run_advocacy(self.bot)
            await self.settle()
            if any(words in line for line in self.lines[before:]):
                return
            self.clock.now += STEP
        raise TimeoutError(f"the bot never said {words!r}")

    async def run(self) -> list[str]:
        """The story, start to end; returns the transcript."""
        delivered = self.clock.now - timedelta(days=1)
        order = {
            "order_id": "DEMO-ADV-1",
            "product": "Espresso machine EM-5",
            "purchased_at": (delivered - timedelta(days=2)).isoformat(),
            "delivered_at": delivered.isoformat(),
            "customer": {"name": NAME, "email": "mia@example.com", "language": "en"},
        }
        (result,) = await self.bot.ingest([order])
        self.note("shop", f"purchase DEMO-ADV-1 (Espresso machine EM-5) for {NAME}")
        token = result["opt_in_link"].split("start=")[1]
        await self.say(f"/start {token}", shown="taps the link in the order mail")
        await self.until("How satisfied")
        await self.tap("5")
        await self.tap("Yes")
        await self.until("honest review")
        await self.until("How likely", days=16)
        await self.tap("10")
        await self.say("Wonderful coffee, so easy to clean, and the delivery was fast!")
        await self.tap("7")
        await self.until("like to do a little more", days=8)
        await self.tap("🔗 A link to share with friends")
        code = self.lines[-1].split("/r/")[1].split()[0]
        await self.tap("💬 Write a testimonial")
        await self.say("The best espresso I have made at home. Mia, Utrecht")
        await self.tap("Yes, you may quote me")
        await self.friend_buys(code)
        await self.until("Good news", days=1)
        adv = advocacy_of(self.bot)
        assert adv is not None
        customer = await self.bot.repos.customers.customer_for_chat("telegram", CHAT)
        credits = await adv.queries.credits_of(customer.id if customer and customer.id else 0)
        clicks = await adv.queries.click_count(code)
        self.note(
            "summary",
            f"{NAME}: {len(credits)} referred purchase credited (once, despite the replay), "
            f"{clicks} click on her link, segment {customer.segment if customer else None}",
        )
        return self.lines

    async def friend_buys(self, code: str) -> None:
        """A friend opens the shared link and orders; the shop's webhook is sent twice."""
        adv = advocacy_of(self.bot)
        assert adv is not None, "install_advocacy(bot) first"
        app = Starlette(routes=redirect_routes(adv.queries, self.clock))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://demo") as web:
            r = await web.get(f"/r/{code}")
        self.note("friend", f"opens /r/{code} → {r.status_code} to {r.headers.get('location')}")
        purchase = {
            "order_id": "DEMO-ADV-2",
            "product": "Espresso machine EM-5",
            "purchased_at": self.clock.now.isoformat(),
            "customer": {"name": "Noor Bakker", "email": "noor@example.com", "language": "nl"},
            "referral_code": code,
        }
        for attempt in ("", " (the shop's webhook again: a replay)"):
            (result,) = await self.bot.ingest([purchase])
            self.note(
                "shop",
                f"purchase DEMO-ADV-2 with referral code {code}: {result['status']}{attempt}",
            )


async def run_advocacy_story(
    server: LocalBotApi, bot: Mentorbot, clock: Clock, out: Console | None = None
) -> list[str]:
    """Play one ambassador from a finished check-in to a referred purchase; the transcript."""
    return await AdvocacyStory(server, bot, clock, out).run()
