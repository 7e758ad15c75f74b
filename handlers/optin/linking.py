"""Opt-in on Telegram: the deep link with a one-time token, or order number plus postcode/e-mail."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.conversation_states import OPT_IN, On, Step, step_of
from handlers.deps import Deps
from handlers.messages import Button, IncomingUpdate, OutgoingMessage
from handlers.optin.texts import say_optin
from handlers.texts import say
from storage.checkins.conversations import StorageKey
from storage.customers.chat_links import ChatAlreadyLinked, CustomerLinkedElsewhere
from storage.models import ConversationState, Customer, OptInState

log = logging.getLogger(__name__)

MOVE_PREFIX = "move"
MOVE_TTL = timedelta(hours=1)  # how long the linked chat may confirm a move
MOVE_QUIET = timedelta(minutes=10)  # at most one move request per customer in this time

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
    await deps.outbox.post(OutgoingMessage(update.chat_id, text), "optin")


async def greet(deps: Deps, chat_id: int, customer: Customer) -> None:
    """The welcome after linking: in the customer's language, what happens next, how to stop."""
    lang = customer.language
    nxt = await deps.checkins.next_scheduled(customer.id or 0)
    product = await deps.customers.latest_product(customer.id or 0) or (
        "je bestelling" if lang == "nl" else "your order"
    )
    name = (customer.name or "").split(" ")[0] or ("daar" if lang == "nl" else "there")
    if nxt is None:
        text = say_optin("greeting_later", lang, name=name, product=product)
    else:
        day = format_day(max(nxt.due_at, deps.clock()), customer.timezone, lang)
        text = say(
            "greeting", lang, name=name, product=product, when=say("when_next", lang, date=day)
        )
    await deps.outbox.post(OutgoingMessage(chat_id, text), "greeting", customer.id)


def _key(deps: Deps, update: IncomingUpdate) -> StorageKey:
    return StorageKey(deps.channel_name, update.chat_id, update.user_id)


async def _link(
    deps: Deps,
    update: IncomingUpdate,
    customer_id: int,
    *,
    use_token: bool,
    move_from: int | None = None,
) -> Customer | None:
    """Link this chat to the customer and greet them; None when this chat or they are taken."""
    try:
        customer = await deps.customers.link_chat(
            customer_id,
            update.chat_id,
            update.user_id,
            deps.clock(),
            deps.channel_name,
            use_token=use_token,
            move_from=move_from,
        )
    except ChatAlreadyLinked as exc:
        log.warning(
            "chat %s is linked to customer %s; refused linking customer %s",
            update.chat_id,
            exc,
            customer_id,
        )
        await _reply(deps, update, say("chat_taken", chat_language(update)))
        return None
    except CustomerLinkedElsewhere:
        # Another chat took the customer between our read and this write: treat it as taken.
        await _ask_linked_chat(deps, update, customer_id)
        return None
    await deps.conversations.clear_state(_key(deps, update))
    await greet(deps, update.chat_id, customer)
    return customer


async def handle_start(deps: Deps, update: IncomingUpdate) -> None:
    """``/start <token>`` from the deep link, or ``/start`` to link by order number."""
    lang = chat_language(update)
    if update.args:
        await _start_with_token(deps, update, update.args[0][:64])
        return
    linked = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    if linked is not None:
        await _reopt_or_confirm(deps, update, linked)
        return
    state = await deps.conversations.get_state(_key(deps, update))
    if await _locked(deps, update, state, lang):
        return
    state.step, state.checkin_id = OPT_IN.next(state.step, On.START), None
    state.data = {"attempts": state.data.get("attempts", 0)}
    await deps.conversations.save_state(state)
    await _reply(deps, update, say("ask_order", lang))


