"""Resolving a case: the form (what was done, a message to the customer prefilled in their
language, a goodwill gesture), and the note that reaches the customer, signed with the staff
member's first name, with the gesture in it (a voucher code handed out once, or its text).

A customer who erased their data or blocked the bot gets nothing; the card and thread say so.
"""

from __future__ import annotations

import logging

from handlers.customer_outbox import CustomerOutbox
from handlers.desk.card import NOTE_NOT_SENT, mention
from handlers.desk.gestures import GestureSpec, find_gesture, generate_code
from handlers.desk.messages import ActionResult, DeskAction, Form, FormField, Staff
from handlers.desk.port import DeskDeps
from handlers.messages import OutgoingMessage
from handlers.texts import say
from storage.desk.cases import OPEN_CASE
from storage.desk.resolution import RecoveryPlan
from storage.desk.vouchers import VoucherRequest, VouchersExhausted
from storage.models import Case, CaseStatus, Customer, OptInState

log = logging.getLogger(__name__)

MAX_MESSAGE = 3000


def unreachable_why(customer: Customer | None, chat_id: int | None) -> str | None:
    """Why nothing can be sent to this customer (a NOTE_NOT_SENT key), or None when it can."""
    if customer is None or customer.opt_in_state == OptInState.FORGOTTEN:
        return "erased"
    if customer.opt_in_state == OptInState.UNREACHABLE:
        return "blocked"
    return "not_linked" if chat_id is None else None


