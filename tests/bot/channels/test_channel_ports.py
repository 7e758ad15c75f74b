"""Every customer channel and desk channel keeps its port (handlers/ports.py,
handlers/desk/port.py): each method of the port, as a coroutine with the same parameters, so a
new method such as ``fetch_file`` or ``upload_file`` cannot be missing from one of them."""

from __future__ import annotations

import pytest

from bot.channels.slack_adapter import SlackDesk
from bot.channels.telegram_adapter import TelegramChannel
from bot.channels.whatsapp_adapter import WhatsAppChannel
from bot.channels_by_chat import ChannelsByChat
from bot.metrics import CountingChannel
from handlers.desk.port import DeskChannel
from handlers.ports import CustomerChannel
from handlers.whatsapp.reopen import WindowedChannel
from tests.handlers.desk.memory_desk import Desk
from tests.port_shapes import assert_keeps_port

PAIRS = [
    (CustomerChannel, TelegramChannel),
    (CustomerChannel, WhatsAppChannel),
    (CustomerChannel, ChannelsByChat),
    (CustomerChannel, WindowedChannel),
    (CustomerChannel, CountingChannel),
    (DeskChannel, SlackDesk),
    (DeskChannel, Desk),
]


@pytest.mark.parametrize(("port", "channel"), PAIRS, ids=[c.__name__ for _, c in PAIRS])
def test_each_channel_has_its_port_s_methods_with_the_same_parameters(
    port: type, channel: type
) -> None:
    methods = assert_keeps_port(port, channel)
    assert "fetch_file" in methods or "upload_file" in methods