async def _start_with_token(deps: Deps, update: IncomingUpdate, token: str) -> None:
    """The deep link: a valid unused token links this chat, moving the customer if need be."""
    found = await deps.customers.link_for_token(token)
    if found is None or found[1].opt_in_state == OptInState.FORGOTTEN:
        await _reply(deps, update, say("unknown_token", chat_language(update)))
        return
    link, customer = found
    if link.chat_id == update.chat_id:
        await _reopt_or_confirm(deps, update, customer)
        return
    if link.token_used_at is not None:
        if link.chat_id is not None:
            # Someone holding a used link: only the chat linked now can let them in.
            await _ask_linked_chat(deps, update, customer.id or 0, "used_token_elsewhere")
        else:
            await _reply(deps, update, say("used_token", customer.language))
        return
    if link.token_expires_at <= deps.clock():
        await _reply(deps, update, say("expired_token", customer.language))
        return
    moved_from = link.chat_id
    if await _link(deps, update, customer.id or 0, use_token=True, move_from=moved_from):
        if moved_from is not None:
            log.warning("customer %s moved to another chat with their token", customer.id)
            await deps.conversations.clear_state(
                StorageKey(deps.channel_name, moved_from, link.user_id or moved_from)
            )
            await deps.outbox.post(
                OutgoingMessage(moved_from, say_optin("moved_away", customer.language)), "optin"
            )


