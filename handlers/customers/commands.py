"""The customer's own commands: /help, /stop, /language, /mydata and /forget."""

from __future__ import annotations

import json
import logging

from handlers.customers.forgetting import forget_customer
from handlers.deps import Deps
from handlers.messages import Button, IncomingUpdate, OutgoingDocument, OutgoingMessage
from handlers.optin.linking import chat_language
from handlers.texts import say
from storage.checkins.conversations import StorageKey
from storage.models import Customer, OptInState

log = logging.getLogger(__name__)
# For support staff, in the thread of a case whose customer used /forget.
FORGOTTEN_CASE_NOTE = (
    "🗑️ The customer erased their data (/forget). They can no longer be reached, so this case"
    " is closed."
)


async def _reply(
    deps: Deps, chat_id: int, text: str, buttons: tuple[tuple[Button, ...], ...] = ()
) -> None:
    await deps.outbox.post(OutgoingMessage(chat_id, text, buttons), "reply")


async def _customer(deps: Deps, update: IncomingUpdate) -> Customer | None:
    customer = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    if customer is None:
        await _reply(deps, update.chat_id, say("not_linked", chat_language(update)))
    return customer


async def handle_help(deps: Deps, update: IncomingUpdate) -> None:
    """What the bot can do."""
    customer = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    await _reply(
        deps, update.chat_id, say("help", customer.language if customer else chat_language(update))
    )


async def handle_stop(deps: Deps, update: IncomingUpdate) -> None:
    """Opt out: no more check-ins; the open ones are cancelled."""
    customer = await _customer(deps, update)
    if customer is None:
        return
    await deps.customers.set_opt_in_state(
        customer.id or 0, OptInState.OPTED_OUT, "customer sent /stop"
    )
    await deps.conversations.clear_state(
        StorageKey(deps.channel_name, update.chat_id, update.user_id)
    )
    await _reply(deps, update.chat_id, say("stopped", customer.language))


async def handle_language(deps: Deps, update: IncomingUpdate) -> None:
    """Offer English and Dutch."""
    customer = await _customer(deps, update)
    if customer is None:
        return
    await _reply(
        deps,
        update.chat_id,
        say("choose_language", customer.language),
        ((Button("English", "lang:en"), Button("Nederlands", "lang:nl")),),
    )


async def handle_mydata(deps: Deps, update: IncomingUpdate) -> None:
    """Send everything stored about the customer as a JSON document."""
    customer = await _customer(deps, update)
    if customer is None:
        return
    data = await deps.customers.export_customer(customer.id or 0)
    content = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    await deps.channel.send_document(
        OutgoingDocument(
            update.chat_id,
            "mentorbot-my-data.json",
            content,
            say("mydata_caption", customer.language),
        )
    )
    await deps.answers.record_event("customer.data_exported", customer.id)


async def handle_forget(deps: Deps, update: IncomingUpdate) -> None:
    """Ask for confirmation before erasing personal data."""
    customer = await _customer(deps, update)
    if customer is None:
        return
    lang = customer.language
    await _reply(
        deps,
        update.chat_id,
        say("forget_confirm", lang),
        (
            (
                Button(say("forget_yes", lang), "forget:yes"),
                Button(say("forget_no", lang), "forget:no"),
            ),
        ),
    )


async def handle_settings_button(deps: Deps, update: IncomingUpdate) -> bool:
    """``lang:*`` and ``forget:*`` buttons; False when the data is not one of these."""
    kind, _, value = update.button_data.partition(":")
    if (kind, value) not in {("lang", "en"), ("lang", "nl"), ("forget", "yes"), ("forget", "no")}:
        return False
    customer = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    if customer is None:
        await deps.channel.answer_button(update.callback_id, say("stale_button", "en"))
        return True
    await deps.channel.answer_button(update.callback_id)
    if update.message_id:
        await _quietly_edit(deps, update, value)
    if kind == "lang":
        await deps.customers.set_language(customer.id or 0, value)
        await _reply(deps, update.chat_id, say("language_set", value))
    elif value == "yes":
        await forget_customer(deps.units, customer.id or 0, FORGOTTEN_CASE_NOTE, deps.clock())
        await deps.conversations.clear_state(
            StorageKey(deps.channel_name, update.chat_id, update.user_id)
        )
        await _reply(deps, update.chat_id, say("forgotten", customer.language))
    else:
        await _reply(deps, update.chat_id, say("forget_cancelled", customer.language))
    return True


async def _quietly_edit(deps: Deps, update: IncomingUpdate, value: str) -> None:
    try:
        await deps.channel.edit(update.chat_id, update.message_id or 0, f"✔ {value}")
    except Exception:
        log.info("could not edit settings message in chat %s", update.chat_id)
