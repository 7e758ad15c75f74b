"""Every update from a customer's chat comes in here and goes to the handler it is for."""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.chat_address import WHATSAPP
from handlers.checkins import answer_edits
from handlers.checkins import flow as checkin_flow
from handlers.conversation_states import CHECK_IN, DESK_RELAY, OPT_IN, On, takes_words
from handlers.customers import commands as customer_commands
from handlers.deps import Deps
from handlers.insights.commands import MAIN_COMMAND, SHORTCUTS
from handlers.messages import (
    ChannelError,
    IncomingUpdate,
    OutgoingMessage,
    attachment_of,
    file_of,
)
from handlers.optin import linking as optin
from handlers.texts import say
from storage.checkins.chat_snapshots import Snapshot
from storage.checkins.conversations import StorageKey
from storage.models import CheckInStatus

log = logging.getLogger(__name__)

COMMANDS = {
    "start": optin.handle_start,
    "help": customer_commands.handle_help,
    "stop": customer_commands.handle_stop,
    "language": customer_commands.handle_language,
    "mydata": customer_commands.handle_mydata,
    "forget": customer_commands.handle_forget,
}
# The only commands handled when typed in a group: their route answers in a private chat.
MANAGER_COMMANDS = frozenset((MAIN_COMMAND, *SHORTCUTS))
# SCHEDULED too: the customer may answer before the dispatcher has marked the check-in sent;
# the conversation state (saved only after a successful send) proves the question went out.
_INT_MAX = 2**31 - 1
_OPEN = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.REMINDED)
ATTACHMENT_REPLY = "attachment_unread"  # the reply to a file without words, and its outbox kind
# A Telegram album, or several photos picked at once on WhatsApp, arrive as one update each
# within seconds: one reply is enough. A file sent minutes later is answered again.
SAID_LATELY = timedelta(minutes=2)


async def handle_update(deps: Deps, update: IncomingUpdate) -> None:
    """Handle one update from the inbox (the caller claimed it there and marks it handled).

    An answer is stored together with the update's handled mark (see ``checkin_flow``); with the
    database away :class:`StorageUnavailable` goes to the caller, the update stays in the inbox
    and is handled again once the database is back: the customer is not asked to repeat it.
    """
    if update.chat_type != "private" and not _managers_command(deps, update):
        log.info("ignored an update from a %s chat %s", update.chat_type, update.chat_id)
        return
    snapshot: Snapshot | None = None
    if update.kind in ("button", "text"):
        key = StorageKey(deps.channel_name, update.chat_id, update.user_id)
        target = answer_button_target(update.button_data) if update.kind == "button" else None
        snapshot = await deps.conversations.read_snapshot(key, target[0] if target else None)
    await _route(deps, update, snapshot)
    if update.channel != WHATSAPP and update.kind in ("button", "text", "command"):
        # after routing: a /start has linked the chat by now. WhatsApp records it on arrival
        # (handlers/whatsapp/entry.py: the window opens before anything is sent).
        await deps.customers.touch_inbound(update.channel, update.chat_id, deps.clock())


def _managers_command(deps: Deps, update: IncomingUpdate) -> bool:
    """A plugged-in command (a manager's ``/detractors``) typed in a group: it is handled, and
    its route answers in the asker's private chat only, never in the group."""
    name = update.command.lower()
    return update.kind == "command" and name in MANAGER_COMMANDS and name in deps.commands


async def _route(deps: Deps, update: IncomingUpdate, snapshot: Snapshot | None) -> None:
    if update.kind == "command":
        name = update.command.lower()
        handler = COMMANDS.get(name) or deps.commands.get(name)
        await (handler or customer_commands.handle_help)(deps, update)
    elif update.kind == "button":
        await handle_button(deps, update, snapshot)
    elif update.kind == "edit":
        await answer_edits.handle_edit(deps, update)
    else:
        await handle_text(deps, update, snapshot)


def answer_button_target(data: str) -> tuple[int, int, int] | None:
    """(check-in id, question index, value) of an answer button's data; None if it is not one."""
    parts = data.split(":")
    if (
        len(parts) == 4
        and parts[0] == checkin_flow.ANSWER_PREFIX
        and all(p.lstrip("-").isdigit() and len(p) < 12 for p in parts[1:])
    ):
        values = int(parts[1]), int(parts[2]), int(parts[3])
        # ids beyond a database integer are forged: PostgreSQL would refuse the lookup
        if all(-_INT_MAX <= v <= _INT_MAX for v in values):
            return values
    return None


async def acknowledge(deps: Deps, update: IncomingUpdate, text: str | None = None) -> None:
    """Stop a button's spinner, best effort: the answer is stored first, and a tap handled late
    (a backlog, a restart, a database that was away) finds its query expired ("query is too
    old"), which changes nothing about the answer."""
    try:
        await deps.channel.answer_button(update.callback_id, text)
    except ChannelError as exc:
        log.info("button of chat %s not acknowledged (%s)", update.chat_id, exc)


