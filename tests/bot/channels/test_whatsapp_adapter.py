"""The WhatsApp adapter's rendering and pacing (no network: payloads and clocks)."""

from __future__ import annotations

import asyncio
import json
import time

from bot.channels.whatsapp_adapter import decode, inbox_payloads, render
from bot.channels.whatsapp_pacing import PAIR_MARGIN, WhatsAppPacer
from bot.channels.whatsapp_webhook import WhatsAppInbound, WhatsAppStatus
from handlers.chat_address import whatsapp_chat
from handlers.messages import Button, OutgoingMessage

CHAT = whatsapp_chat("31612345678")


def test_text_buttons_and_lists() -> None:
    (text,) = render(OutgoingMessage(CHAT, "Hallo"))
    assert text["type"] == "text" and text["to"] == "31612345678"
    yes_no = ((Button("Ja", "a:1:1:1"), Button("Nee", "a:1:1:0")),)
    (buttons,) = render(OutgoingMessage(CHAT, "Alles heel?", yes_no))
    assert buttons["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in buttons["interactive"]["action"]["buttons"]] == [
        "a:1:1:1",
        "a:1:1:0",
    ]
    nps = (
        tuple(Button(str(v), f"a:1:0:{v}") for v in range(6)),
        tuple(Button(str(v), f"a:1:0:{v}") for v in range(6, 11)),
    )
    (listed,) = render(OutgoingMessage(CHAT, "Hoe waarschijnlijk ...?", nps))
    rows = listed["interactive"]["action"]["sections"][0]["rows"]
    assert listed["interactive"]["type"] == "list" and len(rows) == 10
    assert rows[0] == {"id": "a:1:0:0", "title": "0-1"}


def test_a_long_text_with_buttons_goes_first_then_the_buttons() -> None:
    long = "x" * 1500
    first, second = render(OutgoingMessage(CHAT, long, ((Button("Ja", "y"),),)))
    assert first["type"] == "text" and first["text"]["body"] == long
    assert second["interactive"]["body"]["text"] == "👇"


def test_webhook_items_become_updates_with_their_inbox_ids() -> None:
    inbound = WhatsAppInbound("wamid.A", "31612345678", "Anne de Vries", 1, "interactive_list",
                              "2", "a:4:0:2", "wamid.Q")  # fmt: skip
    status = WhatsAppStatus("wamid.Q", "31612345678", "failed", 2, 131026, "Undeliverable")
    bad = WhatsAppInbound("wamid.B", "not-a-number", None, 1, "text", "hi", None, None)
    items = inbox_payloads([inbound, bad], [status])
    assert [(k, c) for k, c, _ in items] == [("wamid.A", CHAT), ("wamid.Q:failed", CHAT)]
    tap = decode(json.dumps({**items[0][2], "update_id": 42}))
    assert tap is not None and tap.kind == "button" and tap.button_data == "a:4:0:2"
    assert tap.update_id == 42 and tap.chat_id == CHAT and tap.first_name == "Anne"
    failed = decode(json.dumps({**items[1][2], "update_id": 43}))
    assert failed is not None and failed.extra["wa_status"] == "failed"
    assert failed.extra["error_code"] == "131026"


def test_the_pacer_keeps_the_pair_gap_and_the_throughput() -> None:
    pacer = WhatsAppPacer(rate=10, pair_interval=0.3)
    went: list[float] = []

    async def run() -> None:
        for chat in (1, 2, 1):  # the first chat again: pair_interval after its last
            await pacer.wait(chat)
            went.append(time.monotonic())

    asyncio.run(run())
    # 10 a second, slots at least 1/15 s apart after a quiet spell; the pair gap and its margin
    assert went[1] - went[0] >= 1 / 15 - 0.002
    assert went[2] - went[0] >= 0.3 + PAIR_MARGIN - 0.002
    assert pacer.report.throughput_waits == 1 and pacer.report.pair_waits >= 1
