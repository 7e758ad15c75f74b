"""The local WhatsApp server's webhooks: signed, parseable, retried, duplicated on demand.

Deliveries go over HTTP to a small aiohttp receiver in the test; they are read back with the
bot's own :mod:`bot.channels.whatsapp_webhook` (signature check and parser).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.channels.whatsapp_cloud import WhatsAppCloud, buttons_payload, list_payload, text_payload
from bot.channels.whatsapp_cloud import template_payload as template
from bot.channels.whatsapp_webhook import (
    WhatsAppInbound,
    WhatsAppStatus,
    parse_delivery,
    verify_signature,
)
from sandbox.local_servers.http_site import serve
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl

SECRET = "app-secret-for-tests"
CUSTOMER = "31612345678"


@dataclass
class Receiver:
    """Records every POST (raw body, signature header); answers the next queued status."""

    url: str = ""
    posts: list[tuple[bytes, str | None]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append((await request.read(), request.headers.get("X-Hub-Signature-256")))
        self.arrived.set()
        return web.Response(status=self.answers.pop(0) if self.answers else 200)

    def parsed(self) -> tuple[list[WhatsAppInbound], list[WhatsAppStatus]]:
        inbound, statuses = [], []
        for raw, _ in self.posts:
            found = parse_delivery(raw)
            inbound += found[0]
            statuses += found[1]
        return inbound, statuses


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    async with serve(app) as port:
        found.url = f"http://127.0.0.1:{port}/hook"
        yield found


@pytest.fixture
async def server(receiver: Receiver) -> AsyncIterator[LocalWhatsAppApi]:
    async with LocalWhatsAppApi(app_secret=SECRET, webhook_url=receiver.url, control=True) as s:
        s.webhooks.retry_delay = 0.01
        s.add_template("checkin", "nl", "Hoi {{1}}, alles goed?", ("Ja", "Nee"))
        yield s


async def test_customer_text_arrives_signed_with_the_app_secret(
    server: LocalWhatsAppApi, receiver: Receiver, control: WhatsAppControl
) -> None:
    wamid = await control.customer_text(CUSTOMER, "Mijn pakket is kapot", name="Anna de Vries")
    await server.webhooks.drain()
    [(raw, header)] = receiver.posts
    assert verify_signature(SECRET, raw, header)
    assert not verify_signature("another-secret", raw, header)
    assert not verify_signature(SECRET, raw + b" ", header)
    [message], statuses = parse_delivery(raw)
    assert statuses == []
    assert (message.message_id, message.wa_id, message.kind) == (wamid, CUSTOMER, "text")
    assert (message.text, message.profile_name, message.reply_id) == (
        "Mijn pakket is kapot",
        "Anna de Vries",
        None,
    )
    assert abs(message.timestamp - server.now()) < 5


async def test_template_quick_reply_and_interactive_taps_parse_with_their_ids(
    server: LocalWhatsAppApi, receiver: Receiver, client: WhatsAppCloud, control: WhatsAppControl
) -> None:
    await control.set_webhook(statuses=[])
    await control.set_limits(pair_interval=0)
    checkin = await client.send(template(CUSTOMER, "checkin", "nl", ["Anna"], ["ok", "bad"]))
    await control.quick_reply(CUSTOMER, checkin, 1)
    buttons = await client.send(buttons_payload(CUSTOMER, "Opgelost?", [("y", "Ja"), ("n", "Nee")]))
    await control.choose(CUSTOMER, buttons, "n")
    rows = [(f"nps:{i}", str(i), None) for i in range(7)]
    listed = await client.send(list_payload(CUSTOMER, "Cijfer?", "Kies", [(None, rows)]))
    await control.choose(CUSTOMER, listed, "nps:6")
    await server.webhooks.drain()
    inbound, _ = receiver.parsed()
    assert [(m.kind, m.reply_id, m.text, m.context_id) for m in inbound] == [
        ("button", "bad", "Nee", checkin),
        ("interactive_button", "n", "Nee", buttons),
        ("interactive_list", "nps:6", "6", listed),
    ]


async def test_a_delivery_answered_500_is_sent_again_with_the_same_message_id(
    server: LocalWhatsAppApi, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    wamid = server.customer_text(CUSTOMER, "hallo")
    await server.webhooks.drain()
    assert [d.status for d in server.webhooks.deliveries] == [500, 503, 200]
    ids = [parse_delivery(raw)[0][0].message_id for raw, _ in receiver.posts]
    assert ids == [wamid, wamid, wamid]


async def test_deliveries_give_up_after_the_attempts(
    server: LocalWhatsAppApi, receiver: Receiver, control: WhatsAppControl
) -> None:
    await control.set_webhook(attempts=2)
    receiver.answers = [500, 500]
    server.customer_text(CUSTOMER, "een")
    second = server.customer_text(CUSTOMER, "twee")
    await server.webhooks.drain()
    assert [d.status for d in server.webhooks.deliveries] == [500, 500, 200]
    assert server.webhooks.deliveries[-1].ids == [second]
    assert (await control.stats())["webhook_answers"] == {"500": 2, "200": 1}


async def test_duplicate_switch_delivers_each_message_twice(
    server: LocalWhatsAppApi, receiver: Receiver, control: WhatsAppControl
) -> None:
    await control.set_webhook(duplicate=True)
    wamid = await control.customer_text(CUSTOMER, "hallo")
    await server.webhooks.drain()
    assert [parse_delivery(raw)[0][0].message_id for raw, _ in receiver.posts] == [wamid, wamid]
    assert receiver.posts[0][0] == receiver.posts[1][0]


async def test_status_callbacks_sent_delivered_read_and_a_failed_one(
    server: LocalWhatsAppApi, receiver: Receiver, client: WhatsAppCloud, control: WhatsAppControl
) -> None:
    wamid = await client.send(template(CUSTOMER, "checkin", "nl", ["Anna"]))
    await control.push_status(wamid, "read")
    await control.set_unreachable("31600000000", "async")
    lost = await client.send(template("31600000000", "checkin", "nl", ["Bob"]))
    await server.webhooks.drain()
    _, statuses = receiver.parsed()
    assert [(s.message_id, s.status, s.error_code) for s in statuses] == [
        (wamid, "sent", None),
        (wamid, "delivered", None),
        (wamid, "read", None),
        (lost, "failed", 131026),
    ]
    assert statuses[-1].wa_id == "31600000000"
    assert statuses[-1].error_title == "Message undeliverable"


async def test_async_window_errors_accept_then_report_131047_by_webhook(
    server: LocalWhatsAppApi, receiver: Receiver, client: WhatsAppCloud
) -> None:
    server.async_window_errors = True
    wamid = await client.send(text_payload(CUSTOMER, "Hoe gaat het?"))
    await server.webhooks.drain()
    _, [status] = receiver.parsed()
    assert (status.message_id, status.status, status.error_code) == (wamid, "failed", 131047)


async def test_bodies_wait_for_a_webhook_url(receiver: Receiver) -> None:
    async with LocalWhatsAppApi(app_secret=SECRET, control=True) as server:
        wamid = server.customer_text(CUSTOMER, "vroeg")
        assert receiver.posts == []
        async with WhatsAppControl(server.base_url) as control:
            await control.set_webhook(url=receiver.url)
        await server.webhooks.drain()
    [(raw, header)] = receiver.posts
    assert verify_signature(SECRET, raw, header)
    assert parse_delivery(raw)[0][0].message_id == wamid


async def test_a_tap_on_a_button_the_message_does_not_have_is_refused(
    server: LocalWhatsAppApi, receiver: Receiver, client: WhatsAppCloud, control: WhatsAppControl
) -> None:
    await control.set_limits(pair_interval=0)
    await control.customer_text(CUSTOMER, "hallo")
    checkin = await client.send(template(CUSTOMER, "checkin", "nl", ["Anna"]))
    buttons = await client.send(buttons_payload(CUSTOMER, "Opgelost?", [("y", "Ja")]))
    for tap in (
        control.quick_reply(CUSTOMER, checkin, 2),  # the template has two quick replies
        control.quick_reply(CUSTOMER, buttons, 0),  # not a template
        control.choose(CUSTOMER, buttons, "maybe"),
        control.choose(CUSTOMER, checkin, "Ja"),  # a template's reply is a quick reply
    ):
        with pytest.raises(aiohttp.ClientResponseError) as caught:
            await tap
        assert caught.value.status == 400
    await server.webhooks.drain()
    assert [m.kind for m in receiver.parsed()[0]] == ["text"]