async def handle_button(
    deps: Deps, update: IncomingUpdate, snapshot: Snapshot | None = None
) -> None:
    """A button press: an answer to a question, or a settings choice; anything else is stale.

    ``snapshot``: the chat's state as read when the update was claimed (read here if None).
    """
    if await optin.handle_move_button(deps, update):
        return
    if await customer_commands.handle_settings_button(deps, update):
        return
    for route in deps.button_routes:
        if await route(deps, update):
            return
    target = answer_button_target(update.button_data)
    well_formed = target is not None
    checkin_id, index, value = target or (-1, -1, -1)
    if snapshot is None:
        key = StorageKey(deps.channel_name, update.chat_id, update.user_id)
        snapshot = await deps.conversations.chat_snapshot(key, checkin_id)
    state, customer, ctx = snapshot
    lang = customer.language if customer else optin.chat_language(update)
    if not well_formed or customer is None:
        await _stale(deps, update, lang, "malformed or unknown button data")
        return
    if (
        ctx is None
        or ctx.customer.id != customer.id
        or ctx.checkin.status not in _OPEN
        or not CHECK_IN.takes_button(state.step)
        or state.checkin_id != checkin_id
        or state.question_index != index
    ):
        await _stale(deps, update, lang, f"button for check-in {checkin_id} question {index}")
        return
    q = checkin_flow.touchpoint_of(deps, ctx).questions[index]
    low, high = q.scale or (1, 0)
    if not low <= value <= high:
        await _stale(deps, update, lang, f"value {value} outside {q.type} scale")
        return
    await checkin_flow.record_score(deps, update, state, ctx, value)
    await acknowledge(deps, update)


async def _stale(deps: Deps, update: IncomingUpdate, lang: str, why: str) -> None:
    log.warning(
        "chat %s pressed a stale or forged button (%s): %r",
        update.chat_id,
        why,
        update.button_data[:64],
    )
    await acknowledge(deps, update, say("stale_button", lang))


async def handle_text(deps: Deps, update: IncomingUpdate, snapshot: Snapshot | None = None) -> None:
    """Words from the customer: an answer, part of linking, or an unsolicited message.

    ``snapshot``: the chat's state as read when the update was claimed (read here if None).
    """
    key = StorageKey(deps.channel_name, update.chat_id, update.user_id)
    state, customer, ctx = snapshot or await deps.conversations.chat_snapshot(key)
    owners = takes_words(state.step)  # the capabilities whose table takes words at this step
    if OPT_IN in owners:
        await optin.handle_link_text(deps, update, state)
        return
    if customer is None:
        await deps.outbox.post(
            OutgoingMessage(update.chat_id, say("not_linked", optin.chat_language(update))),
            "reply",
        )
        return
    text = update.text.strip()
    if not text and file_of(update) is not None and DESK_RELAY in owners:
        # a photo without words may still be for an open case (the relay passes it on)
        for route in deps.text_routes:
            if await route(deps, update, state, customer, ""):
                return
    if not text:  # a photo or a voice message without words is answered, not taken as words
        if not attachment_of(update):
            await deps.outbox.post(
                OutgoingMessage(update.chat_id, say("empty", customer.language)),
                "reply",
                customer.id,
            )
        elif await deps.outbox.said_lately(
            customer.id or 0, update.chat_id, ATTACHMENT_REPLY, SAID_LATELY
        ):
            # an album arrives as one update per photo: the customer was told with the first
            log.info("chat %s sent another file without words; already answered", update.chat_id)
        else:
            await deps.outbox.post(
                OutgoingMessage(update.chat_id, say(ATTACHMENT_REPLY, customer.language)),
                ATTACHMENT_REPLY,
                customer.id,
            )
        return
    limit = deps.rules.max_text_length
    if len(text) > limit:
        text = text[:limit]
        await deps.outbox.post(
            OutgoingMessage(update.chat_id, say("too_long", customer.language, limit=limit)),
            "reply",
            customer.id,
        )
    if CHECK_IN in owners and state.checkin_id:
        if ctx is not None and ctx.checkin.status in _OPEN and ctx.customer.id == customer.id:
            await checkin_flow.record_text(deps, update, state, ctx, text)
            return
        await deps.conversations.clear_state(key)
        state.step = CHECK_IN.next(state.step, On.CHECKIN_CLOSED)
    # Plugged-in capabilities (advocacy, the desk relay) each check their own table. A route
    # that lets go of a stale step (a testimonial for an ask that closed) leaves the chat idle:
    # the routes are asked once more, as for any idle chat.
    asked_at = state.step
    for route in deps.text_routes:
        if await route(deps, update, state, customer, text):
            return
    if state.step != asked_at:
        for route in deps.text_routes:
            if await route(deps, update, state, customer, text):
                return
    answer = await checkin_flow.store_answer(
        deps, update, customer.id or 0, None, None, "text", None, text, customer.language
    )
    if await checkin_flow.closing_words(deps, customer, update.chat_id, answer_id=answer.id):
        return  # the words opened a case: the customer heard a colleague will follow up
    await deps.outbox.post(
        OutgoingMessage(update.chat_id, say("unsolicited", customer.language)),
        "thanks",
        customer.id,
    )
