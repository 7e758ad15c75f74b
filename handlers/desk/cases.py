"""Cases open from flagged answers; the customer's words reach the case thread; recovery answers
close the loop."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from handlers.checkins.flow import store_answer
from handlers.desk.business_hours import add_business_time
from handlers.desk.card import describe_answer
from handlers.desk.case_rules import (
    FlaggedAnswer,
    RecoveryAnswer,
    left_to_the_relay,
    open_or_join_case,
    record_recovery_answer,
)
from handlers.desk.file_relay import attachment_words
from handlers.desk.port import DeskDeps
from handlers.events import CaseChanged
from handlers.messages import IncomingUpdate, OutgoingMessage, attachment_of, file_of
from handlers.texts import say
from storage.models import Answer, Customer

if TYPE_CHECKING:
    from handlers.checkins.scoring import AnalysisLike
    from handlers.deps import Deps

log = logging.getLogger(__name__)


async def on_scored(dd: DeskDeps, answer: Answer, analysis: AnalysisLike) -> None:
    """After scoring: report recovery answers to their case, open or join a case when flagged."""
    if answer.checkin_id is not None and answer.touchpoint == dd.settings.recovery_touchpoint:
        found = await dd.cases.answer_with_checkin(answer.id or 0)
        checkin = found[1] if found else None
        if checkin is not None and checkin.case_id is not None:
            await _recovery_answer(dd, answer, checkin.case_id)
    if analysis.escalate:
        await decide_case(dd, answer, analysis)


async def decide_case(dd: DeskDeps, answer: Answer, analysis: AnalysisLike) -> None:
    """A flagged answer: open or join a case (words outside a check-in while a case is open
    are left to the relay)."""
    if answer.checkin_id is None and await left_to_the_relay(dd.units, answer, dd.clock()):
        return  # words outside a check-in during an open case: the relay posts them
    now = dd.clock()
    flagged = FlaggedAnswer(
        answer_id=answer.id or 0,
        customer_id=answer.customer_id,
        priority=analysis.priority or "normal",
        reasons=list(analysis.reasons),
        now=now,
        respond_by=add_business_time(now, dd.settings.remind_after, dd.settings.hours),
        channel=dd.settings.support_channel,
        checkin_id=answer.checkin_id,
        file=answer.attachment or None,
    )
    opening = await open_or_join_case(dd.units, flagged)
    log.info("answer %s: case %s %s", answer.id, opening.case_id, opening.outcome)
    if opening.outcome != "duplicate":
        await dd.events.publish(CaseChanged(opening.case_id, opening.outcome))


async def _recovery_answer(dd: DeskDeps, answer: Answer, case_id: int) -> None:
    """Post a recovery check-in answer to the case thread; an NPS answer decides recovery."""
    line = f"🔁 Recovery check-in ({answer.question_id or 'words'}): {describe_answer(answer)}"
    nps = answer.score if answer.question_type == "nps" else None
    await record_recovery_answer(dd.units, RecoveryAnswer(case_id, line, nps, dd.clock()))
    await dd.events.publish(CaseChanged(case_id, "recovery"))


async def relay_customer_words(
    dd: DeskDeps, deps: Deps, update: IncomingUpdate, customer: Customer, text: str
) -> bool:
    """Words from a customer with an open case go to its thread (and are kept as an answer);
    a photo or file they sent (named by its channel, :func:`file_of`) follows the words line.

    ``text`` may be empty when the message carried a file without words. Returns False when
    the customer has no open case, so the words are handled as usual.
    """
    case = await dd.cases.open_case_of(customer.id or 0)
    if case is None:
        return False
    file = file_of(update)
    capped = file is not None and await _over_file_cap(dd, case.id or 0)
    if capped:
        log.info("case %s: over support.relay_files_per_hour; a file is not passed on", case.id)
        file = None
    if not text and file is None:
        return False  # nothing to relay: answered as empty words (or a file alone) are
    if text:
        await store_answer(
            deps, update, customer.id or 0, None, None, "text", None, text, customer.language
        )
    await dd.cases.note_customer_message(
        case.id or 0,
        thread_line(dd, update, customer, text, capped),
        dd.clock(),
        file=file.to_payload() if file is not None else None,
    )
    await dd.events.publish(CaseChanged(case.id or 0, "customer_words"))
    who = say("support_team", customer.language)
    if case.owner:
        staff = await _staff_name(dd, case.owner)
        who = staff or who
    await deps.outbox.post(
        OutgoingMessage(update.chat_id, say("case_relayed", customer.language, who=who)),
        "relay",
        customer.id,
    )
    return True


async def _over_file_cap(dd: DeskDeps, case_id: int) -> bool:
    """Whether the case had its hour's share of files (``relay_files_per_hour``) already."""
    since = dd.clock() - timedelta(hours=1)
    return await dd.cases.files_relayed_since(case_id, since) >= dd.settings.relay_files_per_hour


def thread_line(
    dd: DeskDeps, update: IncomingUpdate, customer: Customer, text: str, capped: bool = False
) -> str:
    """The customer's words as their case's thread shows them, with a note of what came with
    them: a file that follows below, one over the hour's share of files (``capped``), or
    something the bot does not pass on."""
    name = customer.name or f"Customer #{customer.id}"
    parts = ["💬", dd.desk.markup.bold(name + ":")] + ([text] if text else [])
    attachment = attachment_of(update)
    what = attachment_words(attachment or "")
    if capped:
        parts.append(dd.desk.markup.italic(
            f"(sent with a {what}, not passed on: more than {dd.settings.relay_files_per_hour} "
            "files in an hour; ask the customer for it if you need it)"
        ))  # fmt: skip
    elif file_of(update) is not None:
        note = f"(sent with a {what}, which follows below)" if text else f"sent a {what}:"
        parts.append(dd.desk.markup.italic(note))
    elif attachment:  # staff should know the words came with something they cannot see
        parts.append(dd.desk.markup.italic(
            f"(sent with a {what}, which the bot does not pass on: ask the customer for it if "
            "you need it)"
        ))  # fmt: skip
    return " ".join(parts)


async def _staff_name(dd: DeskDeps, staff_id: str) -> str | None:
    try:
        return (await dd.desk.staff(staff_id)).first_name
    except Exception:  # the desk being away must not stop the relay
        log.info("could not look up staff member %s", staff_id)
        return None
