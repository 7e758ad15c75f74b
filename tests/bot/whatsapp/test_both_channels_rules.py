"""More of the conversation tests that matter, once per channel (and per database), in the
bot that runs both: "my data" and "forget me", survey fatigue (the minimum gap, quiet hours),
one reminder then expiry, and bad input (huge text, NUL characters). The customers are the
ones of ``test_both_channels``: a deep link, buttons and /commands on Telegram; click-to-chat,
the opening template, lists and keywords on WhatsApp.

Answer edits are Telegram's only: Meta sends the ``edit`` webhook only to numbers that also
run the WhatsApp Business app ("Coexistence"), not to a Cloud API number like the bot's, so on
WhatsApp an answer stands as it was first sent (see the README)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.models import Answer, CheckIn, Customer
from tests.bot.whatsapp.test_both_channels import TG_CHAT, WA_ID, OnTelegram, OnWhatsApp

AMS = ZoneInfo("Europe/Amsterdam")


class TelegramCustomer(OnTelegram):
    """The Telegram customer, with /mydata and /forget."""

    channel = "telegram"

    async def my_data(self) -> dict[str, Any]:
        await self.tg.send(TG_CHAT, "/mydata")
        return dict(json.loads(self.tg.server.documents(TG_CHAT)[-1].data))

    async def forget(self) -> tuple[str, str]:
        confirm = str((await self.tg.send(TG_CHAT, "/forget"))["text"])
        since = self.tg.server.last_seq
        await self.tg.press(TG_CHAT, "Yes, erase my data")
        return confirm, str((await self.tg.next_message(TG_CHAT, since))["text"])

    async def reply_with(self, since: int, contains: str) -> str:
        return str((await self.tg.next_message(TG_CHAT, since, contains=contains))["text"])

    async def say(self, text: str) -> None:
        self.tg.server.push_message(TG_CHAT, text)

    def mark(self) -> int:
        return int(self.tg.server.last_seq)


class WhatsAppCustomer(OnWhatsApp):
    """The WhatsApp customer, with MY DATA and FORGET ME."""

    channel = "whatsapp"

    async def my_data(self) -> dict[str, Any]:
        """The export, in as many texts as it took."""
        part = await self.wa.write(WA_ID, "MY DATA")
        text = part.text
        while True:
            try:
                return dict(json.loads(text[text.index("{") :]))
            except ValueError:
                part = await self.wa.server.wait_for_sent(WA_ID, part.seq)
                text += part.text

    async def forget(self) -> tuple[str, str]:
        confirm = await self.write("FORGET ME")
        return confirm, await self.choose("Yes, erase my data")

    async def reply_with(self, since: int, contains: str) -> str:
        return str((await self.wa.next_sent(WA_ID, since, contains)).text)

    async def say(self, text: str) -> None:
        self.wa.server.customer_text(WA_ID, text)

    def mark(self) -> int:
        return int(self.wa.server.last_seq)


Customer_ = TelegramCustomer | WhatsAppCustomer


@pytest.fixture(params=["telegram", "whatsapp"])
def customer(request: pytest.FixtureRequest, wa_desk: Any) -> Customer_:
    wa, desk = wa_desk
    if request.param == "telegram":
        return TelegramCustomer(desk.tg, wa)
    return WhatsAppCustomer(wa)


async def stored(bot: Any) -> list[tuple[str | None, int | None, str | None, str | None]]:
    async with bot.db.session() as s:
        rows = await s.execute(
            select(Answer.question_id, Answer.score, Answer.text, Answer.channel).order_by(
                Answer.id
            )
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def checkins(bot: Any) -> list[CheckIn]:
    async with bot.db.session() as s:
        return list((await s.execute(select(CheckIn).order_by(CheckIn.id))).scalars())


async def test_my_data_then_forget_me(customer: Customer_) -> None:
    await customer.opt_in("RC-1")
    await customer.checkin(days=1, hours=2)
    await customer.choose("2")
    await customer.write("The door was dented, call me, Ann Smith")
    data = await customer.my_data()
    assert data["customer"]["name"] == "Ann Smith"
    assert [p["external_order_id"] for p in data["purchases"]] == ["RC-1"]
    assert "The door was dented, call me, Ann Smith" in [a["text"] for a in data["answers"]]
    assert "token" not in json.dumps(data)
    confirm, done = await customer.forget()
    assert "Are you sure?" in confirm and "erased" in done
    async with customer.bot.db.session() as s:
        (ann,) = (await s.execute(select(Customer))).scalars().all()
    assert ann.name is None and ann.email is None and ann.phone is None
    assert ann.opt_in_state == "forgotten"
    # the scores stay (counted in the figures), the words are gone; each answer keeps its channel
    assert await stored(customer.bot) == [
        ("delivery_csat", 2, None, customer.channel),
        ("delivery_csat_why", None, None, customer.channel),
    ]


async def test_quiet_hours_move_the_check_in_to_the_morning(customer: Customer_) -> None:
    await customer.opt_in("RC-2")
    now = customer.bot.clock()
    late = datetime(now.year, now.month, now.day, 22, 30, tzinfo=AMS) + timedelta(days=1)
    customer.wa.later(seconds=(late - now).total_seconds())  # both clocks, both channels
    report = await customer.bot.dispatch()
    assert (report.sent, report.rescheduled) == (0, 1)
    (checkin, *_) = await checkins(customer.bot)
    morning = datetime(late.year, late.month, late.day, 9, 0, tzinfo=AMS) + timedelta(days=1)
    assert checkin.due_at == morning
    question = await customer.checkin(seconds=(morning - customer.bot.clock()).total_seconds())
    assert "How satisfied are you with the delivery" in question


async def test_the_minimum_gap_keeps_a_second_check_in_back(customer: Customer_) -> None:
    await customer.opt_in("RC-3")
    async with customer.bot.db.session() as s:
        first = (await s.execute(select(CheckIn))).scalars().first()
        assert first is not None
        s.add(CheckIn(customer_id=first.customer_id, journey="standard", touchpoint="usage",
                      due_at=first.due_at))  # fmt: skip
    assert "How satisfied" in await customer.checkin(days=1, hours=2)
    sent = [c for c in await checkins(customer.bot) if c.status == "sent"]
    moved = [c for c in await checkins(customer.bot) if c.last_error == "survey fatigue"]
    assert len(sent) == 1 and len(moved) == 1 and moved[0].status == "scheduled"
    assert sent[0].sent_at is not None
    assert moved[0].due_at >= sent[0].sent_at + timedelta(hours=1)  # survey.min_gap here


async def test_one_reminder_then_expiry(customer: Customer_) -> None:
    await customer.opt_in("RC-4")
    await customer.checkin(days=1, hours=2)
    customer.wa.later(hours=23)
    assert (await customer.bot.dispatch()).reminded == 0
    customer.wa.later(hours=2)
    before = customer.mark()
    assert (await customer.bot.dispatch()).reminded == 1
    if customer.channel == "whatsapp":  # the window closed a day after the tap: the template
        reminder = await customer.wa.server.wait_for_sent(WA_ID, before)
        assert reminder.kind == "template"
    else:
        reminder_text = (await customer.tg.next_message(TG_CHAT, before))["text"]
        assert reminder_text.startswith("A gentle reminder")
    customer.wa.later(hours=10)
    assert (await customer.bot.dispatch()).reminded == 0  # one reminder at most
    customer.wa.later(days=2)
    assert (await customer.bot.dispatch()).expired == 1
    assert next(c.status for c in await checkins(customer.bot)) == "expired"
    assert "passed" in await customer.write("3")  # words now, kept as such (the desk has them)
    assert await stored(customer.bot) == [(None, None, "3", customer.channel)]


async def test_huge_text_and_nul_characters(customer: Customer_) -> None:
    await customer.opt_in("RC-5")
    await customer.checkin(days=1, hours=2)
    await customer.choose("1")
    before = customer.mark()
    await customer.say("x" * 5000)
    assert "kept the first 4000" in await customer.reply_with(before, "kept")
    await customer.reply_with(before, "arrive undamaged")  # the check-in goes on
    before = customer.mark()
    await customer.say("Leaks\x00 everywhere")
    await customer.reply_with(before, "")  # words where yes/no was asked: kept, asked again
    words: list[str] = []
    for _ in range(100):  # the reply may come before the words' commit is read back here
        words = [a[2] for a in await stored(customer.bot) if a[2] is not None]
        if len(words) == 2:
            break
        await asyncio.sleep(0.05)
    assert words[0] == "x" * 4000
    assert "Leaks everywhere" in words and not any("\x00" in w for w in words)