async def _reopt_or_confirm(deps: Deps, update: IncomingUpdate, customer: Customer) -> None:
    name = (customer.name or "").split(" ")[0]
    if customer.opt_in_state == OptInState.OPTED_OUT:
        await deps.customers.set_opt_in_state(customer.id or 0, OptInState.OPTED_IN, "came back")
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
    """The order number, then the postcode or e-mail, typed after ``/start``.

    This path never moves a customer who is linked to another chat: an order number and an
    e-mail address are printed on parcels, so they are no secret. That chat is asked instead.
    """
    lang = chat_language(update)
    if await _locked(deps, update, state, lang):
        return
    text = update.text.strip()[:100]
    if step_of(state.step) == Step.AWAITING_ORDER:
        state.step = OPT_IN.next(state.step, On.ORDER_TYPED)
        state.data = {**state.data, "order_id": text}
        await deps.conversations.save_state(state)
        await _reply(deps, update, say("ask_proof", lang))
        return
    check = await deps.customers.verify_order(str(state.data.get("order_id", "")), text)
    if check.customer_id is not None and await _order_locked(deps, check.customer_id):
        log.warning("chat %s: tried an order that is locked after wrong tries", update.chat_id)
        state.step = OPT_IN.next(state.step, On.LOCKED_OUT)
        state.data = {"attempts": int(state.data.get("attempts", 0))}
        await deps.conversations.save_state(state)
        minutes = int(deps.rules.lockout.total_seconds() // 60)
        await _reply(deps, update, say_optin("order_locked", lang, minutes=minutes))
        return
    if check.customer_id is not None and check.proof_matches:
        await _link_by_order(deps, update, state, check.customer_id)
        return
    await deps.customers.record_failed_link(check.customer_id, update.chat_id, deps.clock())
    await _failed_try(deps, update, state, lang)


async def _order_locked(deps: Deps, customer_id: int) -> bool:
    """Too many wrong tries at this order, from any chats, within the lockout period."""
    since = deps.clock() - deps.rules.lockout
    return (
        await deps.customers.failed_links_since(customer_id, since) >= deps.rules.max_link_attempts
    )


async def _link_by_order(
    deps: Deps, update: IncomingUpdate, state: ConversationState, customer_id: int
) -> None:
    linked = await deps.customers.linked_chat(customer_id, deps.channel_name)
    if linked is not None and linked.chat_id not in (None, update.chat_id):
        state.step, state.data = OPT_IN.next(state.step, On.LINKED_ELSEWHERE), {}
        await deps.conversations.save_state(state)
        await _ask_linked_chat(deps, update, customer_id)
        return
    await _link(deps, update, customer_id, use_token=False)


async def _failed_try(
    deps: Deps, update: IncomingUpdate, state: ConversationState, lang: str
) -> None:
    attempts = int(state.data.get("attempts", 0)) + 1
    log.info("chat %s: failed order verification (%d)", update.chat_id, attempts)
    if attempts >= deps.rules.max_link_attempts:
        until = deps.clock() + deps.rules.lockout
        state.step = OPT_IN.next(state.step, On.LOCKED_OUT)
        state.data = {"attempts": 0, "locked_until": until.isoformat()}
        await deps.conversations.save_state(state)
        await deps.answers.record_event("optin.locked_out", None, {"chat_id": update.chat_id})
        minutes = int(deps.rules.lockout.total_seconds() // 60)
        await _reply(deps, update, say("locked_out", lang, minutes=minutes))
        return
    state.step, state.data = OPT_IN.next(state.step, On.WRONG_PROOF), {"attempts": attempts}
    await deps.conversations.save_state(state)
    await _reply(deps, update, say("link_failed", lang))


async def _ask_linked_chat(
    deps: Deps, update: IncomingUpdate, customer_id: int, reply_key: str = "linked_elsewhere"
) -> None:
    """Tell this chat the order is taken, and ask the linked chat whether to move it here."""
    log.warning(
        "chat %s proved an order of customer %s, who is linked to another chat; asked that chat",
        update.chat_id,
        customer_id,
    )
    await _reply(deps, update, say_optin(reply_key, chat_language(update)))
    linked = await deps.customers.linked_chat(customer_id, deps.channel_name)
    if linked is None or linked.chat_id is None:
        return
    now = deps.clock()
    request = await deps.customers.request_move(
        customer_id, update.chat_id, update.user_id, now, now - MOVE_QUIET
    )
    if request is None:
        log.info("customer %s was asked about a move less than %s ago", customer_id, MOVE_QUIET)
        return
    lang = linked.language
    buttons = (
        (
            Button(say_optin("move_yes", lang), f"{MOVE_PREFIX}:{request.id}:yes"),
            Button(say_optin("move_no", lang), f"{MOVE_PREFIX}:{request.id}:no"),
        ),
    )
    await deps.outbox.post(
        OutgoingMessage(linked.chat_id, say_optin("move_requested", lang), buttons),
        "optin",
        customer_id,
    )


async def handle_move_button(deps: Deps, update: IncomingUpdate) -> bool:
    """``move:<request>:yes|no`` pressed in the linked chat; False when not such a button.

    Only the chat the customer is linked to now can move them; a press anywhere else, a
    request for another customer or an expired one changes nothing.
    """
    parts = update.button_data.split(":")
    if len(parts) != 3 or parts[0] != MOVE_PREFIX or parts[2] not in ("yes", "no"):
        return False
    if not parts[1].isdigit() or len(parts[1]) > 12:
        await _refuse_move(deps, update, "malformed move request id")
        return True
    request = await deps.customers.move_request(int(parts[1]))
    customer = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    if request is None or customer is None or request.customer_id != customer.id:
        await _refuse_move(deps, update, "move button outside the customer's linked chat")
        return True
    lang = customer.language
    if deps.clock() - request.at > MOVE_TTL:
        await deps.channel.answer_button(update.callback_id)
        await _edit_or_send(deps, update, say_optin("move_expired", lang))
        return True
    await deps.channel.answer_button(update.callback_id)
    if parts[2] == "no":
        await deps.answers.record_event("optin.move_refused", customer.id, {"request": request.id})
        await _edit_or_send(deps, update, say_optin("move_kept", lang))
        return True
    try:
        moved = await deps.customers.link_chat(
            customer.id or 0,
            request.chat_id,
            request.user_id,
            deps.clock(),
            deps.channel_name,
            use_token=False,
            move_from=update.chat_id,
        )
    except (ChatAlreadyLinked, CustomerLinkedElsewhere):
        await _edit_or_send(deps, update, say_optin("move_expired", lang))
        return True
    log.warning("customer %s moved to another chat, confirmed in the old one", customer.id)
    await deps.conversations.clear_state(_key(deps, update))
    await _edit_or_send(deps, update, say_optin("move_done", lang))
    await greet(deps, request.chat_id, moved)
    return True


async def _refuse_move(deps: Deps, update: IncomingUpdate, why: str) -> None:
    log.warning("chat %s: refused a move button (%s)", update.chat_id, why)
    await deps.channel.answer_button(update.callback_id, say("stale_button", chat_language(update)))


async def _edit_or_send(deps: Deps, update: IncomingUpdate, text: str) -> None:
    if update.message_id is not None:
        await deps.channel.edit(update.chat_id, update.message_id, text)
    else:
        await _reply(deps, update, text)
