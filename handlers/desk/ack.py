"""The customer hears at once that a person will follow up: when their answer opens a case (or
joins their open one), the acknowledgement replaces the cheerful close, with roughly when a
colleague will get back to them (business hours and the response-time target)."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.customer_outbox import CustomerOutbox
from handlers.desk.business_hours import add_business_time
from handlers.desk.port import BusinessHours, DeskDeps
from handlers.desk.recovery_texts import day_name, say_recovery
from handlers.messages import OutgoingMessage

if TYPE_CHECKING:
    from handlers.ports import CustomerChannel
    from storage.models import Case, Customer

log = logging.getLogger(__name__)


def promise_phrase(
    now: datetime, within: timedelta, hours: BusinessHours, tz: str, lang: str
) -> str:
    """Roughly when a colleague gets back: "within an hour" while staff are working and the
    target ends today, else "tomorrow before 09:15" in the customer's time zone ``tz``."""
    due = add_business_time(now, within, hours)
    if due - now <= within + timedelta(minutes=1):  # no closed hours in between
        minutes = math.ceil((due - now).total_seconds() / 60)
        if minutes < 60:
            return say_recovery("within_minutes", lang, n=max(minutes, 5))
        if minutes == 60:
            return say_recovery("within_hour", lang)
        return say_recovery("within_hours", lang, n=math.ceil(minutes / 60))
    zone = ZoneInfo(tz)
    local_due, local_now = due.astimezone(zone), now.astimezone(zone)
    # Rounded up to the quarter hour: "before 09:15", not "before 09:07".
    quarter = (local_due.minute + local_due.second / 60) / 15
    local_due = local_due.replace(minute=0, second=0, microsecond=0) + timedelta(
        minutes=15 * math.ceil(quarter)
    )
    clock = local_due.strftime("%H:%M")
    days = (local_due.date() - local_now.date()).days
    if days <= 0:
        return say_recovery("today_before", lang, time=clock)
    if days == 1:
        return say_recovery("tomorrow_before", lang, time=clock)
    return say_recovery("day_before", lang, day=day_name(local_due.weekday(), lang), time=clock)


async def acknowledgement_text(dd: DeskDeps, customer: Customer, case: Case) -> str:
    """The acknowledgement for ``customer`` about ``case``, in their language."""
    s = dd.settings
    lang = customer.language
    who = say_recovery("a_colleague", lang)
    if case.owner:
        try:
            who = (await dd.desk.staff(case.owner)).first_name
        except Exception:  # the desk being away must not stop the acknowledgement
            log.info("could not look up staff member %s", case.owner)
    try:
        ZoneInfo(customer.timezone)
        tz = customer.timezone
    except Exception:
        tz = s.hours.timezone
    when = promise_phrase(dd.clock(), s.reply_within or s.escalate_after, s.hours, tz, lang)
    template = s.acknowledgement.get(lang) or s.acknowledgement.get("en") or ""
    name = (customer.name or "").split(" ")[0]
    text = template.format(name=name, who=who, when=when)
    return text if name else text.replace(", ,", ",")  # "Thank you for telling us, and ..."


async def send_acknowledgement(
    outbox: CustomerOutbox, chat_id: int, text: str, customer_id: int | None
) -> None:
    """Write the acknowledgement to the customer's chat (stored first, retried)."""
    await outbox.post(OutgoingMessage(chat_id, text), "acknowledgement", customer_id)


async def acknowledge_case(
    dd: DeskDeps,
    channel: CustomerChannel,
    customer: Customer,
    chat_id: int,
    *,
    checkin_id: int | None = None,
    answer_id: int | None = None,
) -> bool:
    """If answers of this check-in (or this one answer) opened or joined the customer's open
    case, send the acknowledgement and return True (the caller skips its cheerful close)."""
    try:
        case = await dd.cases.case_touched_by(
            customer.id or 0, checkin_id=checkin_id, answer_id=answer_id
        )
        if case is None:
            return False
        text = await acknowledgement_text(dd, customer, case)
    except Exception:  # no promise we cannot back: the usual close is sent instead
        log.exception("could not decide the acknowledgement for customer %s", customer.id)
        return False
    outbox = CustomerOutbox(dd.message_queue, dd.customers, channel, dd.clock)
    await send_acknowledgement(outbox, chat_id, text, customer.id)
    log.info("customer %s told that case %s will be followed up", customer.id, case.id)
    return True
