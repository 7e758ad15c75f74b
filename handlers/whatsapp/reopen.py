"""Messages outside WhatsApp's 24-hour window wait, and a template asks the customer back.

A staff reply or resolve note days after the customer last wrote may not go free-form: it waits
in the customer outbox, and the ``case_update`` template ("Hi {name}, we have news about your
question on {product}", quick reply "Show me") goes instead, once until the customer writes
again. Their tap, or any message, opens the window, and what waited goes at once
(:mod:`handlers.whatsapp.entry`). An ambassador ask or review invitation outside the window
sends the ``advocacy`` template; the tap makes the ask due at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handlers.chat_address import WHATSAPP
from handlers.messages import (
    FileRef,
    OutgoingDocument,
    OutgoingMessage,
    OutgoingPhoto,
    RetryLater,
    SentMessage,
)
from handlers.ports import CustomerChannel
from handlers.repositories.customers import Customers
from handlers.whatsapp.deps import TemplateSender, WhatsAppDeps
from handlers.whatsapp.messages import TemplateMessage
from handlers.whatsapp.window import WINDOW, tier_left, window_open

log = logging.getLogger(__name__)
CASE_UPDATE = "case_update"
ADVOCACY = "advocacy"
RESERVED = (CASE_UPDATE, ADVOCACY)
"""``whatsapp.templates`` keys that are not touchpoints."""
CASE_KINDS = frozenset({"staff_reply", "resolve_note", "acknowledgement"})
"""Outbox kinds announced by the case-update template (the desk's words to the customer)."""
ADVOCACY_PREFIX = "advocacy:"
REOPEN_PREFIX = "wa:reopen:"
"""Quick-reply payload of a reopening template: this prefix and the message's purpose."""
# Until the customer writes, a waiting message is looked at again now and then (a database
# read; the template is not sent twice).
WAIT = timedelta(hours=4)
TIER_WAIT = timedelta(hours=1)


def template_key(purpose: str) -> str | None:
    """The ``whatsapp.templates`` key that announces a message of ``purpose`` (None: it just
    waits for the customer to write)."""
    if purpose.startswith(ADVOCACY_PREFIX):
        return ADVOCACY
    return CASE_UPDATE if purpose in CASE_KINDS else None


class WindowedChannel:
    """The WhatsApp channel as the handlers see it: free-form inside the window; outside it a
    message waits (:class:`RetryLater`) and its reopening template goes in its stead."""

    def __init__(self, inner: CustomerChannel, templates: TemplateSender, wd: WhatsAppDeps,
                 customers: Customers) -> None:  # fmt: skip
        self.inner = inner
        self.templates = templates
        self.wd = wd
        self.customers = customers

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send inside the window; else announce the message and raise :class:`RetryLater`."""
        last = await self.wd.store.last_inbound(message.chat_id)
        if window_open(last, self.wd.clock()):
            return await self.inner.send(message)
        if (
            last is None
            and await self.customers.customer_for_chat(WHATSAPP, message.chat_id) is None
        ):
            # a number that is nobody's customer yet just wrote (the bot only answers): Meta
            # keeps its window, and refuses the message if it is closed after all
            return await self.inner.send(message)
        key = template_key(message.purpose)
        if key is None:
            raise RetryLater(WAIT.total_seconds())
        await self._announce(message, key, last)
        raise RetryLater(WAIT.total_seconds())

    async def _announce(self, message: OutgoingMessage, key: str, last: datetime | None) -> None:
        wd, chat_id = self.wd, message.chat_id
        name = wd.rules.templates.get(key)
        if name is None:  # the config check at start makes this impossible when it is needed
            log.warning("no whatsapp.templates.%s: chat %s waits for the customer", key, chat_id)
            return
        if await wd.store.template_sent_since(chat_id, name, last):
            return
        now = wd.clock()
        opened = await wd.store.conversations_opened_since(now - WINDOW)
        if tier_left(opened, wd.rules.daily_tier) <= 0:
            wd.waiting["daily_tier"] = wd.waiting.get("daily_tier", 0) + 1
            raise RetryLater(TIER_WAIT.total_seconds())
        customer = await self.customers.customer_for_chat(WHATSAPP, chat_id)
        if customer is None:
            return
        product = await self.customers.latest_product(customer.id or 0)
        first = (customer.name or "").split(" ")[0] or "-"
        language = wd.rules.languages.get(customer.language) or next(
            iter(wd.rules.languages.values())
        )
        template = TemplateMessage(
            chat_id, name, language, (first, product or "-"),
            (f"{REOPEN_PREFIX}{message.purpose}",),
        )  # fmt: skip
        sent = await self.templates.send_template(template)
        await wd.store.note_template(sent.message_id, name)
        log.info("chat %s: %s waits for the window; template %s sent", chat_id,
                 message.purpose, name)  # fmt: skip

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """As the WhatsApp channel."""
        await self.inner.edit(chat_id, message_id, text)

    async def answer_button(self, callback_id: str, text: str | None = None) -> None:
        """As the WhatsApp channel."""
        await self.inner.answer_button(callback_id, text)

    async def send_document(self, document: OutgoingDocument) -> SentMessage:
        """As the WhatsApp channel (asked for by the customer: the window is open)."""
        return await self.inner.send_document(document)

    async def send_photo(self, photo: OutgoingPhoto) -> SentMessage:
        """As the WhatsApp channel."""
        return await self.inner.send_photo(photo)

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """As the WhatsApp channel (fetching is not a message: the window does not matter)."""
        return await self.inner.fetch_file(ref, max_bytes)


async def reopened(wd: WhatsAppDeps, payload: str) -> None:
    """The customer tapped a reopening template's quick reply (the window is open and what
    waited in the outbox was already made due): an advocacy ask is made due at once."""
    purpose = payload[len(REOPEN_PREFIX) :]
    if purpose.startswith(ADVOCACY_PREFIX) and wd.asks_due is not None:
        ask = purpose[len(ADVOCACY_PREFIX) :]
        if ask.isdigit():
            await wd.asks_due(int(ask))
