"""Driving advocacy through the real PTB and the local Bot API server: fixtures and steps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.advocacy_wiring import run_advocacy
from handlers.advocacy.rounds import AdvocacyReport
from sandbox.local_servers.bot_api import LocalBotApi
from storage.models import AdvocacyAsk, CheckIn, Customer
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock, Harness

ADVOCACY: dict[str, Any] = {
    "public_url": "https://bot.example",
    "reviews": {
        "enabled": True,
        "delay": "1h",
        "platforms": [
            {
                "name": "Trustpilot",
                "url": {
                    "en": "https://trustpilot.example/review/shop",
                    "nl": "https://nl.trustpilot.example/review/shop",
                },
            },
            {
                "name": "Google",
                "url": "https://maps.example/shop",
                "products": {"WM300": "https://maps.example/shop/wm300"},
            },
        ],
    },
    "ambassadors": {
        "enabled": True,
        "delay": "1h",
        "referral_url": "https://shop.example/welcome?ref={code}",
    },
}


@pytest.fixture(name="h")
async def advocacy_harness(tg_config, db_url) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """A running bot with advocacy configured and installed, on the local Bot API server."""
    async with LocalBotApi() as server:
        h = await start_harness(
            server, tg_config(server, advocacy=ADVOCACY), db_url[1], FakeClock()
        )
        try:
            yield h
        finally:
            await stop_harness(h)


async def round_(h: Harness) -> AdvocacyReport:
    """One advocacy round, as the periodic job runs it."""
    report = await run_advocacy(h.bot)
    assert report is not None
    return report


async def buy_and_opt_in(h: Harness, chat: int, order: str, name: str, lang: str = "en") -> int:
    """A purchase and its opt-in; returns the customer id."""
    token = await h.buy(order, lang=lang, name=name)
    await h.send(chat, f"/start {token}", lang)
    customer = await h.bot.repos.customers.customer_for_chat("telegram", chat)
    assert customer is not None and customer.id is not None
    return customer.id


async def finish_delivery(h: Harness, chat: int, csat: str, words: str | None, yes: str) -> None:
    """Dispatch the delivery check-in and answer it to the end."""
    await h.bot.dispatch()  # sends every due check-in (this chat's may have gone out already)
    labels = [
        b["text"] for b in h.last_keyboard_message(chat)["reply_markup"]["inline_keyboard"][0]
    ]
    assert labels == ["1", "2", "3", "4", "5"]
    since = h.server.last_seq
    await h.press(chat, csat)
    reply = await h.next_message(chat, since)
    if words is not None:
        assert reply["text"].endswith("?") and not reply.get("reply_markup")
        await h.send(chat, words)
    since = h.server.last_seq
    await h.press(chat, yes)
    await h.next_message(chat, since, contains="ank ")  # "Thank you" / "Dank je wel"
    await handled(h, chat)


async def finish_usage(h: Harness, chat: int, nps: str, words: str, ces: str = "7") -> None:
    """Skip to the usage check-in (delivery marked answered) and answer it to the end."""
    customer = await h.bot.repos.customers.customer_for_chat("telegram", chat)
    assert customer is not None
    async with h.bot.db.session() as s:
        await s.execute(
            update(CheckIn)
            .where(CheckIn.customer_id == customer.id, CheckIn.touchpoint == "delivery")
            .values(status="answered")
        )
        due = (
            await s.execute(
                select(CheckIn.due_at).where(
                    CheckIn.customer_id == customer.id, CheckIn.touchpoint == "usage"
                )
            )
        ).scalar_one()
    if h.clock.now < due:
        h.clock.now = due
    since = h.server.last_seq
    assert (await h.bot.dispatch()).sent == 1
    await h.next_message(chat, since)
    await h.send(chat, nps)
    await h.send(chat, words)
    since = h.server.last_seq
    await h.press(chat, ces)
    await h.next_message(chat, since, contains="ank ")  # "Thank you" / "Dank je wel"
    await handled(h, chat)


async def handled(h: Harness, chat: int) -> None:
    """Wait until everything the chat sent so far is handled, after-check-in steps included
    (one chat's updates are handled in order, so the reply to /help comes after them)."""
    await h.send(chat, "/help")


async def asks(h: Harness, customer_id: int | None = None) -> list[AdvocacyAsk]:
    """The stored asks, oldest first."""
    async with h.bot.db.session() as s:
        query = select(AdvocacyAsk).order_by(AdvocacyAsk.id)
        if customer_id is not None:
            query = query.where(AdvocacyAsk.customer_id == customer_id)
        return list((await s.execute(query)).scalars().all())


async def customer(h: Harness, customer_id: int) -> Customer:
    """A customer as stored now."""
    found = await h.bot.repos.customers.get_customer(customer_id)
    assert found is not None
    return found


def texts(h: Harness, chat: int) -> list[str]:
    """Every message text the bot sent to the chat, as shown now."""
    return [m.get("text", "") for m in h.server.messages(chat)]


def later(h: Harness, **kwargs: float) -> None:
    """Move the fake clock."""
    h.clock.now += timedelta(**kwargs)
