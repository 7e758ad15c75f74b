"""What support staff do with a case: claim, reply, resolve, call it not an issue, talk in the
thread. Every change is stored first and announced through the outbox (the card updates)."""

from __future__ import annotations

import logging

from handlers.desk.card import mention
from handlers.desk.messages import ActionResult, DeskAction, Form, FormField
from handlers.desk.port import DeskDeps
from handlers.desk.resolve import open_resolve_form, submit_resolve
from handlers.events import CaseChanged
from handlers.messages import OutgoingMessage
from handlers.texts import say
from storage.desk.cases import OPEN_CASE
from storage.models import CLOSED_BY_FORGET, Case, CaseStatus, OptInState

log = logging.getLogger(__name__)

MAX_REPLY = 3500
INTERNAL_PREFIXES = ("note:", "//")


async def handle_desk_action(dd: DeskDeps, action: DeskAction) -> ActionResult:
    """Carry out one staff action; the result is shown privately to that staff member."""
    if action.kind == "thread_message":
        return await _thread_message(dd, action)
    case_id = int(action.ref) if action.ref.isdigit() else 0
    case = await dd.cases.get_case(case_id) if case_id else None
    if case is None:
        log.warning(
            "desk action %s for unknown case %r by %s", action.kind, action.ref, action.staff.id
        )
        return ActionResult(notice="That case does not exist (any more).")
    handler = _ACTIONS.get(action.kind)
    if handler is None:
        log.warning("unknown desk action %r by %s", action.kind, action.staff.id)
        return ActionResult(notice="Mentorbot does not know that action.")
    result = await handler(dd, case, action)
    await dd.events.publish(CaseChanged(case.id or 0, action.kind))
    return result


async def _claim(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    result = await dd.cases.claim_case(case.id or 0, action.staff.id, dd.clock())
    if result.claimed:
        log.info("case %s claimed by %s", case.id, action.staff.id)
        return ActionResult()
    if result.status not in OPEN_CASE:
        return _closed(case) or ActionResult(notice=f"Case #{case.id} is closed ({result.status}).")
    if result.owner == action.staff.id:
        return ActionResult(notice=f"You already have case #{case.id}.")
    if result.owner:
        owner = mention(dd.desk.markup, result.owner)
        return ActionResult(
            notice=f"Case #{case.id} is already claimed by {owner}; "
            "use Take over on the card to take it."
        )
    return ActionResult(notice=f"Case #{case.id} is closed.")


def _closed(case: Case) -> ActionResult | None:
    if case.status in OPEN_CASE:
        return None
    if case.closed_by == CLOSED_BY_FORGET:
        return ActionResult(notice=f"Case #{case.id} is closed: the customer erased their data.")
    return ActionResult(notice=f"Case #{case.id} is already closed ({case.status}).")


async def _take_over(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    if (closed := _closed(case)) is not None:
        return closed
    result = await dd.cases.take_over_case(case.id or 0, action.staff.id, dd.clock())
    if not result.claimed:
        if result.owner == action.staff.id:
            return ActionResult(notice=f"You already have case #{case.id}.")
        return _closed(case) or ActionResult(notice=f"Case #{case.id} is closed.")
    had = f"from {mention(dd.desk.markup, result.owner)}" if result.owner else "(nobody had it)"
    log.info("case %s taken over by %s from %s", case.id, action.staff.id, result.owner)
    await dd.desk_outbox.enqueue(
        "thread",
        dd.clock(),
        case_id=case.id,
        text=f"🔄 {mention(dd.desk.markup, action.staff.id)} took over {had}.",
    )
    await dd.events.publish(CaseChanged(case.id or 0, "taken_over"))
    return ActionResult()


async def _open_reply(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    if (closed := _closed(case)) or not action.trigger_id:
        return closed or ActionResult(notice="Could not open the reply form.")
    await dd.desk.open_form(
        action.trigger_id,
        Form(
            kind="reply",
            title=f"Reply on case #{case.id}",
            submit="Send",
            ref=str(case.id),
            intro="Goes to the customer on Telegram, signed with your first name.",
            fields=(
                FormField(
                    "message", "Message to the customer", multiline=True, max_length=MAX_REPLY
                ),
            ),
        ),
    )
    return ActionResult()


async def _not_an_issue(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    closed = await dd.cases.close_case(
        case.id or 0, status=CaseStatus.NOT_AN_ISSUE, staff_id=action.staff.id, now=dd.clock()
    )
    return ActionResult() if closed else ActionResult(notice=f"Case #{case.id} is already closed.")


async def _submit_reply(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    text = (action.values.get("message") or "").strip()
    if not text:
        return ActionResult(form_errors={"message": "Write something to send."})
    if len(text) > MAX_REPLY:
        return ActionResult(form_errors={"message": f"At most {MAX_REPLY} characters."})
    if (closed := _closed(case)) is not None:
        return ActionResult(form_errors={"message": closed.notice or "closed"})
    problem = await _send_to_customer(dd, case, action, text)
    if problem:
        return ActionResult(form_errors={"message": problem})
    await dd.desk_outbox.enqueue(
        "thread",
        dd.clock(),
        case_id=case.id,
        text=f"↩️ {mention(dd.desk.markup, action.staff.id)} to the customer: {text}",
    )
    return ActionResult()


async def _thread_message(dd: DeskDeps, action: DeskAction) -> ActionResult:
    if not action.channel or not action.thread_ts:
        return ActionResult()
    case = await dd.cases.case_for_thread(action.channel, action.thread_ts)
    text = action.text.strip()
    if case is None or not text or text.lower().startswith(INTERNAL_PREFIXES):
        return ActionResult()  # not a case thread, or an internal note: nothing to relay
    if (closed := _closed(case)) is not None:
        return ActionResult(notice=f"{closed.notice} Your message was not sent to the customer.")
    if len(text) > MAX_REPLY:
        return ActionResult(notice=f"Not sent: at most {MAX_REPLY} characters per message.")
    problem = await _send_to_customer(dd, case, action, text)
    await dd.events.publish(CaseChanged(case.id or 0, "staff_reply"))
    return (
        ActionResult(notice=f"Not sent to the customer: {problem}") if problem else ActionResult()
    )


async def _send_to_customer(dd: DeskDeps, case: Case, action: DeskAction, text: str) -> str | None:
    """Relay staff words to the customer, signed; returns a problem to show, or None."""
    found = await dd.cases.customer_chat(case.customer_id)
    if found is None or found[1] is None:
        return "the customer is not reachable on Telegram (not linked, or data erased)."
    customer, chat_id = found
    staff = action.staff if action.staff.name else await dd.desk.staff(action.staff.id)
    signed = say("staff_reply", customer.language, text=text, name=staff.first_name)
    if customer.opt_in_state == OptInState.UNREACHABLE:
        return "the customer has blocked the bot."
    delivered = await dd.customer_outbox.post(
        OutgoingMessage(chat_id, signed), "staff_reply", customer.id
    )
    await dd.cases.note_staff_reply(case.id or 0, action.staff.id, dd.clock())
    if not delivered:
        log.warning("relay to customer %s queued: Telegram did not take it yet", case.customer_id)
        return "Telegram did not take it yet; it is queued and will be delivered, in order."
    log.info("case %s: %s replied to the customer", case.id, action.staff.id)
    return None


_ACTIONS = {
    "claim": _claim,
    "take_over": _take_over,
    "reply": _open_reply,
    "resolve": open_resolve_form,
    "not_an_issue": _not_an_issue,
    "form:reply": _submit_reply,
    "form:resolve": submit_resolve,
}
