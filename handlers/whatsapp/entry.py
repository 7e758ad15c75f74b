"""Every WhatsApp update from the inbox comes in here, then goes on to the channel-neutral
conversation (:mod:`handlers.conversation`) with what WhatsApp does differently done first:
status callbacks, the window opened by the customer's message, keywords, the click-to-chat code,
and the reply to a check-in's opening template."""

from __future__ import annotations

import dataclasses
import logging

from handlers.chat_address import WHATSAPP, wa_id_of
from handlers.checkins import flow as checkin_flow
from handlers.conversation import handle_update
from handlers.conversation_states import Step, step_of
from handlers.deps import Deps
from handlers.messages import IncomingUpdate, OutgoingMessage
from handlers.whatsapp import linking, statuses
from handlers.whatsapp.deps import WhatsAppDeps
from handlers.whatsapp.keywords import command_of
from handlers.whatsapp.messages import STATUS
from handlers.whatsapp.opener import OPEN_PREFIX, STOP_REPLY
from handlers.whatsapp.reopen import REOPEN_PREFIX, reopened
from handlers.whatsapp.texts import say_wa
from storage.checkins.conversations import StorageKey
from storage.models import OptInState

log = logging.getLogger(__name__)
DUTCH_SPEAKING = ("31", "32")  # the Netherlands, Belgium: greet an unknown number in Dutch


def language_guess(wa_id: str) -> str:
    """The language to greet an unknown number in, from its country code."""
    return "nl" if wa_id.startswith(DUTCH_SPEAKING) else "en"


async def handle_whatsapp(deps: Deps, wd: WhatsAppDeps, update: IncomingUpdate) -> None:
    """Handle one WhatsApp update claimed from the inbox (``deps.channel_name`` is WhatsApp)."""
    extra = update.extra
    if STATUS in extra:
        code = extra.get("error_code")
        await statuses.handle_status(
            deps, wd, extra.get("wamid", ""), extra[STATUS],
            int(code) if code else None, extra.get("error_title"),
        )  # fmt: skip
        return
    await wd.store.touch_inbound(update.chat_id, wd.clock())
    # The window is open again: what waited for it goes now, before the reply to this message.
    if await wd.store.held_messages_due(update.chat_id, wd.clock()):
        await deps.outbox.deliver_chat(update.chat_id)
    if update.language_code is None:
        update = dataclasses.replace(update, language_code=language_guess(wa_id_of(update.chat_id)))
    if update.kind == "button" and update.button_data == STOP_REPLY:
        await _stop(deps, update)
        return
    if update.kind == "button" and update.button_data.startswith(REOPEN_PREFIX):
        await reopened(wd, update.button_data)
        return
    if update.kind == "button" and update.button_data.startswith(OPEN_PREFIX):
        await _show_question(deps, update, update.button_data[len(OPEN_PREFIX) :])
        return
    if update.kind != "text":
        await handle_update(deps, update)
        return
    command = command_of(update.text)
    if command is not None:
        await _command(deps, wd, update, *command)
        return
    customer = await deps.customers.customer_for_chat(WHATSAPP, update.chat_id)
    if customer is None:
        await _reply(deps, update, say_wa("not_linked", update.language_code or "en"))
        return
    pending = await _opener_pending(deps, wd, update)
    await handle_update(deps, update)
    if pending is not None:  # words before the question was shown: show it now
        await _show_question(deps, update, str(pending), only_if_unanswered=True)


async def _reply(deps: Deps, update: IncomingUpdate, text: str) -> None:
    await deps.outbox.post(OutgoingMessage(update.chat_id, text), "reply")


async def _command(
    deps: Deps, wd: WhatsAppDeps, update: IncomingUpdate, name: str, args: tuple[str, ...]
) -> None:
    if name == "start":
        await linking.handle_code(deps, wd, update, args[0])
        return
    customer = await deps.customers.customer_for_chat(WHATSAPP, update.chat_id)
    lang = customer.language if customer else update.language_code or "en"
    if name == "help" or customer is None:
        await _reply(deps, update, say_wa("help" if customer else "not_linked", lang))
        return
    if name == "stop":
        await _stop(deps, update)
        return
    await handle_update(deps, dataclasses.replace(update, kind="command", command=name, args=args))


async def _stop(deps: Deps, update: IncomingUpdate) -> None:
    """STOP / STOPPEN, or the opening template's Stop button: no more check-ins."""
    customer = await deps.customers.customer_for_chat(WHATSAPP, update.chat_id)
    if customer is None:
        await _reply(deps, update, say_wa("not_linked", update.language_code or "en"))
        return
    await deps.customers.set_opt_in_state(
        customer.id or 0, OptInState.OPTED_OUT, "customer sent STOP"
    )
    await deps.conversations.clear_state(StorageKey(WHATSAPP, update.chat_id, update.user_id))
    await _reply(deps, update, say_wa("stopped", customer.language))


async def _opener_pending(deps: Deps, wd: WhatsAppDeps, update: IncomingUpdate) -> int | None:
    """The check-in whose opening template is the last thing the customer saw (its first
    question not shown yet), or None."""
    state = await deps.conversations.get_state(StorageKey(WHATSAPP, update.chat_id, update.user_id))
    if state.checkin_id is None or state.question_index != 0:
        return None
    if step_of(state.step) != Step.QUESTION:
        return None
    message_id = state.data.get("message_id")
    if not isinstance(message_id, int) or not await wd.store.opened_by_template(message_id):
        return None
    return state.checkin_id


async def _show_question(
    deps: Deps, update: IncomingUpdate, checkin: str, only_if_unanswered: bool = False
) -> None:
    """Ask the question the chat is at, for the check-in an opening template named."""
    state = await deps.conversations.get_state(StorageKey(WHATSAPP, update.chat_id, update.user_id))
    if not checkin.isdigit() or state.checkin_id != int(checkin):
        log.info(
            "chat %s replied to an opener of check-in %s, no longer open",
            update.chat_id,
            checkin[:12],
        )
        if not only_if_unanswered:
            await _reply(deps, update, "👍")
        return
    if only_if_unanswered and (state.question_index != 0 or step_of(state.step) != Step.QUESTION):
        return
    ctx = await deps.checkins.checkin_context(state.checkin_id)
    if ctx is None or ctx.chat_id != update.chat_id:
        return
    message_id = await checkin_flow.ask(deps, ctx, state.question_index)
    state.data = {**state.data, "message_id": message_id}
    await deps.conversations.save_state(state)
