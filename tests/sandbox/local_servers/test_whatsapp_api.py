"""The local WhatsApp Cloud API refuses what Meta refuses, as our real client sees it over HTTP.

Each rule the server enforces is driven into by :class:`WhatsAppCloud` and checked as the
:class:`WhatsAppApiError` it raises (code, HTTP status, throttled / outside_window / permanent).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from bot.channels.whatsapp_cloud import (
    WhatsAppApiError,
    WhatsAppCloud,
    buttons_payload,
    template_payload,
    text_payload,
)
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl
from tests.sandbox.local_servers.whatsapp_helpers import CUSTOMER, checkin, refused


async def test_wrong_token_is_190_with_401(server: LocalWhatsAppApi) -> None:
    async with WhatsAppCloud(
        token="stolen", phone_number_id=server.phone_number_id, base_url=server.base_url
    ) as cloud:
        error = await refused(cloud, checkin())
    assert (error.http_status, error.code) == (401, 190)
    assert not error.throttled and not error.outside_window
    assert server.sent_to(CUSTOMER) == []


async def test_unknown_phone_number_id_is_100_subcode_33(server: LocalWhatsAppApi) -> None:
    async with WhatsAppCloud(
        token=server.token, phone_number_id="999", base_url=server.base_url
    ) as cloud:
        error = await refused(cloud, checkin())
    assert (error.http_status, error.code, error.subcode) == (400, 100, 33)
    assert error.permanent


async def test_free_form_outside_the_window_is_131047_and_a_template_is_allowed(
    client: WhatsAppCloud, server: LocalWhatsAppApi
) -> None:
    error = await refused(client, text_payload(CUSTOMER, "Hoe gaat het?"))
    assert (error.http_status, error.code) == (400, 131047)
    assert error.outside_window and not error.throttled and not error.permanent
    assert error.title == "Re-engagement message"
    wamid = await client.send(checkin())
    assert wamid.startswith("wamid.")
    [sent] = server.sent_to(CUSTOMER)
    assert sent.text == "Hoi Anna, hoe is je wasmachine aangekomen?"
    assert sent.options == [{"id": "q0", "title": "Goed"}, {"id": "q1", "title": "Slecht"}]


async def test_window_opens_on_a_customer_message_and_closes_after_24_hours(
    client: WhatsAppCloud, server: LocalWhatsAppApi, control: WhatsAppControl
) -> None:
    await control.set_limits(pair_interval=0)
    await control.customer_text(CUSTOMER, "hallo")
    assert (await client.send(text_payload(CUSTOMER, "Welkom!"))).startswith("wamid.")
    await control.advance_clock(24 * 3600 - 5)
    await client.send(buttons_payload(CUSTOMER, "Goed?", [("y", "Ja"), ("n", "Nee")]))
    await control.advance_clock(5)  # exactly 24 hours after the customer wrote: closed
    error = await refused(client, text_payload(CUSTOMER, "Nog iets?"))
    assert error.outside_window
    await control.customer_text(CUSTOMER, "nog een vraag")
    await client.send(text_payload(CUSTOMER, "Zeg het maar"))
    sent = await control.sent(CUSTOMER)
    assert [s["kind"] for s in sent] == ["text", "interactive_button", "text"]


async def test_unknown_template_and_unapproved_template_are_132001(
    client: WhatsAppCloud, server: LocalWhatsAppApi, control: WhatsAppControl
) -> None:
    error = await refused(client, template_payload(CUSTOMER, "nope", "nl"))
    assert (error.http_status, error.code) == (404, 132001)
    wrong_language = template_payload(CUSTOMER, "delivery_checkin", "en", ["a", "b"])
    assert (await refused(client, wrong_language)).code == 132001
    await control.add_template("pending_one", "nl", "Hoi", status="PENDING")
    assert (await refused(client, template_payload(CUSTOMER, "pending_one", "nl"))).code == 132001
    assert server.sent_to(CUSTOMER) == []


async def test_wrong_parameter_count_is_132000(client: WhatsAppCloud) -> None:
    one = template_payload(CUSTOMER, "delivery_checkin", "nl", ["Anna"])
    error = await refused(client, one)
    assert (error.http_status, error.code) == (400, 132000)
    three = template_payload(CUSTOMER, "delivery_checkin", "nl", ["Anna", "x", "y"])
    assert (await refused(client, three)).code == 132000


async def test_throughput_is_130429_in_a_rolling_second(
    client: WhatsAppCloud, server: LocalWhatsAppApi, control: WhatsAppControl
) -> None:
    await control.set_limits(throughput=5)
    now = [1000.0]
    server.wall = lambda: now[0]
    for i in range(5):
        now[0] += 0.1
        await client.send(checkin(f"3161000000{i}"))
    error = await refused(client, checkin("31610000009"))
    assert (error.http_status, error.code) == (400, 130429)
    assert error.throttled and not error.permanent
    now[0] = 1000.1 + 1.0  # the first send has left the rolling second
    await client.send(checkin("31610000009"))
    stats = await control.stats()
    assert stats["refused"] == {"130429": 1} and stats["throttled"] == 1
    assert stats["max_in_rolling_second"] == 5


async def test_pair_rate_is_131056_within_six_seconds(
    client: WhatsAppCloud, server: LocalWhatsAppApi, control: WhatsAppControl
) -> None:
    await control.customer_text(CUSTOMER, "hallo")
    await client.send(text_payload(CUSTOMER, "een"))
    error = await refused(client, text_payload(CUSTOMER, "twee"))
    assert error.code == 131056 and error.throttled and not error.outside_window
    await client.send(checkin("31699999999"))  # only this pair waits
    await control.advance_clock(6)
    await client.send(text_payload(CUSTOMER, "twee"))
    assert [s.text for s in server.sent_to(CUSTOMER)] == ["een", "twee"]


async def test_daily_tier_counts_customers_reached_outside_the_window(
    client: WhatsAppCloud, control: WhatsAppControl
) -> None:
    await control.set_limits(daily_tier=2, pair_interval=0)
    await client.send(checkin("31600000001"))
    await client.send(checkin("31600000002"))
    await client.send(checkin("31600000001"))  # already counted today
    error = await refused(client, checkin("31600000003"))
    assert error.code == 131048 and error.throttled
    await control.customer_text("31600000004", "hoi")  # an open window: not business-initiated
    await client.send(checkin("31600000004"))
    await control.advance_clock(24 * 3600)
    await client.send(checkin("31600000003"))


async def test_unreachable_number_sync_is_131026_permanent(
    client: WhatsAppCloud, control: WhatsAppControl, server: LocalWhatsAppApi
) -> None:
    await control.set_unreachable(CUSTOMER, "sync")
    error = await refused(client, checkin())
    assert (error.code, error.permanent, error.throttled) == (131026, True, False)
    await control.set_unreachable(CUSTOMER, None)
    await client.send(checkin())
    assert len(server.sent_to(CUSTOMER)) == 1


async def test_mark_read_only_for_a_message_this_number_received(
    client: WhatsAppCloud, server: LocalWhatsAppApi
) -> None:
    wamid = server.customer_text(CUSTOMER, "hallo")
    await client.mark_read(wamid)
    assert server.read_marks == [wamid]
    ours = await client.send(text_payload(CUSTOMER, "hoi"))
    for not_received in ("12", "wamid.NOPE", ours):
        with pytest.raises(WhatsAppApiError) as caught:
            await client.mark_read(not_received)
        assert caught.value.code == 100
    assert server.read_marks == [wamid]


async def test_limits_off_accept_a_burst(client: WhatsAppCloud, control: WhatsAppControl) -> None:
    await control.set_limits(enforce=False)
    for _ in range(3):
        await client.send(checkin())
    assert len(await control.sent(CUSTOMER)) == 3
    assert (await control.stats())["refused"] == {}


async def test_control_api_refuses_unknown_limits_and_unknown_messages(
    server: LocalWhatsAppApi, control: WhatsAppControl
) -> None:
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await control.set_limits(speed=5)
    assert caught.value.status == 400
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await control.push_status("wamid.NOPE", "read")
    assert caught.value.status == 404
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await control.add_template("gappy", "nl", "Hoi {{2}}")  # {{1}} missing
    assert caught.value.status == 400 and ("gappy", "nl") not in server.templates
    async with aiohttp.ClientSession() as session:
        for body in ({"text": "no wa_id"}, {"wa_id": "abc", "text": "x"}, None):
            async with session.post(f"{server.base_url}/_local/customer", json=body) as answer:
                assert answer.status == 400
    assert server.limiter.limits.throughput == 80


def test_standalone_server_takes_the_real_client() -> None:
    """``python -m sandbox.local_servers.whatsapp_api``: token, id and limits from the command
    line; the control API mounted."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "sandbox.local_servers.whatsapp_api", "--port", str(port),
            "--token", "T", "--phone-number-id", "77", "--pair-interval", "60"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)

        async def drive() -> tuple[str, WhatsAppApiError]:
            root = f"http://127.0.0.1:{port}"
            async with WhatsAppControl(root) as control:
                await control.add_template("hi", "en", "Hi {{1}}")
            async with WhatsAppCloud(token="T", phone_number_id="77", base_url=root) as cloud:
                wamid = await cloud.send(template_payload(CUSTOMER, "hi", "en", ["Anna"]))
                with pytest.raises(WhatsAppApiError) as caught:
                    await cloud.send(template_payload(CUSTOMER, "hi", "en", ["Anna"]))
            return wamid, caught.value

        wamid, second = asyncio.run(drive())
    finally:
        proc.terminate()
        proc.wait(5)
    assert wamid.startswith("wamid.") and second.code == 131056


async def test_bodies_the_client_never_sends_are_graph_errors_too(
    server: LocalWhatsAppApi, client: WhatsAppCloud
) -> None:
    """Raw HTTP for what our client cannot produce: not JSON, not an object; and a payload
    naming another messaging_product (the caller's key wins over the client's)."""
    url = f"{server.base_url}/v21.0/{server.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        for raw in (b"{not json", b"[1, 2]"):
            async with session.post(url, data=raw, headers=headers) as answer:
                body = await answer.json()
            assert answer.status == 400 and body["error"]["code"] == 100
            assert body["error"]["type"] == "OAuthException" and body["error"]["fbtrace_id"]
    error = await refused(client, {**checkin(), "messaging_product": "sms"})
    assert error.code == 100
    assert server.sent_to(CUSTOMER) == []
