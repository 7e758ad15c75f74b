"""Staff see the photo on WhatsApp too: media from a customer with an open case are fetched from
the local Graph API server by their media id (the URL, then the bytes, both with the bearer
token) and shared in the case's Slack thread; an expired media id becomes a line instead. On
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.bot.support.desk_harness import CHANNEL, DeskHarness
from tests.bot.whatsapp.test_journey import ANNE, opt_in
from tests.bot.whatsapp.wa_harness import WhatsAppHarness

PHOTO = b"\xff\xd8\xff\xe0 de deur, gedeukt " + bytes(range(256)) * 8 + b"\xff\xd9"


async def open_case(h: WhatsAppHarness, desk: DeskHarness) -> str:
    """Anne answers the usage check-in with a 2 and angry words: her case's card ts."""
    await opt_in(h, ANNE, "WA-R1")
    h.later(days=14)
    await h.bot.dispatch()
    await h.bot.dispatch()
    opener = [s for s in h.server.sent_to(ANNE) if s.kind == "template"][-1]
    nps = await h.tap(ANNE, opener, "Antwoorden")
    while "aanraadt" not in nps.text:
        nps = await h.server.wait_for_sent(ANNE, nps.seq)
    why = await h.tap(ANNE, nps, "2")
    ces = await h.write(ANNE, "De deur is kapot en ik wil mijn geld terug!")
    await h.tap(ANNE, ces, "3")
    await desk.settle()
    (case,) = await desk.cases()
    assert why.text and case.slack_ts
    return case.slack_ts


async def relayed(h: WhatsAppHarness, desk: DeskHarness, push: Any) -> None:
    """Anne sends something and hears it was passed on; the desk delivers."""
    since = h.server.last_seq
    push()
    await h.next_sent(ANNE, since, contains="doorgegeven")
    await desk.settle()


async def test_media_reach_the_case_thread_and_an_expired_id_becomes_a_line(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness
    desk: DeskHarness
    h, desk = wa_desk
    ts = await open_case(h, desk)
    before = len(desk.slack.thread(CHANNEL, ts))
    photo = h.server.add_media(PHOTO)
    await relayed(h, desk, lambda: h.server.customer_media(ANNE, "image", "Zo kwam hij aan",
                                                             media=photo))  # fmt: skip
    receipt = h.server.add_media(b"%PDF-1.4 bon", "application/pdf", "bon.pdf")
    await relayed(h, desk, lambda: h.server.customer_media(ANNE, "document", media=receipt))
    gone = h.server.add_media(PHOTO[::-1])
    h.server.forget_media(gone.id)  # expired before the desk asks for it
    await relayed(h, desk, lambda: h.server.customer_media(ANNE, "image", media=gone))
    new = desk.slack.thread(CHANNEL, ts)[before:]
    files = [desk.slack.files[f["id"]] for m in new for f in m.get("files") or []]
    assert [(f.name, f.content) for f in files] == [
        ("photo.jpg", PHOTO),
        ("bon.pdf", b"%PDF-1.4 bon"),
    ]
    texts = [m["text"] for m in new if not m.get("files")]
    assert texts[0].endswith("Zo kwam hij aan _(sent with a photo, which follows below)_")
    assert texts[1].endswith("_sent a document:_") and texts[2].endswith("_sent a photo:_")
    assert texts[3] == ("📎 The customer's photo was not passed on: WhatsApp no longer has it. "
                        "Ask them to send it again if you need it.")  # fmt: skip
    assert len(texts) == 4
