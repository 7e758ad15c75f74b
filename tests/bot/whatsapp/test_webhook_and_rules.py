"""WhatsApp's webhook on the bot's own web server and the rules around it, on the local Graph
API server and both databases: the handshake, signatures, deliveries handled once, keywords,
anti-takeover, a permanent delivery failure, enrolment by phone, the daily tier."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

import httpx
from sqlalchemy import select

from handlers.chat_address import whatsapp_chat
from handlers.messages import OutgoingMessage
from storage.models import (
    Answer,
    ChannelLink,
    CheckIn,
    Customer,
    CustomerMessage,
    OptInState,
)
from tests.bot.whatsapp.test_journey import ANNE, opt_in
from tests.bot.whatsapp.wa_harness import APP_SECRET, VERIFY_TOKEN, WhatsAppHarness

BRAM = "31687654321"


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


async def test_handshake_and_signatures(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    url = f"{h.url}/whatsapp/webhook"
    async with httpx.AsyncClient() as http:
        ok = await http.get(url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                         "hub.challenge": "1158201444"})  # fmt: skip
        assert (ok.status_code, ok.text) == (200, "1158201444")
        wrong = await http.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "x",
                                            "hub.challenge": "1"})  # fmt: skip
        assert wrong.status_code == 403
        body = json.dumps(h.server.inbound(ANNE, "text", {"body": "STOP"})).encode()
        assert (await http.post(url, content=body)).status_code == 401  # unsigned
        forged = await http.post(url, content=body, headers=signed(body, "not-the-secret"))
        assert forged.status_code == 401
        garbage = b'{"object": "page"}'
        assert (await http.post(url, content=garbage, headers=signed(garbage))).status_code == 400
    await h.settle()
    assert h.server.sent_to(ANNE) == []  # nothing was handled


async def test_a_message_delivered_twice_is_answered_once(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    await opt_in(h, ANNE, "WA-D")
    h.later(days=14)
    await h.bot.dispatch()
    opener = [s for s in h.server.sent_to(ANNE) if s.kind == "template"][-1]
    nps = await h.tap(ANNE, opener, "Antwoorden")
    while "aanraadt" not in nps.text:
        nps = await h.server.wait_for_sent(ANNE, nps.seq)
    h.server.webhooks.duplicate = True  # Meta delivers at least once
    await h.tap(ANNE, nps, "8")
    await h.settle()
    async with h.bot.db.session() as s:
        scores = (await s.execute(select(Answer.score).where(Answer.score.is_not(None)))).all()
    assert [r[0] for r in scores] == [8]
    assert len(h.server.webhooks.deliveries) > 0


async def test_keywords_stop_and_help_in_dutch(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    unknown = await h.write(ANNE, "HULP")
    assert unknown.text.startswith("Ik ken dit nummer nog niet")  # +31: Dutch before linking
    await opt_in(h, ANNE, "WA-K")
    helped = await h.write(ANNE, "hulp")
    assert "STOPPEN" in helped.text and "VERGEET MIJ" in helped.text
    stopped = await h.write(ANNE, "Stoppen")
    assert stopped.text.startswith("Klaar")
    async with h.bot.db.session() as s:
        (anne,) = (await s.execute(select(Customer))).scalars().all()
        open_checkins = (
            await s.execute(select(CheckIn).where(CheckIn.status == "scheduled"))
        ).all()
    assert anne.opt_in_state == OptInState.OPTED_OUT and open_checkins == []
    mydata = await h.write(ANNE, "mijn gegevens")  # opted out, still theirs to ask
    assert mydata.text.startswith("Alles wat we over je bewaren") and "Anne de Vries" in mydata.text


async def test_someone_else_with_the_code_cannot_take_over(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    code = await h.buy("WA-T", f"+{ANNE}")
    refused = await h.write(BRAM, f"START {code}")  # a forwarded order confirmation
    assert "ander telefoonnummer" in refused.text
    order = await h.write(BRAM, "WA-T")  # typing the order number links nothing either
    assert order.text.startswith("Ik ken dit nummer nog niet")
    greeting = await h.write(ANNE, f"START {code}")
    assert greeting.text.startswith("Hoi Anne")
    again = await h.write(BRAM, f"START {code}")
    assert "ander telefoonnummer" in again.text
    async with h.bot.db.session() as s:
        links = (
            await s.execute(select(ChannelLink.chat_id).where(ChannelLink.channel == "whatsapp"))
        ).all()
    assert [r[0] for r in links] == [whatsapp_chat(ANNE)]


async def test_without_a_phone_number_the_first_number_keeps_the_order(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    code = await h.buy("WA-N", None)
    assert (await h.write(ANNE, f"START {code}")).text.startswith("Hoi Anne")
    taken = await h.write(BRAM, f"START {code}")
    assert "al gekoppeld aan een ander WhatsApp-nummer" in taken.text


async def test_a_permanent_delivery_failure_marks_the_customer_unreachable(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    await opt_in(h, ANNE, "WA-U")
    h.server.unreachable[ANNE] = "async"  # the number stopped using WhatsApp
    h.later(days=1, hours=2)
    await h.bot.dispatch()
    await h.settle()
    await h.settle()
    async with h.bot.db.session() as s:
        (anne,) = (await s.execute(select(Customer))).scalars().all()
        link = (
            await s.execute(select(ChannelLink).where(ChannelLink.channel == "whatsapp"))
        ).scalar_one()
    assert link.unreachable_at is not None
    assert anne.opt_in_state == OptInState.UNREACHABLE  # no other chat reaches them


async def test_consent_and_a_phone_number_enrol_and_the_daily_tier_holds(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    wiring = h.bot.whatsapp
    wiring.wd.rules = dataclasses.replace(wiring.wd.rules, default_channel="whatsapp", daily_tier=1)
    await h.buy("WA-E1", f"+{ANNE}", days_ago=2)
    await h.buy("WA-E2", f"+{BRAM}", days_ago=2, name="Bram Bakker")
    await h.buy("WA-E3", "06 12345678", days_ago=2, name="Cor")  # no country code: not enrolled
    assert await wiring.enrol() == 2
    report = await h.bot.dispatch()
    # one business-initiated conversation a day: the first template goes, the second waits
    assert report.sent == 1 and report.failed == 1
    assert wiring.wd.waiting == {"daily_tier": 1}
    assert (await wiring.report_waits())["daily_tier"] == 1
    templates = [s for s in h.server.sent if s.kind == "template"]
    assert len(templates) == 1 and templates[0].text.startswith("Hoi Anne")
    assert h.server.limiter.refused == {}  # Meta never had to refuse anything


async def test_an_unanswered_template_is_reminded_with_the_template(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    await opt_in(h, ANNE, "WA-R")
    h.later(days=1, hours=2)
    await h.bot.dispatch()
    h.later(days=1, hours=1)  # survey.reminder_after: a day, still no answer
    since = h.server.last_seq
    report = await h.bot.dispatch()
    assert report.reminded == 1
    reminder = await h.next_sent(ANNE, since)
    assert reminder.kind == "template" and reminder.template == "mentorbot_delivery/nl"
    question = await h.tap(ANNE, reminder, "Antwoorden")
    assert "Hoe tevreden ben je over de levering" in question.text


async def test_a_throttle_error_holds_the_message_and_it_goes_later(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    await opt_in(h, ANNE, "WA-P")
    h.server.limiter.limits.pair_interval = 30.0  # Meta's pair rate, stricter than the bot's
    since = h.server.last_seq
    h.server.customer_text(ANNE, "HULP")
    await h.settle()
    assert h.server.sent_to(ANNE, since) == []  # refused with 131056, kept
    async with h.bot.db.session() as s:
        (waiting,) = (
            (await s.execute(select(CustomerMessage).where(CustomerMessage.status == "pending")))
            .scalars()
            .all()
        )
    assert (waiting.last_error or "").startswith("retry after")  # 131056, the pair rate
    h.server.limiter.limits.pair_interval = 0.05
    h.later(minutes=1)
    assert await h.bot.deliver_customer_messages() == 1
    helped = await h.server.wait_for_sent(ANNE, since)
    assert "STOPPEN" in helped.text


async def test_a_message_outside_the_window_waits_for_the_customer(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    await opt_in(h, ANNE, "WA-W")
    await h.settle()  # the greeting is marked sent before the clocks move
    h.later(days=2)  # a staff reply two days on: the window has closed
    since = h.server.last_seq
    note = OutgoingMessage(whatsapp_chat(ANNE), "De monteur komt morgen om 10 uur.")
    assert h.bot.deps is not None
    assert not await h.bot.deps.outbox.post(note, "staff_reply")  # held, not lost
    # Meta would refuse the note (131047): the case-update template asks Anne back instead
    (announce,) = h.server.sent_to(ANNE, since)
    assert announce.kind == "template" and announce.template == "mentorbot_case_update/nl"
    since = announce.seq
    # she writes instead of tapping: any message opens the window
    h.server.customer_text(ANNE, "Hallo, nog nieuws?")
    first = await h.server.wait_for_sent(ANNE, since)
    assert first.text == "De monteur komt morgen om 10 uur."  # before the reply to "Hallo"
    await h.settle()
    assert len(h.server.sent_to(ANNE, since)) == 2


async def test_unreachable_on_whatsapp_goes_on_telegram(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness = wa_desk[0]
    tg = wa_desk[1].tg
    code = await h.buy("WA-2C", f"+{ANNE}", lang="en", name="Ann Smith")
    assert (await h.write(ANNE, f"START {code}")).text.startswith("Hi Ann")
    greeting = await tg.send(7101, f"/start {code}")  # the same code opens Telegram too
    assert greeting["text"].startswith("Hi Ann")
    h.later(minutes=1)
    h.server.customer_text(ANNE, "Thanks!")  # WhatsApp is the chat she used last
    await h.settle()
    h.server.unreachable[ANNE] = "sync"  # Meta answers 131026 at once
    h.later(days=1, hours=2)
    report = await h.bot.dispatch()
    assert report.sent == 0 and report.failed == 1  # to be tried again, elsewhere
    async with h.bot.db.session() as s:
        (ann,) = (await s.execute(select(Customer))).scalars().all()
        link = (
            await s.execute(select(ChannelLink).where(ChannelLink.channel == "whatsapp"))
        ).scalar_one()
    assert link.unreachable_at is not None and ann.opt_in_state == OptInState.OPTED_IN
    h.later(minutes=1)
    since = tg.server.last_seq
    report = await h.bot.dispatch()
    assert report.sent == 1
    question = await tg.next_message(7101, since)
    assert "How satisfied are you with the delivery" in question["text"]
