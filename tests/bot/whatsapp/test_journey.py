"""Issue 16's "done when", on the local Graph API and Slack servers, on both databases: a Dutch
customer opted in on WhatsApp goes through the delivery check-in (a template first, then
free-form), an unhappy NPS with words, a case in Slack with relay both ways, the resolve note
and gesture, "did we fix it?", and a happy customer's ambassador ask -- all on WhatsApp.
Outside the 24-hour window a resolve note and an ambassador ask are announced by their
templates and follow the customer's tap."""

from __future__ import annotations

from sqlalchemy import select

from bot.advocacy_wiring import run_advocacy
from handlers.chat_address import whatsapp_chat
from storage.models import ChannelLink, CheckIn
from storage.whatsapp_tables import WhatsAppSent
from tests.bot.support.desk_harness import DeskHarness
from tests.bot.support.test_recovery import resolve
from tests.bot.whatsapp.wa_harness import WhatsAppHarness

ANNE = "31612345678"


async def opt_in(h: WhatsAppHarness, wa_id: str, order: str, **buy: object) -> None:
    """Buy, then send the click-to-chat message; the greeting comes back in Dutch."""
    code = await h.buy(order, f"+{wa_id}", **buy)  # type: ignore[arg-type]
    greeting = await h.write(wa_id, f"START {code}")
    assert greeting.kind == "text" and greeting.text.startswith("Hoi Anne")


async def checkins(h: WhatsAppHarness, touchpoint: str) -> list[CheckIn]:
    async with h.bot.db.session() as s:
        rows = await s.execute(select(CheckIn).where(CheckIn.touchpoint == touchpoint))
        return list(rows.scalars().all())


