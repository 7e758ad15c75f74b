"""Referral links end to end: the click through /r/, the purchase webhook (replayed), the credit
once, the thank-you on Telegram; /forget disables the link and erases the testimonial."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from bot.advocacy_wiring import advocacy_of
from storage.models import LinkClick, ReferralCredit, TrackedLink
from storage.models import Testimonial as Quote
from tests.bot.channels.advocacy_helpers import (
    advocacy_harness,  # noqa: F401  (the fixture h)
    buy_and_opt_in,
    finish_usage,
    later,
    round_,
    texts,
)
from tests.bot.channels.harness import Harness
from tests.conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@asynccontextmanager
async def web(h: Harness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=h.bot.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example") as c:
        yield c


async def referral_code(h: Harness, chat: int, order: str) -> str:
    """A happy customer becomes an ambassador and takes the referral link."""
    await buy_and_opt_in(h, chat, order, "Gus Ruiz")
    await finish_usage(h, chat, "10", "Brilliant machine, great service, very happy!")
    later(h, days=6)
    await round_(h)
    later(h, days=3)
    assert (await round_(h)).ambassador_asks_sent == 1
    since = h.server.last_seq
    await h.press(chat, "🔗 A link to share with friends")
    text = (await h.next_message(chat, since))["text"]
    return re.search(r"/r/([a-z0-9]{8})", text).group(1)  # type: ignore[union-attr]


def friend_purchase(order: str, code: str) -> dict:
    return {
        "order_id": order,
        "product": "Dishwasher",
        "purchased_at": "2026-12-01T12:00:00+01:00",
        "customer": {"name": "Hana Friend", "email": "hana@example.com"},
        "referral_code": code,
    }


async def credits(h: Harness) -> list[ReferralCredit]:
    async with h.bot.db.session() as s:
        return list((await s.execute(select(ReferralCredit))).scalars().all())


async def test_a_referred_purchase_is_credited_once_and_the_ambassador_thanked(
    h: Harness,
) -> None:
    code = await referral_code(h, 5001, "F-1")
    async with web(h) as client:
        r = await client.get(f"/r/{code}")
        assert r.status_code == 302
        assert r.headers["location"] == f"https://shop.example/welcome?ref={code}"
        first = await client.post(
            "/api/purchases", json=friend_purchase("F-2", code.upper()), headers=AUTH
        )
        replay = await client.post(
            "/api/purchases", json=friend_purchase("F-2", code.upper()), headers=AUTH
        )
    assert first.status_code == 201 and replay.status_code == 200
    async with h.bot.db.session() as s:
        clicks = (await s.execute(select(func.count()).where(LinkClick.code == code))).scalar_one()
    assert clicks == 1
    since = h.server.last_seq
    report = await round_(h)
    assert report.credited == 1 and report.thanked == 1
    thanks = await h.next_message(5001, since, contains="Good news")
    assert thanks["text"].startswith("Good news, Gus: someone just ordered through your")
    assert "Hana" not in thanks["text"]  # the friend stays private
    (credit,) = await credits(h)
    assert credit.code == code and credit.thanked_at == h.clock.now
    # The shop replays the webhook again later; more rounds run: still one credit, one thanks.
    async with web(h) as client:
        again = await client.post("/api/purchases", json=friend_purchase("F-2", code), headers=AUTH)
    assert again.status_code == 200
    later(h, minutes=1)
    report = await round_(h)
    assert report.credited == 0 and report.thanked == 0
    assert len(await credits(h)) == 1
    assert sum("Good news" in t for t in texts(h, 5001)) == 1


async def test_thank_you_waits_for_the_morning_and_self_referral_is_not_credited(
    h: Harness,
) -> None:
    code = await referral_code(h, 5002, "F-3")
    own_order = {**friend_purchase("F-4", code), "customer": {"name": "Gus Ruiz"}}
    own_order["customer"]["email"] = "f-3@example.com"  # the ambassador's own e-mail
    await h.bot.ingest([own_order, friend_purchase("F-5", code)])
    night = h.clock.now.replace(hour=23, minute=0) + timedelta(days=1)  # 00:00 in Amsterdam
    h.clock.now = night
    report = await round_(h)
    assert report.credited == 1 and report.thanked == 0
    assert not any("Good news" in t for t in texts(h, 5002))
    h.clock.now = night.replace(hour=8) + timedelta(days=1)  # 09:00 in Amsterdam
    report = await round_(h)
    assert report.thanked == 1
    (credit,) = await credits(h)
    assert credit.thanked_at == h.clock.now


async def test_forget_disables_the_referral_link_and_erases_the_testimonial(
    h: Harness,
) -> None:
    code = await referral_code(h, 5003, "F-6")
    since = h.server.last_seq
    await h.press(5003, "💬 Write a testimonial")
    await h.next_message(5003, since, contains="own words")
    await h.send(5003, "Quote me: best purchase this year")
    since = h.server.last_seq
    await h.press(5003, "Yes, you may quote me")
    await h.next_message(5003, since, contains="Thank you, Gus")
    adv = advocacy_of(h.bot)
    assert adv is not None and len(await adv.queries.quotable_testimonials()) == 1
    await h.send(5003, "/forget")
    since = h.server.last_seq
    await h.press(5003, "Yes, erase my data")
    await h.next_message(5003, since, contains="erased")
    async with h.bot.db.session() as s:
        assert (await s.execute(select(Quote))).scalars().all() == []
        assert await s.get(TrackedLink, code) is None
    async with web(h) as client:
        assert (await client.get(f"/r/{code}")).status_code == 404
    await h.bot.ingest([friend_purchase("F-7", code)])
    assert (await round_(h)).credited == 0
    assert await credits(h) == []
