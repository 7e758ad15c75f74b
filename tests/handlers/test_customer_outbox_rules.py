"""The customers' outbox rules against the in-memory ports: each runs in milliseconds.

Stored first, sent in order per chat, held with backoff when the channel is away or asks to
slow down, set aside when it refuses a message, and a blocked bot stops the whole chat and the
customer's check-ins. Delivery runs end to end over Telegram's fake server in tests/bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from handlers.chat_address import whatsapp_chat
from handlers.customer_outbox import CustomerOutbox, retry_after
from handlers.messages import (
    Button,
    ChannelError,
    ChannelUnavailable,
    ChatUnreachable,
    MessageRejected,
    OutgoingMessage,
    RetryLater,
    SentMessage,
)
from storage.models import CheckIn, CheckInStatus, Customer, CustomerMessage, OptInState
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Channel:
    """A customer channel that takes every message, except what ``refuse`` says for a text."""

    sent: list[tuple[int, str]] = field(default_factory=list)
    refuse: dict[str, ChannelError] = field(default_factory=dict)

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send, or raise the error set for this text."""
        if message.text in self.refuse:
            raise self.refuse[message.text]
        self.sent.append((message.chat_id, message.text))
        return SentMessage(message.chat_id, 1000 + len(self.sent))


@dataclass
class Clock:
    """The bot's clock, moved by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


def outbox() -> tuple[CustomerOutbox, MemoryRepositories, Channel, Clock]:
    """A customers' outbox on empty in-memory ports, a channel and a clock at NOW."""
    ports, channel, clock = MemoryRepositories.on(), Channel(), Clock()
    sender = CustomerOutbox(ports.message_queue, ports.customers, channel, clock)  # type: ignore[arg-type]
    return sender, ports, channel, clock


def rows(ports: MemoryRepositories) -> list[tuple[str, str, int]]:
    """The stored messages as (text, status, attempts), oldest first."""
    return [(m.text, m.status, m.attempts) for m in ports.tables.rows(CustomerMessage)]


async def test_a_message_is_stored_then_sent_with_its_buttons() -> None:
    sender, ports, channel, _ = outbox()
    hello = OutgoingMessage(7, "hello", ((Button("Yes", "y"), Button("No", "n")),))
    assert await sender.post(hello, "greeting", customer_id=1)
    assert channel.sent == [(7, "hello")]
    (stored,) = ports.tables.rows(CustomerMessage)
    assert (stored.status, stored.message_id, stored.customer_id) == ("sent", 1001, 1)
    assert stored.buttons == [[{"label": "Yes", "data": "y"}, {"label": "No", "data": "n"}]]
    wa = whatsapp_chat("31612345678")
    assert await sender.post(OutgoingMessage(wa, "hoi"), "greeting")
    assert ports.tables.rows(CustomerMessage)[-1].channel == "whatsapp"


async def test_a_chat_waits_behind_its_held_message_and_others_go_on() -> None:
    sender, ports, channel, clock = outbox()
    channel.refuse["first"] = ChannelUnavailable("502")
    assert not await sender.post(OutgoingMessage(7, "first"), "k")
    assert not await sender.post(OutgoingMessage(7, "second"), "k")  # behind the first
    assert await sender.post(OutgoingMessage(8, "other chat"), "k")
    assert channel.sent == [(8, "other chat")]
    assert rows(ports)[:2] == [("first", "pending", 1), ("second", "pending", 0)]
    held = ports.tables.rows(CustomerMessage)[0]
    assert held.next_attempt_at == NOW + retry_after(0) and held.last_error == "502"
    assert await sender.deliver_due() == 0  # not due yet
    del channel.refuse["first"]
    clock.now = NOW + retry_after(0)
    assert await sender.deliver_due() == 2  # the head and the chat behind it, in order
    assert channel.sent[1:] == [(7, "first"), (7, "second")]


async def test_a_slow_down_waits_as_long_as_the_channel_asks() -> None:
    sender, ports, channel, clock = outbox()
    channel.refuse["busy"] = RetryLater(42)
    await sender.post(OutgoingMessage(7, "busy"), "k")
    held = ports.tables.rows(CustomerMessage)[0]
    assert held.next_attempt_at == NOW + timedelta(seconds=42) and held.attempts == 1
    clock.now = NOW + timedelta(seconds=41)
    assert await sender.deliver_due() == 0
    clock.now = NOW + timedelta(seconds=42)
    assert await sender.deliver_due() == 0  # due, and asked to wait again: counted
    assert ports.tables.rows(CustomerMessage)[0].attempts == 2


async def test_a_refused_message_is_set_aside_and_the_next_goes_out() -> None:
    sender, ports, channel, _ = outbox()
    channel.refuse["bad"] = MessageRejected("400 can't parse entities")
    await sender.post(OutgoingMessage(7, "bad"), "k")
    assert await sender.post(OutgoingMessage(7, "good"), "k")
    assert rows(ports) == [("bad", "failed", 1), ("good", "sent", 0)]


async def test_a_blocked_bot_stops_the_chat_and_the_customers_check_ins() -> None:
    sender, ports, channel, _ = outbox()
    kim = ports.tables.insert(Customer(name="Kim", opt_in_state=OptInState.OPTED_IN)).id or 0
    ports.tables.insert(CheckIn(customer_id=kim, journey="j", touchpoint="usage", due_at=NOW))
    channel.refuse["hello"] = ChatUnreachable("403 blocked")
    await ports.message_queue.enqueue_customer_message(NOW, 7, "hello", "k", customer_id=kim)
    await ports.message_queue.enqueue_customer_message(NOW, 7, "thanks", "k", customer_id=kim)
    await ports.message_queue.enqueue_customer_message(NOW, 8, "someone else", "k")
    assert await sender.deliver_chat(7) == []
    assert rows(ports) == [
        ("hello", "failed", 1),
        ("thanks", "failed", 1),
        ("someone else", "pending", 0),
    ]
    customer = ports.tables.get(Customer, kim)
    assert customer is not None and customer.opt_in_state == "unreachable"
    (checkin,) = ports.tables.rows(CheckIn)
    assert checkin.status == CheckInStatus.CANCELLED


def test_the_backoff_doubles_up_to_five_minutes() -> None:
    waits = [retry_after(n).total_seconds() for n in (0, 1, 2, 5, 6, 50)]
    assert waits == [5, 10, 20, 160, 300, 300]