async def test_delivery_check_in_opens_with_a_template_then_goes_on_free_form(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h, _desk = wa_desk
    await opt_in(h, ANNE, "WA-1")
    h.later(days=1, hours=2)  # the delivery check-in is due; the window closed
    await h.bot.dispatch()
    opener = h.server.sent_to(ANNE)[-1]
    assert opener.kind == "template" and opener.template == "mentorbot_delivery/nl"
    assert opener.text.startswith("Hoi Anne, we horen graag hoe het ging met je Wasmachine")
    question = await h.tap(ANNE, opener, "Antwoorden")
    assert question.kind == "interactive_list"  # CSAT 1-5: five choices, more than 3 buttons
    assert "Hoe tevreden ben je over de levering" in question.text
    assert [o["title"] for o in question.options] == ["1", "2", "3", "4", "5"]
    yes_no = await h.tap(ANNE, question, "4")
    assert yes_no.kind == "interactive_button" and [o["title"] for o in yes_no.options] == [
        "Ja",
        "Nee",
    ]
    done = await h.tap(ANNE, yes_no, "Ja")
    assert done.text.startswith("Dank je wel")
    (checkin,) = await checkins(h, "delivery")
    assert checkin.status == "answered"
    await h.settle()
    async with h.bot.db.session() as s:
        sent = (
            await s.execute(select(WhatsAppSent).where(WhatsAppSent.checkin_id == checkin.id))
        ).scalar_one()
        link = (
            await s.execute(select(ChannelLink).where(ChannelLink.channel == "whatsapp"))
        ).scalar_one()
    # the template opened a business-initiated conversation, and Meta's statuses reached it
    assert sent.template == "mentorbot_delivery" and sent.opens_conversation
    assert sent.status in ("delivered", "read")
    assert link.chat_id == whatsapp_chat(ANNE) and link.last_inbound_at is not None


async def test_unhappy_nps_case_relay_resolve_did_we_fix_it_and_an_ambassador(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness
    desk: DeskHarness
    h, desk = wa_desk
    await opt_in(h, ANNE, "WA-2")
    h.later(days=14)  # the usage check-in (NPS); the delivery one is long expired
    await h.bot.dispatch()
    await h.bot.dispatch()
    opener = [s for s in h.server.sent_to(ANNE) if s.kind == "template"][-1]
    nps = await h.tap(ANNE, opener, "Antwoorden")
    while "aanraadt" not in nps.text:  # the delivery check-in may come first
        nps = await h.server.wait_for_sent(ANNE, nps.seq)
    # NPS: 11 answers, a list has 10 rows: 0 and 1 share one (both detractors)
    assert nps.kind == "interactive_list"
    assert [o["title"] for o in nps.options] == ["0-1", *map(str, range(2, 11))]
    why = await h.tap(ANNE, nps, "2")
    assert "Wat ging er mis" in why.text
    ces = await h.write(ANNE, "De deur is kapot en ik wil mijn geld terug!")
    assert "Hoe makkelijk" in ces.text
    ack = await h.tap(ANNE, ces, "3")
    assert "Dank je dat je het ons laat weten" in ack.text
    await desk.settle()
    (case,) = await desk.cases()
    assert case.status == "open" and case.slack_ts
    assert "*Channel*\nWhatsApp" in desk.card_text(case.slack_ts)
    # relay, customer to Slack
    since = h.server.last_seq
    h.server.customer_text(ANNE, "Wanneer komt er iemand langs?")
    await h.next_sent(ANNE, since, contains="doorgegeven")
    await desk.settle()
    assert any("Wanneer komt er iemand langs" in t for t in desk.thread(case.slack_ts))
    # relay, Slack to the customer
    since = h.server.last_seq
    reply = await desk.thread_reply(case.slack_ts, "Morgen tussen 9 en 12 komt de monteur.")
    assert reply.status_code == 200
    relayed = await h.next_sent(ANNE, since, contains="Morgen tussen 9 en 12")
    assert relayed.kind == "text"
    # resolve with a note and a gesture: both reach WhatsApp
    since = h.server.last_seq
    await resolve(desk, case.id or 0, case.slack_ts, "Voucher €10")
    await desk.settle()
    note = await h.next_sent(ANNE, since, contains="SORRY-")
    assert "New door fitted" in note.text or "tegoedbon" in note.text
    # "did we fix it?", three days on (survey fatigue allowing): the window has closed, so a
    # template opens it
    h.later(days=3)
    since = h.server.last_seq
    await h.bot.dispatch()
    opener = await h.next_sent(ANNE, since)
    assert opener.kind == "template" and opener.template == "mentorbot_recovery/nl"
    fixed = await h.tap(ANNE, opener, "Antwoorden")
    assert "Hebben we het opgelost" in fixed.text
    again = await h.tap(ANNE, fixed, "Ja")
    assert "aanraadt" in again.text
    await h.tap(ANNE, again, "10")
    (recovery,) = await checkins(h, "recovery")
    assert recovery.status == "answered"
    await desk.settle()
    (case,) = await desk.cases()
    assert case.recovered is True  # the detractor came back as a promoter


async def test_a_happy_customer_gets_the_ambassador_ask_on_whatsapp(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h, _desk = wa_desk
    bram = "31687654321"
    await opt_in(h, bram, "WA-3", name="Anne Jansen")
    h.later(days=14)
    await h.bot.dispatch()
    opener = [s for s in h.server.sent_to(bram) if s.kind == "template"][-1]
    nps = await h.tap(bram, opener, "Antwoorden")
    while "aanraadt" not in nps.text:
        nps = await h.server.wait_for_sent(bram, nps.seq)
    liked = await h.tap(bram, nps, "10")
    assert "Wat vond je het beste" in liked.text
    ces = await h.write(bram, "Geweldige machine, heel stil en de monteur was super vriendelijk!")
    await h.tap(bram, ces, "7")
    await h.settle()
    # the ask keeps the survey-fatigue gap (3 days) after the check-in: by then the window has
    # closed, so the advocacy template asks first
    h.later(days=3, hours=1)
    since = h.server.last_seq
    report = await run_advocacy(h.bot)
    assert report is not None and report.ambassador_asks_sent == 0
    (announce,) = h.server.sent_to(bram, since)
    assert announce.kind == "template" and announce.template == "mentorbot_advocacy/nl"
    assert announce.text == (
        "Hoi Anne, fijn dat je blij bent met je Wasmachine! Mogen we je nog iets vragen?"
    )
    assert (await run_advocacy(h.bot)).ambassador_asks_sent == 0  # type: ignore[union-attr]
    assert h.server.sent_to(bram, announce.seq) == []  # asked back once, not again
    ask = await h.tap(bram, announce, "Graag")  # the tap opens the window: the ask, at once
    assert ask.kind == "interactive_list" and len(ask.options) == 4
    assert "Anne" in ask.text


async def test_a_resolve_note_days_later_comes_by_template_then_on_the_tap(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness
    desk: DeskHarness
    h, desk = wa_desk
    await opt_in(h, ANNE, "WA-4")
    h.later(days=14)
    await h.bot.dispatch()
    opener = [s for s in h.server.sent_to(ANNE) if s.kind == "template"][-1]
    nps = await h.tap(ANNE, opener, "Antwoorden")
    while "aanraadt" not in nps.text:
        nps = await h.server.wait_for_sent(ANNE, nps.seq)
    why = await h.tap(ANNE, nps, "3")
    ces = await h.write(ANNE, "De deur is kapot, ik wil mijn geld terug!")
    await h.tap(ANNE, ces, "2")
    await desk.settle()
    (case,) = await desk.cases()
    assert why.text and case.slack_ts
    await h.settle()
    # support resolves the case four days after Anne last wrote: the window has closed
    h.later(days=4)
    since = h.server.last_seq
    await resolve(desk, case.id or 0, case.slack_ts, "Voucher €10")
    await desk.settle()
    (announce,) = h.server.sent_to(ANNE, since)
    assert announce.kind == "template" and announce.template == "mentorbot_case_update/nl"
    assert announce.text == "Hoi Anne, we hebben nieuws over je vraag over je Wasmachine."
    assert [o["title"] for o in announce.options] == ["Toon"]
    await h.bot.deliver_customer_messages()  # the outbox's round: still waiting, not resent
    assert h.server.sent_to(ANNE, announce.seq) == []
    note = await h.tap(ANNE, announce, "Toon")
    assert note.kind == "text" and "SORRY-" in note.text  # the note with its voucher
    await h.settle()
    async with h.bot.db.session() as s:
        sent = (
            await s.execute(
                select(WhatsAppSent).where(WhatsAppSent.template == "mentorbot_case_update")
            )
        ).scalar_one()
    assert sent.opens_conversation  # counted against the daily tier
