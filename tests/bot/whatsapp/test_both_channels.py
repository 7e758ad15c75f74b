"""The conversation tests that matter, once per channel (and per database): the same customer
story on Telegram and on WhatsApp, through each channel's real client and local server, in one
bot that runs both. Only the way in differs: a deep link or a click-to-chat message, buttons or
a list, ``/stop`` or STOP, and on WhatsApp the template that opens a check-in."""

from __future__ import annotations

from typing import Any, Protocol

import pytest
from sqlalchemy import select

from storage.models import Answer, CheckIn, Customer, OptInState
from tests.bot.channels.harness import Harness
from tests.bot.whatsapp.wa_harness import WhatsAppHarness

WA_ID = "31611112222"
TG_CHAT = 7001


class Shopper(Protocol):
    """One customer, on one channel."""

    bot: Any

    async def opt_in(self, order: str) -> str: ...
    async def checkin(self, **later: float) -> str: ...
    async def choose(self, label: str) -> str: ...
    async def write(self, text: str) -> str: ...
    async def stop(self) -> str: ...


class OnTelegram:
    """The customer on Telegram: deep link, inline buttons, /stop."""

    def __init__(self, tg: Harness, wa: WhatsAppHarness) -> None:
        self.tg, self.wa, self.bot = tg, wa, tg.bot

    async def opt_in(self, order: str) -> str:
        token = await self.tg.buy(order, delivered_days_ago=0)
        return str((await self.tg.send(TG_CHAT, f"/start {token}"))["text"])

    async def checkin(self, **later: float) -> str:
        self.wa.later(**later)  # moves the bot's clock (shared) and the WhatsApp server's
        since = self.tg.server.last_seq
        await self.bot.dispatch()
        return str((await self.tg.next_message(TG_CHAT, since))["text"])

    async def choose(self, label: str) -> str:
        since = self.tg.server.last_seq
        await self.tg.press(TG_CHAT, label)
        return str((await self.tg.next_message(TG_CHAT, since))["text"])

    async def write(self, text: str) -> str:
        return str((await self.tg.send(TG_CHAT, text))["text"])

    async def stop(self) -> str:
        return await self.write("/stop")


class OnWhatsApp:
    """The customer on WhatsApp: click-to-chat, the opening template, lists and buttons, STOP."""

    def __init__(self, wa: WhatsAppHarness) -> None:
        self.wa, self.bot = wa, wa.bot
        self.last: Any = None

    async def opt_in(self, order: str) -> str:
        code = await self.wa.buy(order, f"+{WA_ID}", lang="en", name="Ann Smith")
        return (await self.wa.write(WA_ID, f"START {code}")).text

    async def checkin(self, **later: float) -> str:
        self.wa.later(**later)
        since = self.wa.server.last_seq
        await self.bot.dispatch()
        opener = await self.wa.server.wait_for_sent(WA_ID, since)
        assert opener.kind == "template"  # the window has closed since the opt-in
        self.last = await self.wa.tap(WA_ID, opener, "Answer")
        return str(self.last.text)

    async def choose(self, label: str) -> str:
        self.last = await self.wa.tap(WA_ID, self.last, label)
        return str(self.last.text)

    async def write(self, text: str) -> str:
        self.last = await self.wa.write(WA_ID, text)
        return str(self.last.text)

    async def stop(self) -> str:
        return await self.write("STOP")


@pytest.fixture(params=["telegram", "whatsapp"])
def customer(request: pytest.FixtureRequest, wa_desk: Any) -> Shopper:
    wa, desk = wa_desk
    return OnTelegram(desk.tg, wa) if request.param == "telegram" else OnWhatsApp(wa)


async def answers(bot: Any) -> list[tuple[str | None, int | None, str | None]]:
    async with bot.db.session() as s:
        rows = await s.execute(
            select(Answer.question_id, Answer.score, Answer.text).order_by(Answer.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_a_delivery_check_in_with_a_low_score_and_words(customer: Shopper) -> None:
    assert (await customer.opt_in("BC-1")).startswith("Hi Ann")
    question = await customer.checkin(days=1, hours=2)
    assert "How satisfied are you with the delivery" in question
    assert "What went wrong" in await customer.choose("2")
    assert "arrive undamaged" in await customer.write("The box was soaked and the door dented")
    done = await customer.choose("No")
    assert done.startswith("Thank you")
    assert await answers(customer.bot) == [
        ("delivery_csat", 2, None),
        ("delivery_csat_why", None, "The box was soaked and the door dented"),
        ("arrived_ok", 0, None),
    ]


async def test_words_where_a_score_was_asked_are_kept_and_the_range_is_given(
    customer: Shopper,
) -> None:
    await customer.opt_in("BC-2")
    await customer.checkin(days=1, hours=2)
    hint = await customer.write("it came late")
    assert "1" in hint and "5" in hint
    assert "arrive undamaged" in await customer.write("4")  # a typed score counts too
    assert await answers(customer.bot) == [
        ("delivery_csat_comment", None, "it came late"),
        ("delivery_csat", 4, None),
    ]


async def test_stop_ends_the_check_ins(customer: Shopper) -> None:
    await customer.opt_in("BC-3")
    await customer.stop()
    async with customer.bot.db.session() as s:
        (ann,) = (await s.execute(select(Customer))).scalars().all()
        statuses = (await s.execute(select(CheckIn.status))).scalars().all()
    assert ann.opt_in_state == OptInState.OPTED_OUT
    assert set(statuses) == {"cancelled"}
