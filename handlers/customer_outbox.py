"""Every message to a customer that is not a check-in question goes through here.

Greetings, acknowledgements, staff replies, resolve notes, thank-yous and advocacy messages are
stored first (``storage/customers/outbox.py``), then sent at once in order per chat; what
Telegram did not take is retried by the periodic job with backoff, and set aside with its
error only when Telegram refuses it for good (the customer blocked the bot, a bad request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from handlers.chat_address import channel_of
from handlers.messages import (
    Button,
    ChannelError,
    ChatUnreachable,
    MessageRejected,
    OutgoingMessage,
    RetryLater,
)
from handlers.ports import CustomerChannel
from storage.models import OptInState

if TYPE_CHECKING:
    from handlers.repositories.customers import Customers
    from handlers.repositories.message_queue import MessageQueue
    from storage.customers.outbox import QueuedMessage

log = logging.getLogger(__name__)

CLAIM = timedelta(seconds=30)  # how long a sending worker holds a message
MAX_BACKOFF = timedelta(minutes=5)


def retry_after(attempts: int) -> timedelta:
    """How long a message waits after ``attempts`` failed tries: 5 s doubling, at most 5 min."""
    return min(timedelta(seconds=5 * 2 ** min(attempts, 10)), MAX_BACKOFF)


def buttons_to_rows(buttons: tuple[tuple[Button, ...], ...]) -> list[Any]:
    """Buttons as stored (JSON rows of label and data)."""
    return [[{"label": b.label, "data": b.data} for b in row] for row in buttons]


def rows_to_buttons(rows: list[Any]) -> tuple[tuple[Button, ...], ...]:
    """Stored buttons back as :class:`Button` rows."""
    return tuple(tuple(Button(b["label"], b["data"]) for b in row) for row in rows)


class CustomerOutbox:
    """Stores messages to customers and delivers them in order per chat, with retries."""

    def __init__(
        self,
        queue: MessageQueue,
        customers: Customers,
        channel: CustomerChannel,
        clock: Callable[[], datetime],
        channel_name: str = "telegram",
    ) -> None:
        self.queue = queue
        self.customers = customers
        self.channel = channel
        self.clock = clock
        self.channel_name = channel_name  # kept for callers; a chat's id names its channel

    async def post(
        self, message: OutgoingMessage, kind: str, customer_id: int | None = None
    ) -> bool:
        """Store ``message``, then send the chat's queue now; True when it went out now.

        False means it is stored and will be retried (Telegram away), or was set aside.
        """
        message_id = await self.queue.enqueue_customer_message(
            self.clock(),
            message.chat_id,
            message.text,
            kind,
            customer_id=customer_id,
            buttons=buttons_to_rows(message.buttons),
            channel=channel_of(message.chat_id),
        )
        return message_id in await self.deliver_chat(message.chat_id)

    async def said_lately(
        self, customer_id: int, chat_id: int, kind: str, within: timedelta
    ) -> bool:
        """True when a message of ``kind`` went to this customer's chat (or waits for it) in
        the last ``within``."""
        since = self.clock() - within
        return await self.queue.said_since(customer_id, channel_of(chat_id), chat_id, kind, since)

    async def deliver_chat(self, chat_id: int, most: int = 20) -> list[int]:
        """Send the chat's pending messages in order until one fails; the ids sent."""
        sent: list[int] = []
        for _ in range(most):
            channel = channel_of(chat_id)
            head = await self.queue.claim_chat_head(channel, chat_id, self.clock(), CLAIM)
            if head is None or not await self._send(head):
                break
            sent.append(head.id)
        return sent

    async def deliver_due(self, limit: int = 100) -> int:
        """One round of the periodic job: every chat whose oldest message is due; how many
        messages went out."""
        total = 0
        heads = await self.queue.claim_due_heads(self.clock(), CLAIM, limit)
        for head in heads:
            if await self._send(head):
                total += 1 + len(await self.deliver_chat(head.chat_id))
        return total

    async def _send(self, q: QueuedMessage) -> bool:
        try:
            sent = await self.channel.send(
                OutgoingMessage(q.chat_id, q.text, rows_to_buttons(q.buttons), purpose=q.kind)
            )
        except ChatUnreachable as exc:
            dropped = await self.queue.customer_messages_failed(q.id, str(exc), whole_chat=True)
            log.info("chat %s blocked the bot: %d message(s) set aside", q.chat_id, dropped)
            if q.customer_id is not None:
                await self.customers.set_opt_in_state(
                    q.customer_id, OptInState.UNREACHABLE, "bot was blocked by the customer"
                )
            return False
        except RetryLater as exc:
            await self._retry(q, timedelta(seconds=exc.seconds), str(exc))
            return False
        except MessageRejected as exc:
            log.error("message %s to chat %s refused for good: %s", q.id, q.chat_id, exc)
            await self.queue.customer_messages_failed(q.id, str(exc), whole_chat=False)
            return False
        except ChannelError as exc:
            await self._retry(q, retry_after(q.attempts), str(exc))
            return False
        await self.queue.customer_message_sent(q.id, self.clock(), sent.message_id)
        return True

    async def _retry(self, q: QueuedMessage, wait: timedelta, error: str) -> None:
        log.warning(
            "message %s (%s) to chat %s not sent (%s); retry in %s", q.id, q.kind, q.chat_id,
            error, wait,
        )  # fmt: skip
        await self.queue.customer_message_retry(q.id, self.clock() + wait, error)
