"""A customer on the local Telegram server and support staff on the local Slack server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import (
    block_actions,
    event_callback,
    message_event,
    post_signed,
    view_submission,
)
from storage.models import Case, OutboxMessage
from tests.bot.channels.harness import Harness

TOKEN = "xoxb-desk-test"
SECRET = "desk-signing-secret"
CHANNEL = "C0SUPPORT"
UNHAPPY = "It leaked all over the kitchen floor, water everywhere. I want my money back."


@dataclass
class DeskHarness:
    """Drive a customer (``tg``) and support staff (signed requests to ``/slack/events``)."""

    tg: Harness
    slack: LocalSlackApi
    http: httpx.AsyncClient

    @property
    def support(self) -> Any:
        return self.tg.bot.support

    async def settle(self) -> None:
        """Let background work (Bolt listeners, outbox deliveries) finish."""
        for _ in range(3):
            await asyncio.sleep(0.02)
            for _ in range(500):
                if not self.support.busy:
                    break
                await asyncio.sleep(0.01)
            await self.support.pump.drain()

    async def unhappy_customer(self, chat: int, order: str, words: str = UNHAPPY) -> None:
        """A customer opts in, gets the usage check-in and answers NPS 2 with angry words."""
        await self.tg.opt_in(chat, order)
        self.tg.clock.advance(days=14)
        await self.tg.bot.dispatch()
        since = self.tg.server.last_seq
        await self.tg.press(chat, "2")
        await self.tg.next_message(chat, since, contains="What went wrong")
        since = self.tg.server.last_seq
        self.tg.server.push_message(chat, words)
        await self.tg.next_message(chat, since, contains="How easy")
        since = self.tg.server.last_seq
        await self.tg.press(chat, "3")  # the check-in's last question
        await self.tg.next_message(chat, since, contains="will get back to you")
        await self.settle()

    async def case_where(self, check: Any, timeout: float = 5.0) -> Case:  # noqa: ASYNC109
        """Wait until the (only) case satisfies ``check`` (Bolt acts after acknowledging)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            (case,) = await self.cases()
            if check(case) or loop.time() > deadline:
                return case
            await asyncio.sleep(0.02)

    async def cases(self) -> list[Case]:
        async with self.tg.bot.db.session() as s:
            return list((await s.execute(select(Case).order_by(Case.id))).scalars())

    async def outbox(self) -> list[OutboxMessage]:
        async with self.tg.bot.db.session() as s:
            rows = await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))
            return list(rows.scalars())

    def cards(self) -> list[dict[str, Any]]:
        """Top-level messages in the support channel (the case cards)."""
        return self.slack.top_level(CHANNEL)

    def card_text(self, ts: str) -> str:
        """Everything a card shows, as one string (blocks flattened)."""
        message = self.slack.message(CHANNEL, ts)
        assert message is not None
        return _flatten(message.get("blocks") or []) + "\n" + (message.get("text") or "")

    def buttons(self, ts: str) -> list[str]:
        message = self.slack.message(CHANNEL, ts) or {}
        return [
            e["text"]["text"]
            for b in message.get("blocks") or []
            if b["type"] == "actions"
            for e in b["elements"]
        ]

    def thread(self, ts: str) -> list[str]:
        """The replies under a card (without the card itself)."""
        return [m.get("text") or "" for m in self.slack.thread(CHANNEL, ts) if m["ts"] != ts]

    async def press(
        self, action: str, case_id: int, ts: str, user: str = "U0ANNA", name: str = "anna"
    ) -> httpx.Response:
        body = block_actions(
            action_id=f"case_{action}",
            value=str(case_id),
            channel_id=CHANNEL,
            message_ts=ts,
            user_id=user,
            user_name=name,
        )
        response = await post_signed("/slack/events", body, secret=SECRET, client=self.http)
        await self.settle()
        return response

    async def submit(
        self, form: str, case_id: int, values: dict[str, Any], user: str = "U0ANNA"
    ) -> httpx.Response:
        body = view_submission(
            callback_id=f"case_form_{form}",
            private_metadata=str(case_id),
            values={k: {k: v} for k, v in values.items()},
            user_id=user,
        )
        response = await post_signed("/slack/events", body, secret=SECRET, client=self.http)
        await self.settle()
        return response

    async def thread_reply(self, ts: str, text: str, user: str = "U0ANNA") -> httpx.Response:
        written = self.slack.post_as_user(CHANNEL, text, user=user, thread_ts=ts)
        event = message_event(channel=CHANNEL, text=text, user=user, ts=written["ts"], thread_ts=ts)
        response = await post_signed(
            "/slack/events", event_callback(event), secret=SECRET, client=self.http
        )
        await self.settle()
        return response


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(_flatten(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_flatten(v) for v in value)
    return str(value) if isinstance(value, str) else ""
