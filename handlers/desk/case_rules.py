"""Opening, joining and recovering cases: the desk's decisions, made inside a unit of work.

A flagged answer either opens a case, joins the customer's open case, or was already handled
(a re-delivered or re-scored answer). Which one is decided here; storage only executes and its
unique indexes refuse a writer that decided at the same moment (then we decide again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.unit_of_work import DeskPost, UnitOfWork, UnitOfWorkFactory
from storage.desk.cases import THREAD_FILE
from storage.errors import ConcurrentWrite
from storage.models import Answer, Case, Event

log = logging.getLogger(__name__)

PRIORITY_ORDER = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
ATTEMPTS = 3
"""How often a decision refused by a concurrent writer is made again on fresh data."""


@dataclass(frozen=True)
class FlaggedAnswer:
    """An answer that scoring flagged for the desk."""

    answer_id: int
    customer_id: int
    priority: str
    reasons: list[str]
    now: datetime
    respond_by: datetime | None
    channel: str | None
    checkin_id: int | None = None
    file: dict[str, Any] | None = None
    """The file the answer came with (``FileRef.to_payload()``): shared in the case's thread
    after the card, or after the answer's post when it joins a case."""


@dataclass(frozen=True)
class CaseOpening:
    """What became of a flagged answer: a new case, joined to an open one, or already handled."""

    case_id: int
    outcome: str  # "opened", "joined" or "duplicate"


def more_urgent(new: str, old: str) -> bool:
    """Whether priority ``new`` outranks ``old`` (unknown priorities count as normal)."""
    return PRIORITY_ORDER.get(new, 1) > PRIORITY_ORDER.get(old, 1)


async def open_or_join_case(units: UnitOfWorkFactory, flagged: FlaggedAnswer) -> CaseOpening:
    """Open a case for a flagged answer, or add the answer to the customer's open case.

    A case is never opened twice for one answer and a customer never has two open cases: a
    decision the store refuses (another worker decided at the same moment) is made again.
    """
    for _ in range(ATTEMPTS):
        try:
            async with units() as uow:
                return await _decide_opening(uow, flagged)
        except ConcurrentWrite:
            log.info(
                "case for answer %s raced with another writer; deciding again", flagged.answer_id
            )
    raise RuntimeError(f"could not open a case for answer {flagged.answer_id}")


async def _decide_opening(uow: UnitOfWork, f: FlaggedAnswer) -> CaseOpening:
    done = await uow.cases.opened_by(f.answer_id)
    if done is None:
        done = await uow.cases.joined_by(f.customer_id, f.answer_id)
    if done is not None:
        return CaseOpening(done, "duplicate")
    open_case = await uow.cases.open_case_of(f.customer_id)
    if open_case is not None:
        return await _join(uow, open_case, f)
    case = Case(
        customer_id=f.customer_id,
        answer_id=f.answer_id,
        priority=f.priority,
        reasons=list(f.reasons),
        opened_at=f.now,
        respond_by=f.respond_by,
        open_for_customer=f.customer_id,
        slack_channel=f.channel,
    )
    case_id = await uow.cases.add(case)
    await uow.audit.record(
        Event(
            kind="case.opened",
            at=f.now,
            customer_id=f.customer_id,
            case_id=case_id,
            data={"answer_id": f.answer_id, "priority": f.priority, "reasons": list(f.reasons)},
        )
    )
    await uow.desk_posts.queue(DeskPost("case_card", f.now, case_id=case_id, channel=f.channel))
    await _queue_file(uow, case_id, f)
    return CaseOpening(case_id, "opened")


async def _queue_file(uow: UnitOfWork, case_id: int, f: FlaggedAnswer) -> None:
    """The answer's file follows in the case's thread (the outbox fetches and shares it)."""
    if f.file:
        await uow.desk_posts.queue(DeskPost(THREAD_FILE, f.now, case_id=case_id, payload=f.file))


async def _join(uow: UnitOfWork, case: Case, f: FlaggedAnswer) -> CaseOpening:
    """Add the answer to the open case: a raised priority or an answer of the same check-in
    changes the card; an answer of another check-in is posted to the thread."""
    case_id = case.id or 0
    await uow.audit.record(
        Event(
            kind="case.answer_added",
            at=f.now,
            actor=f"answer:{f.answer_id}",
            customer_id=f.customer_id,
            case_id=case_id,
            data={"answer_id": f.answer_id, "priority": f.priority},
        )
    )
    opening = await uow.answers.facts(case.answer_id) if case.answer_id else None
    same_checkin = (
        f.checkin_id is not None and opening is not None and (opening.checkin_id == f.checkin_id)
    )
    raised = more_urgent(f.priority, case.priority)
    if raised:
        case.priority = f.priority
        await uow.cases.save(case)
    if same_checkin or raised:
        await uow.desk_posts.queue(DeskPost("card_update", f.now, case_id=case_id))
    if not same_checkin:
        await uow.desk_posts.queue(
            DeskPost("case_answer", f.now, case_id=case_id, payload={"answer_id": f.answer_id})
        )
    await _queue_file(uow, case_id, f)
    return CaseOpening(case_id, "joined")


async def left_to_the_relay(units: UnitOfWorkFactory, answer: Answer, now: datetime) -> bool:
    """Whether flagged words sent outside a check-in go to the customer's open case by the
    relay (which posted them to its thread) rather than to a case decision; noted, so that
    the sweep for flagged answers no decision took up leaves them alone."""
    async with units() as uow:
        case = await uow.cases.open_case_of(answer.customer_id)
        if case is None:
            return False
        await uow.audit.record(
            Event(
                kind="case.words_relayed",
                at=now,
                actor=f"answer:{answer.id}",
                customer_id=answer.customer_id,
                case_id=case.id,
                data={},
            )
        )
        return True


@dataclass(frozen=True)
class RecoveryAnswer:
    """An answer to a recovery check-in (the "did we fix it?" sent after a case closed)."""

    case_id: int
    line: str
    """What the case thread shows of the answer."""
    nps: int | None
    now: datetime


async def record_recovery_answer(units: UnitOfWorkFactory, answer: RecoveryAnswer) -> bool | None:
    """Post a recovery answer to its case thread; an NPS answer decides whether the customer
    was recovered (9 or 10). Returns that decision, None when nothing was decided.

    A customer whose flagged answer was a promoter's (a complaint under a 9 or 10) was never
    lost: their recovery score is posted but not counted as a recovery.
    """
    async with units() as uow:
        case = await uow.cases.get(answer.case_id)
        if case is None:
            return None
        await uow.desk_posts.queue(
            DeskPost("thread", answer.now, case_id=answer.case_id, text=answer.line)
        )
        if answer.nps is None:
            return None
        opening = await uow.answers.facts(case.answer_id) if case.answer_id else None
        if opening is not None and opening.segment == "promoter":
            log.info("case %s: recovery NPS %s from a promoter", case.id, answer.nps)
            return None
        recovered = answer.nps >= 9
        case.recovered = recovered
        await uow.cases.save(case)
        await uow.audit.record(
            Event(
                kind="case.recovery_answered",
                at=answer.now,
                customer_id=case.customer_id,
                case_id=case.id,
                data={"recovered": recovered},
            )
        )
        await uow.desk_posts.queue(DeskPost("card_update", answer.now, case_id=case.id))
        log.info("case %s: recovery NPS %s, recovered=%s", case.id, answer.nps, recovered)
        return recovered
