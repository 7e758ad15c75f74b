"""A running Mentorbot wired to the local Bot API server, driven like a customer would."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import Mentorbot
from sandbox.local_servers.bot_api import LocalBotApi

START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Harness:
    """The local server, the bot and the clock, with customer actions."""

    server: LocalBotApi
    bot: Mentorbot
    clock: FakeClock
    links: dict[str, str] = field(default_factory=dict)

    async def buy(
        self,
        order_id: str,
        lang: str = "en",
        name: str = "Ann Smith",
        delivered_days_ago: int = 2,
        **customer: Any,
    ) -> str:
        """A purchase arrives; returns the opt-in token."""
        delivered = self.clock.now - timedelta(days=delivered_days_ago)
        (result,) = await self.bot.ingest(
            [
                {
                    "order_id": order_id,
                    "product": "Washing machine",
                    "sku": "WM300",
                    "purchased_at": (delivered - timedelta(days=2)).isoformat(),
                    "delivered_at": delivered.isoformat(),
                    "customer": {
                        "name": name,
                        "email": f"{order_id.lower()}@example.com",
                        "language": lang,
                        **customer,
                    },
                }
            ]
        )
        token = result["opt_in_link"].split("start=")[1]
        self.links[order_id] = token
        return token

    async def send(self, chat_id: int, text: str, lang: str = "en") -> dict[str, Any]:
        """The customer writes; returns the bot's reply."""
        since = self.server.last_seq
        self.server.push_message(chat_id, text, language_code=lang)
        return await self.server.wait_for_message(chat_id, since=since)

    async def opt_in(self, chat_id: int, order_id: str, lang: str = "en") -> dict[str, Any]:
        """Buy, then open the deep link; returns the greeting."""
        token = await self.buy(order_id, lang=lang)
        return await self.send(chat_id, f"/start {token}", lang)

    def last_keyboard_message(self, chat_id: int) -> dict[str, Any]:
        """The newest bot message in the chat that still has buttons."""
        for message in reversed(self.server.messages(chat_id)):
            if message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        raise AssertionError(f"no message with buttons in chat {chat_id}")

    async def press(self, chat_id: int, label: str) -> dict[str, Any]:
        """Press button ``label`` on the newest keyboard; returns the callback answer's params."""
        message = self.last_keyboard_message(chat_id)
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        data = next(b["callback_data"] for b in buttons if b["text"] == label)
        return await self.press_data(chat_id, message["message_id"], data)

    async def press_data(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Press a button with arbitrary data (forged buttons too)."""
        since = self.server.last_seq
        update = self.server.push_callback(chat_id, message_id, data)
        call = await self.server.wait_for(
            lambda c: (
                c.method.lower() == "answercallbackquery"
                and str(c.params.get("callback_query_id")) == str(update["callback_query"]["id"])
            ),
            since=since,
        )
        return call.params

    async def next_message(self, chat_id: int, since: int, contains: str | None = None) -> dict:
        """The bot's next message in the chat after ``since``."""
        return await self.server.wait_for_message(chat_id, since=since, contains=contains)

    async def settle(self) -> None:
        """Let in-flight updates finish: the inbox's handling (a reply can come before the rest
        of its update's work, e.g. a question to another chat), then a few turns of the loop."""
        if self.bot.inbox is not None:
            await self.bot.inbox.idle(timeout=10)
        for _ in range(20):
            await asyncio.sleep(0.01)
