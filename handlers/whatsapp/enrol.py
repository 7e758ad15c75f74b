"""Customers with a phone number and consent, on a shop whose default channel is WhatsApp."""

from __future__ import annotations

import logging

from handlers.chat_address import WHATSAPP, phone_digits, whatsapp_chat
from handlers.whatsapp.deps import WhatsAppDeps

log = logging.getLogger(__name__)


async def enrol_by_phone(wd: WhatsAppDeps, limit: int = 200) -> int:
    """Link waiting customers who gave a phone number (with its country code) and consent to
    check-ins to their number's WhatsApp chat, when ``channels.default`` is WhatsApp; returns
    how many were linked. Their first check-in opens with a template (no window yet)."""
    if wd.rules.default_channel != WHATSAPP:
        return 0
    linked = 0
    now = wd.clock()
    for customer_id, phone in await wd.store.enrolment_candidates(limit):
        digits = phone_digits(phone)
        chat = whatsapp_chat(digits) if digits else None
        if await wd.store.enrol(customer_id, chat, now):
            linked += 1
        elif chat is None:
            log.info("customer %s: phone without country code; not enrolled", customer_id)
        else:
            log.warning("customer %s: number already another customer's chat", customer_id)
    return linked