async def open_resolve_form(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    """The Resolve form, with the message to the customer prefilled in their language."""
    if case.status not in OPEN_CASE:
        return ActionResult(notice=f"Case #{case.id} is already closed ({case.status}).")
    if not action.trigger_id:
        return ActionResult(notice="Could not open the resolve form.")
    view = await dd.cases.case_view(case.id or 0, previous=0)
    customer = view.customer if view else None
    why = unreachable_why(customer, view.chat_id if view else None)
    lang = customer.language if customer else "en"
    template = dd.settings.resolve_message.get(lang) or dd.settings.resolve_message.get("en", "")
    product = view.purchase.product if view and view.purchase else "order"
    first = ((customer.name if customer else None) or "").split(" ")[0]
    prefill = template.format(name=first, product=product).replace(" ,", ",")
    intro = (
        f"⚠️ Nothing will reach the customer: {NOTE_NOT_SENT[why]}."
        if why
        else "The message goes to the customer on Telegram, signed with your first name, with "
        "the gesture (and its voucher code) below it. Later they get a short check-in: did we "
        "fix it?"
    )
    names = tuple(g.name for g in dd.settings.gestures)
    gesture_field = (
        (FormField("gesture", "Goodwill gesture", optional=True, options=names),) if names else ()
    )
    await dd.desk.open_form(
        action.trigger_id,
        Form(
            kind="resolve",
            title=f"Resolve case #{case.id}",
            submit="Resolve",
            ref=str(case.id),
            intro=intro,
            fields=(
                FormField("note", "What was done (for the team)", multiline=True),
                FormField(
                    "message",
                    f"Message to the customer ({lang})",
                    multiline=True,
                    optional=True,
                    max_length=MAX_MESSAGE,
                    initial=prefill,
                ),
                *gesture_field,
            ),
        ),
    )
    return ActionResult()


def _voucher_request(gesture: GestureSpec) -> VoucherRequest:
    pattern = gesture.pattern
    return VoucherRequest(
        gesture.name, gesture.codes, (lambda: generate_code(pattern)) if pattern else None
    )


async def submit_resolve(dd: DeskDeps, case: Case, action: DeskAction) -> ActionResult:
    """Resolve the case, hand out the gesture's voucher code, and send the customer the note."""
    note = (action.values.get("note") or "").strip()
    if not note:
        return ActionResult(form_errors={"note": "Say in a few words what was done."})
    message = (action.values.get("message") or "").strip()
    if len(message) > MAX_MESSAGE:
        return ActionResult(form_errors={"message": f"At most {MAX_MESSAGE} characters."})
    chosen = action.values.get("gesture") or None
    gesture = find_gesture(dd.settings.gestures, chosen)
    if chosen and gesture is None:
        log.warning("resolve of case %s with unknown gesture %r", case.id, chosen[:80])
        return ActionResult(form_errors={"gesture": "That gesture is no longer configured."})
    found = await dd.cases.customer_chat(case.customer_id)
    customer, chat_id = found if found else (None, None)
    why = unreachable_why(customer, chat_id)
    now = dd.clock()
    voucher = None
    if gesture is not None and gesture.is_voucher and why is None:
        await dd.cases.stock_vouchers(gesture.name, gesture.codes, now)
        voucher = _voucher_request(gesture)
    s = dd.settings
    try:
        closed = await dd.cases.close_case(
            case.id or 0,
            status=CaseStatus.RESOLVED,
            staff_id=action.staff.id,
            now=now,
            note=note[:2000],
            gesture=gesture.name if gesture else None,
            recovery=RecoveryPlan(
                s.recovery_journey, s.recovery_touchpoint, now + s.recovery_delay
            ),
            voucher=voucher,
        )
    except VouchersExhausted:
        log.warning("case %s: no voucher codes left for gesture %r", case.id, chosen)
        return ActionResult(
            form_errors={
                "gesture": f"No voucher codes left for “{chosen}”. Add codes to its pool "
                "(support.gestures in the config) or choose another gesture; the case is "
                "still open."
            }
        )
    if closed is None:
        return ActionResult(notice=f"Case #{case.id} was already closed.")
    log.info("case %s resolved by %s (gesture: %s)", case.id, action.staff.id, chosen)
    await _deliver_note(dd, closed, action.staff, customer, chat_id, why, message, gesture)
    return ActionResult()


async def _deliver_note(
    dd: DeskDeps,
    case: Case,
    staff: Staff,
    customer: Customer | None,
    chat_id: int | None,
    why: str | None,
    message: str,
    gesture: GestureSpec | None,
) -> None:
    """Send the note (or say why not) and record it with the case, its thread and its card."""
    lang = customer.language if customer else "en"
    extra = gesture.text(lang, case.gesture_code) if gesture else ""
    body = "\n\n".join(part for part in (message, extra) if part)
    who = mention(dd.desk.markup, staff.id)
    if why is None and not body:
        delivery, text, line = (
            "none",
            None,
            f"✅ {who} resolved the case; no message to the customer.",
        )
    elif why is not None or chat_id is None or customer is None:
        why = why or "not_linked"
        delivery, text, line = why, None, f"⚠️ Nothing was sent: {NOTE_NOT_SENT[why]}."
    else:
        signed = say("staff_reply", lang, text=body, name=await _first_name(dd, staff, lang))
        delivery, text = await _send(dd, customer, chat_id, signed), signed
        quoted = dd.desk.markup.quote(signed)
        if delivery == "sent":
            line = f"✉️ {who} resolved the case; sent to the customer:\n{quoted}"
        elif delivery == "blocked":
            line = f"⚠️ Nothing reached the customer: {NOTE_NOT_SENT['blocked']}."
            if case.gesture_code:
                line += f" Voucher code {case.gesture_code} went back to the pool."
        else:
            line = (
                f"⏳ {who} resolved the case; Telegram did not take the note yet. It is queued"
                f" and goes out, in order, when Telegram is back:\n{quoted}"
            )
    await dd.cases.record_resolve_note(
        case.id or 0,
        text=text,
        delivery=delivery,
        thread_text=line,
        now=dd.clock(),
        release_code=delivery in ("blocked", "erased", "not_linked"),
    )


async def _first_name(dd: DeskDeps, staff: Staff, lang: str) -> str:
    if staff.name:
        return staff.first_name
    try:
        return (await dd.desk.staff(staff.id)).first_name
    except Exception:  # the desk being away must not stop the note
        log.info("could not look up staff member %s", staff.id)
        return say("support_team", lang)


async def _send(dd: DeskDeps, customer: Customer, chat_id: int, text: str) -> str:
    """Send the note through the customers' outbox; returns what became of it: sent, blocked
    (the outbox set it aside and marked the customer unreachable) or queued (Telegram did not
    take it yet; it goes out, in order, when Telegram is back)."""
    if await send_resolve_note(dd.customer_outbox, chat_id, text, customer.id):
        return "sent"
    now = await dd.cases.customer_chat(customer.id or 0)
    if now is not None and now[0].opt_in_state == OptInState.UNREACHABLE:
        log.info("customer %s blocked the bot; the resolve note was not delivered", customer.id)
        return "blocked"
    log.warning("resolve note to customer %s queued: Telegram did not take it yet", customer.id)
    return "queued"


async def send_resolve_note(
    outbox: CustomerOutbox, chat_id: int, text: str, customer_id: int | None
) -> bool:
    """Write the resolve note to the customer's chat (stored first, retried); True when it
    went out at once."""
    return await outbox.post(OutgoingMessage(chat_id, text), "resolve_note", customer_id)
