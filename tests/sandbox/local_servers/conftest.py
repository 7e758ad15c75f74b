"""Fixtures for the local WhatsApp Cloud API tests: the real client and the control API on the
test module's own ``server`` (a module that needs other templates or a webhook receiver defines
its own ``server``; these follow it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.whatsapp_cloud import WhatsAppCloud
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl
from tests.sandbox.local_servers.whatsapp_helpers import DELIVERY_TEMPLATE


@pytest.fixture
async def server() -> AsyncIterator[LocalWhatsAppApi]:
    """A local server with the Dutch delivery check-in template approved."""
    async with LocalWhatsAppApi(control=True) as running:
        running.add_template(*DELIVERY_TEMPLATE)
        yield running


@pytest.fixture
async def client(server: LocalWhatsAppApi) -> AsyncIterator[WhatsAppCloud]:
    """The bot's client, pointed at ``server``."""
    async with WhatsAppCloud(
        token=server.token, phone_number_id=server.phone_number_id, base_url=server.base_url
    ) as cloud:
        yield cloud


@pytest.fixture
async def control(server: LocalWhatsAppApi) -> AsyncIterator[WhatsAppControl]:
    """``server``'s control API (the simulated customers and the call log)."""
    async with WhatsAppControl(server.base_url) as remote:
        yield remote
