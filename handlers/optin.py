"""Opt-in on Telegram: the deep link with a one-time token, or order number plus postcode/e-mail."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.messages import IncomingUpdate, OutgoingMessage
from handlers.deps import Deps
from handlers.texts import say
from storage.conversations import StorageKey
from storage.customers import ChatAlreadyLinked
from storage.models import ConversationState, Customer, OptInState

log = logging.getLogger(__name__)

_MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def chat_language(update: IncomingUpdate) -> str:
    """The language to greet an unknown chat in, from Telegram's language code."""
    return "nl" if (update.language_code or "").lower().startswith("nl") else "en"


def format_day(moment: datetime, zone: str, lang: str) -> str:
    """A day as a customer reads it, in their time zone."""
    local = moment.astimezone(ZoneInfo(zone))
    if lang == "nl":
        return f"{local.day} {_MONTHS_NL[local.month - 1]}"
    return local.strftime("%B ") + str(local.day)


async def _reply(deps: Deps, update: IncomingUpdate, text: str) -> None:
    await deps.channel.send(OutgoingMessage(update.chat_id, text))


async def greet(deps: Deps, update: IncomingUpdate, customer: Customer) -> None:
    """The welcome after linking: in the customer's language, what happens next, how to stop."""
    lang = customer.language
    nxt = await deps.store.next_scheduled(customer.id or 0)
    when = (
        say(
            "when_next",
            lang,
            date=format_day(max(nxt.due_at, deps.clock()), customer.timezone, lang),
        )
        if nxt
        else say("when_later", lang)
    )
    ctx = await deps.store.checkin_context(nxt.id) if nxt and nxt.id else None
    product = (ctx.product if ctx else None) or ("je bestelling" if lang == "nl" else "your order")
    name = (customer.name or "").split(" ")[0] or ("daar" if lang == "nl" else "there")
    await _reply(deps, update, say("greeting", lang, name=name, product=product, when=when))


async def _link(deps: Deps, update: IncomingUpdate, customer_id: int) -> None:
    try:
        customer = await deps.store.link_chat(
            customer_id, update.chat_id, update.user_id, deps.clock(), deps.channel_name
        )
    except ChatAlreadyLinked as exc:
        log.warning(
            "chat %s is linked to customer %s; refused linking customer %s",
            update.chat_id,
            exc,
            customer_id,
        )
        await _reply(deps, update, say("chat_taken", chat_language(update)))
        return
    await deps.store.clear_state(_key(deps, update))
    await greet(deps, update, customer)


def _key(deps: Deps, update: IncomingUpdate) -> StorageKey:
    return StorageKey(deps.channel_name, update.chat_id, update.user_id)


async def handle_start(deps: Deps, update: IncomingUpdate) -> None:
    """``/start <token>`` from the deep link, or ``/start`` to link by order number."""
    lang = chat_language(update)
    linked = await deps.store.customer_for_chat(deps.channel_name, update.chat_id)
    if update.args:
        token = update.args[0][:64]
        found = await deps.store.link_for_token(token)
        if found is None or found[1].opt_in_state == OptInState.FORGOTTEN:
            await _reply(deps, update, say("unknown_token", lang))
            return
        link, customer = found
        if link.chat_id == update.chat_id:
            await _reopt_or_confirm(deps, update, customer)
            return
        if link.token_used_at is not None or link.chat_id is not None:
            await _reply(deps, update, say("used_token", customer.language))
            return
        if link.token_expires_at <= deps.clock():
            await _reply(deps, update, say("expired_token", customer.language))
            return
        await _link(deps, update, customer.id or 0)
        return
    if linked is not None:
        await _reopt_or_confirm(deps, update, linked)
        return
    state = await deps.store.get_state(_key(deps, update))
    if await _locked(deps, update, state, lang):
        return
    state.step, state.checkin_id = "awaiting_order", None
    state.data = {"attempts": state.data.get("attempts", 0)}
    await deps.store.save_state(state)
    await _reply(deps, update, say("ask_order", lang))


async def _reopt_or_confirm(deps: Deps, update: IncomingUpdate, customer: Customer) -> None:
    name = (customer.name or "").split(" ")[0]
    if customer.opt_in_state == OptInState.OPTED_OUT:
        await deps.store.set_opt_in_state(customer.id or 0, OptInState.OPTED_IN, "came back")
        await _reply(deps, update, say("welcome_back", customer.language, name=name))
    else:
        await _reply(deps, update, say("already_linked", customer.language, name=name))


async def _locked(deps: Deps, update: IncomingUpdate, state: ConversationState, lang: str) -> bool:
    until = state.data.get("locked_until")
    if until and datetime.fromisoformat(until) > deps.clock():
        minutes = max(1, int((datetime.fromisoformat(until) - deps.clock()).total_seconds() // 60))
        await _reply(deps, update, say("locked_out", lang, minutes=minutes))
        return True
    return False


async def handle_link_text(deps: Deps, update: IncomingUpdate, state: ConversationState) -> None:
    """The order number, then the postcode or e-mail, typed after ``/start``."""
    lang = chat_language(update)
    if await _locked(deps, update, state, lang):
        return
    text = update.text.strip()[:100]
    if state.step == "awaiting_order":
        state.step = "awaiting_proof"
        state.data = {**state.data, "order_id": text}
        await deps.store.save_state(state)
        await _reply(deps, update, say("ask_proof", lang))
        return
    customer_id = await deps.store.verify_order(str(state.data.get("order_id", "")), text)
    if customer_id is not None:
        await _link(deps, update, customer_id)
        return
    attempts = int(state.data.get("attempts", 0)) + 1
    log.info("chat %s: failed order verification (%d)", update.chat_id, attempts)
    if attempts >= deps.rules.max_link_attempts:
        until = deps.clock() + deps.rules.lockout
        state.step, state.data = "idle", {"attempts": 0, "locked_until": until.isoformat()}
        await deps.store.save_state(state)
        await deps.store.record_event("optin.locked_out", None, {"chat_id": update.chat_id})
        minutes = int(deps.rules.lockout.total_seconds() // 60)
        await _reply(deps, update, say("locked_out", lang, minutes=minutes))
        return
    state.step, state.data = "awaiting_order", {"attempts": attempts}
    await deps.store.save_state(state)
    await _reply(deps, update, say("link_failed", lang))
