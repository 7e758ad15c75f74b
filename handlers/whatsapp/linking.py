"""Linking a WhatsApp number to a customer: the sender's number is the identity.

The click-to-chat link in the order confirmation (``https://wa.me/<number>?text=START%20<code>``)
makes the customer's first message carry their opt-in code. Anti-takeover rules:

- an order with a phone number links only the WhatsApp chat of that number: someone else who
  holds the code (a forwarded confirmation) is refused, whatever they type;
- an order without a phone number links the first number that sends its code, once: a second
  number is refused (the chat linked now keeps the customer; there is no move by code);
- typing an order number never links anything on WhatsApp (order numbers and e-mail addresses
  are printed on parcels).
"""

from __future__ import annotations

import logging

from handlers.chat_address import WHATSAPP, phone_digits, wa_id_of
from handlers.deps import Deps
from handlers.messages import IncomingUpdate, OutgoingMessage
from handlers.optin.linking import chat_language, greet
from handlers.texts import say
from handlers.whatsapp.deps import WhatsAppDeps
from handlers.whatsapp.texts import say_wa
from storage.checkins.conversations import StorageKey
from storage.customers.chat_links import ChatAlreadyLinked, CustomerLinkedElsewhere
from storage.models import Customer, OptInState

log = logging.getLogger(__name__)


async def _reply(deps: Deps, update: IncomingUpdate, text: str) -> None:
    await deps.outbox.post(OutgoingMessage(update.chat_id, text), "optin")


def may_link(customer: Customer, wa_id: str) -> bool:
    """Whether the WhatsApp number ``wa_id`` may take this customer: an order's own number
    only, when it has one."""
    phone = phone_digits(customer.phone)
    return phone is None or phone == wa_id


async def handle_code(deps: Deps, wd: WhatsAppDeps, update: IncomingUpdate, code: str) -> None:
    """``START <code>``, the click-to-chat message: link this number to the code's customer."""
    lang = chat_language(update)
    found = await deps.customers.link_for_token(code)
    if found is None or found[1].opt_in_state == OptInState.FORGOTTEN:
        await _reply(deps, update, say("unknown_token", lang))
        return
    link, customer = found
    cid = customer.id or 0
    now = deps.clock()
    if not may_link(customer, wa_id_of(update.chat_id)):
        log.warning("number of chat %s is not customer %s's; code refused", update.chat_id, cid)
        await deps.customers.record_failed_link(cid, update.chat_id, now)
        await _reply(deps, update, say_wa("other_number", lang))
        return
    current = await deps.customers.linked_chat(cid, WHATSAPP)
    if current is not None and current.chat_id == update.chat_id:
        await _confirm(deps, update, customer)
        return
    if current is not None and current.chat_id is not None:
        log.warning("customer %s is linked to another WhatsApp number; refused", cid)
        await _reply(deps, update, say_wa("number_taken", customer.language))
        return
    if phone_digits(customer.phone) is None and link.token_expires_at <= now:
        await _reply(deps, update, say("expired_token", customer.language))
        return
    await wd.store.ensure_link(cid, link.token_expires_at)
    try:
        customer = await deps.customers.link_chat(
            cid, update.chat_id, update.user_id, now, WHATSAPP, use_token=False
        )
    except ChatAlreadyLinked:
        await _reply(deps, update, say("chat_taken", lang))
        return
    except CustomerLinkedElsewhere:
        await _reply(deps, update, say_wa("number_taken", customer.language))
        return
    await wd.store.touch_inbound(update.chat_id, now)  # they just wrote: the window is open
    await deps.conversations.clear_state(StorageKey(WHATSAPP, update.chat_id, update.user_id))
    await greet(deps, update.chat_id, customer)


async def _confirm(deps: Deps, update: IncomingUpdate, customer: Customer) -> None:
    name = (customer.name or "").split(" ")[0]
    if customer.opt_in_state != OptInState.OPTED_IN:
        await deps.customers.set_opt_in_state(customer.id or 0, OptInState.OPTED_IN, "came back")
        await _reply(deps, update, say("welcome_back", customer.language, name=name))
    else:
        await _reply(deps, update, say("already_linked", customer.language, name=name))
