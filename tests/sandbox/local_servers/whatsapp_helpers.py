"""Shared pieces of the local WhatsApp Cloud API tests."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp_cloud import WhatsAppApiError, WhatsAppCloud, template_payload

CUSTOMER = "31612345678"
DELIVERY_TEMPLATE = (
    "delivery_checkin",
    "nl",
    "Hoi {{1}}, hoe is je {{2}} aangekomen?",
    ("Goed", "Slecht"),
)


async def refused(client: WhatsAppCloud, payload: dict) -> WhatsAppApiError:
    """The error the server answers ``payload`` with (the test fails if it is accepted)."""
    with pytest.raises(WhatsAppApiError) as caught:
        await client.send(payload)
    return caught.value


def checkin(to: str = CUSTOMER) -> dict:
    """The delivery check-in's opening template for ``to``."""
    return template_payload(to, "delivery_checkin", "nl", ["Anna", "wasmachine"], ["q0", "q1"])
