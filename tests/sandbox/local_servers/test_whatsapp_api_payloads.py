"""What the local WhatsApp Cloud API accepts as a message payload: Meta's shapes and limits,
each refusal driven by the real client and seen as its WhatsAppApiError code."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp_cloud import (
    WhatsAppCloud,
    buttons_payload,
    list_payload,
    template_payload,
    text_payload,
)
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl
from tests.sandbox.local_servers.whatsapp_helpers import CUSTOMER, checkin, refused


async def test_quick_reply_index_past_the_templates_buttons_is_131009(
    client: WhatsAppCloud,
) -> None:
    payload = template_payload(CUSTOMER, "delivery_checkin", "nl", ["A", "B"], ["a", "b", "c"])
    error = await refused(client, payload)
    assert error.code == 131009 and error.permanent


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda p: p["interactive"]["action"]["buttons"].append(_button("4", "Vier")), 131009),
        (
            lambda p: p["interactive"]["action"]["buttons"][0]["reply"].update(title="x" * 21),
            131009,
        ),
        (lambda p: p["interactive"]["action"]["buttons"][0]["reply"].update(id="i" * 257), 131009),
        (lambda p: p["interactive"]["action"]["buttons"][1]["reply"].update(title="Een"), 131009),
        (lambda p: p["interactive"]["body"].update(text="b" * 1025), 131009),
        (lambda p: p["interactive"]["action"].update(buttons=[]), 100),
        (lambda p: p["interactive"].pop("body"), 100),
        (lambda p: p["interactive"].update(type="carousel"), 131051),
    ],
)
async def test_reply_button_limits(
    client: WhatsAppCloud, control: WhatsAppControl, mutate, code: int
) -> None:
    await control.customer_text(CUSTOMER, "hallo")
    payload = buttons_payload(CUSTOMER, "Kies", [("1", "Een"), ("2", "Twee"), ("3", "Drie")])
    mutate(payload)
    error = await refused(client, payload)
    assert error.code == code and error.permanent


def _button(bid: str, title: str) -> dict:
    return {"type": "reply", "reply": {"id": bid, "title": title}}


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda s: s[1]["rows"].append({"id": "r11", "title": "Elf"}), 131009),
        (lambda s: s[0]["rows"][0].update(title="t" * 25), 131009),
        (lambda s: s[0]["rows"][0].update(description="d" * 73), 131009),
        (lambda s: s[0]["rows"][0].update(id="i" * 201), 131009),
        (lambda s: s[0].pop("title"), 100),  # required with more than one section
        (lambda s: s[1]["rows"][0].update(id="r0"), 131009),  # duplicate row id
    ],
)
async def test_list_limits(client: WhatsAppCloud, control: WhatsAppControl, mutate, code) -> None:
    await control.customer_text(CUSTOMER, "hallo")
    payload = list_payload(
        CUSTOMER,
        "Hoe waarschijnlijk is het dat je ons aanbeveelt?",
        "Kies een cijfer",
        [("0-5", [(f"r{i}", str(i), None) for i in range(6)]),
         ("6-10", [(f"r{i}", str(i), None) for i in range(6, 10)])],
    )  # fmt: skip
    await client.send(payload)  # ten rows in two sections: allowed
    await control.set_limits(pair_interval=0)
    mutate(payload["interactive"]["action"]["sections"])
    error = await refused(client, payload)
    assert error.code == code


async def test_unsupported_type_and_bad_recipient(client: WhatsAppCloud) -> None:
    error = await refused(client, {"to": CUSTOMER, "type": "image", "image": {"id": "1"}})
    assert (error.code, error.permanent) == (131051, True)
    error = await refused(client, text_payload("not-a-number", "hi"))
    assert (error.code, error.permanent) == (100, True)


async def test_a_reply_quotes_a_wamid(client: WhatsAppCloud, server: LocalWhatsAppApi) -> None:
    wamid = server.customer_text(CUSTOMER, "kapot")
    await client.send({**text_payload(CUSTOMER, "Wat jammer!"), "context": {"message_id": wamid}})
    server.limiter.limits.pair_interval = 0
    bad = {**text_payload(CUSTOMER, "Hm"), "context": {"message_id": 12}}
    assert (await refused(client, bad)).code == 100


def _template_with(*components: dict) -> dict:
    payload = checkin()
    payload["template"]["components"] = [payload["template"]["components"][0], *components]
    return payload


def _quick_reply(index: object = "0", **parameter: object) -> dict:
    param = {"type": "payload", "payload": "p", **parameter}
    return {"type": "button", "sub_type": "quick_reply", "index": index, "parameters": [param]}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**text_payload(CUSTOMER, "x"), "recipient_type": "group"}, 100),
        ({**text_payload(CUSTOMER, "x"), "text": {"body": "x", "preview_url": "yes"}}, 100),
        ({**text_payload(CUSTOMER, "x"), "text": "x"}, 100),
        ({"to": CUSTOMER, "type": "text"}, 100),
        ({"type": "text", "text": {"body": "x"}}, 100),
        (_template_with({"type": "header", "parameters": []}), 132000),
        (_template_with({"type": "footer"}), 100),
        (_template_with({**_quick_reply(), "sub_type": "url"}), 100),
        (_template_with(_quick_reply(type="text")), 100),
        (_template_with(_quick_reply(payload="p" * 257)), 131009),
        (_template_with(_quick_reply(index="x")), 131009),
        ({**checkin(), "template": {**checkin()["template"], "components": {}}}, 100),
        ({**checkin(), "template": {"name": "delivery_checkin", "language": "nl"}}, 100),
    ],
    ids=["recipient_type", "preview_url", "text-not-object", "no-text", "no-to", "header",
         "footer", "sub_type", "param-type", "payload-length", "index",
         "components", "language"],
)  # fmt: skip
async def test_malformed_payloads_are_refused(
    client: WhatsAppCloud, control: WhatsAppControl, payload: dict, code: int
) -> None:
    await control.customer_text(CUSTOMER, "hallo")  # window open: only the shape matters
    error = await refused(client, payload)
    assert error.code == code


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda i: i.update(header={"type": "text", "text": "h" * 61}), 131009),
        (lambda i: i.update(footer={"text": "f" * 61}), 131009),
        (lambda i: i["action"].update(button="b" * 21), 131009),
        (lambda i: i["action"].update(sections=[_section(n) for n in range(11)]), 131009),
        (lambda i: i["action"]["sections"][0].update(title="s" * 25), 131009),
        (lambda i: i["action"].update(sections=[]), 100),
        (lambda i: i["action"]["sections"][0].update(rows=[]), 100),
    ],
)
async def test_list_header_footer_button_and_section_limits(
    client: WhatsAppCloud, control: WhatsAppControl, mutate, code: int
) -> None:
    await control.customer_text(CUSTOMER, "hallo")
    payload = list_payload(CUSTOMER, "Kies", "Open", [("Een", [("r0", "0", None)])])
    mutate(payload["interactive"])
    assert (await refused(client, payload)).code == code


def _section(n: int) -> dict:
    return {"title": f"s{n}", "rows": [{"id": f"r{n}", "title": str(n)}]}
