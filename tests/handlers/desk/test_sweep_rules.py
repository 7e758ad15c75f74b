"""The sweep of flagged answers no case decision took up, against the in-memory ports: each test
runs in milliseconds.

The sweep reads through a query port (``escalated_without_case``) and decides inside units of
work; both share one set of rows, so a case the sweep opened, an answer it joined to a case, or
words it left to the relay are what its next run reads as taken up. Which answers it takes
(scored, flagged, settled, within the window), what it decides for each (open, join, leave to
the relay) and that it decides once. It runs end to end over the fake Telegram and Slack
servers in tests/bot/support/test_cases_left_behind.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.desk.sweep import open_cases_left_behind
from handlers.unit_of_work import UnitOfWork
from storage.db import StorageUnavailable
from storage.memory import MemoryUnitOfWork
from storage.models import Answer, Case, Customer, Event, OutboxMessage
from tests.handlers.desk.memory_desk import NOW, MemoryDesk, memory_desk

MINUTE = timedelta(minutes=1)


def customer(desk: MemoryDesk, name: str) -> int:
    """A new customer's id."""
    return desk.ports.tables.insert(Customer(name=name)).id or 0


def flagged(
    desk: MemoryDesk, customer_id: int, minutes_ago: int, checkin_id: int | None, **fields: Any
) -> int:
    """A scored answer that scoring flagged, stored ``minutes_ago`` before NOW; its id."""
    values: dict[str, Any] = {
        "question_type": "nps",
        "score": 2,
        "scoring_status": "scored",
        "segment": "detractor",
        "escalate": True,
    } | fields
    answer = Answer(
        customer_id=customer_id,
        checkin_id=checkin_id,
        created_at=NOW - minutes_ago * MINUTE,
        **values,
    )
    return desk.ports.tables.insert(answer).id or 0


def case_of(desk: MemoryDesk, answer_id: int) -> Case:
    """The case ``answer_id`` opened."""
    (case,) = desk.ports.tables.rows(Case, lambda c: c.answer_id == answer_id)
    return case


def posts(desk: MemoryDesk) -> list[tuple[str, int | None, dict[str, Any]]]:
    """The desk posts queued: (kind, case id, payload)."""
    return [(m.kind, m.case_id, m.payload) for m in desk.ports.tables.rows(OutboxMessage)]


def events(desk: MemoryDesk) -> list[tuple[str, str | None, int | None]]:
    """The audit events: (kind, actor, case id)."""
    return [(e.kind, e.actor, e.case_id) for e in desk.ports.tables.rows(Event)]


async def swept(desk: MemoryDesk) -> tuple[int, int, bool]:
    """One run of the sweep at the desk's clock: (decided, failed, skipped for the lease)."""
    report = await open_cases_left_behind(desk.deps, desk.clock())
    return report.decided, report.failed, report.skipped_lease


async def test_the_sweep_opens_joins_or_leaves_to_the_relay_once_each() -> None:
    desk = memory_desk()
    kim, ann, bo, dee = (customer(desk, n) for n in ("Kim", "Ann", "Bo", "Dee"))
    urgent = {"priority": "urgent", "reasons": ["NPS 1", "refund"]}
    kim_first = flagged(desk, kim, 30, 10, analysis=urgent)
    kim_later = flagged(desk, kim, 20, 11, analysis={"priority": "high"})
    ann_done = flagged(desk, ann, 25, 12)
    ann_case = Case(customer_id=ann, answer_id=ann_done, opened_at=NOW, open_for_customer=ann)
    desk.ports.tables.insert(ann_case)
    bo_settling = flagged(desk, bo, 1, 13)
    flagged(desk, bo, 2 * 24 * 60, 14)  # older than the window: not looked at
    flagged(desk, bo, 15, 15, scoring_status="unscored")  # rescoring's, not the sweep's
    flagged(desk, bo, 15, 16, escalate=False)
    dee_case = Case(customer_id=dee, opened_at=NOW - 60 * MINUTE, open_for_customer=dee)
    dee_case_id = desk.ports.tables.insert(dee_case).id
    dee_words = flagged(desk, dee, 10, None, question_type="text", score=None)

    assert await swept(desk) == (3, 0, False)
    opened = case_of(desk, kim_first)
    assert (opened.customer_id, opened.open_for_customer) == (kim, kim)
    assert (opened.priority, opened.reasons) == ("urgent", ["NPS 1", "refund"])
    assert (opened.slack_channel, opened.respond_by) == ("C-support", NOW + 15 * MINUTE)
    # Kim's later answer, of another check-in and less urgent, joins her case: its thread
    # hears it and the card stays. Dee's words outside a check-in are the relay's.
    assert posts(desk) == [
        ("case_card", opened.id, {}),
        ("case_answer", opened.id, {"answer_id": kim_later}),
    ]
    assert events(desk) == [
        ("case.opened", None, opened.id),
        ("case.answer_added", f"answer:{kim_later}", opened.id),
        ("case.words_relayed", f"answer:{dee_words}", dee_case_id),
    ]
    assert [(c.case_id, c.change) for c in desk.changes] == [
        (opened.id, "opened"),
        (opened.id, "joined"),
    ]
    assert len(desk.ports.tables.rows(Case)) == 3  # Ann's and Dee's cases, and Kim's new one

    # What the first run committed is what the query reads: nothing is left behind now.
    assert await swept(desk) == (0, 0, False)
    assert len(posts(desk)) == 2 and len(events(desk)) == 3

    # Bo's answer was too young to sweep (it may still be on its way); once settled it is.
    desk.clock.now = NOW + 3 * MINUTE
    assert await swept(desk) == (1, 0, False)
    bos = case_of(desk, bo_settling)
    assert (bos.priority, bos.reasons, bos.open_for_customer) == ("normal", [], bo)
    assert posts(desk)[-1] == ("case_card", bos.id, {})
    assert await swept(desk) == (0, 0, False)


class FailingOnce:
    """The desk's units, the first of which fails to begin (the database went away)."""

    def __init__(self, desk: MemoryDesk) -> None:
        self.desk, self.failed = desk, False

    def __call__(self) -> UnitOfWork:
        if not self.failed:
            self.failed = True
            raise StorageUnavailable("the database is not reachable")
        return MemoryUnitOfWork(self.desk.ports.tables)


async def test_a_decision_that_fails_is_counted_and_made_on_the_next_run() -> None:
    desk = memory_desk()
    desk.deps.units = FailingOnce(desk)
    kim, ann = customer(desk, "Kim"), customer(desk, "Ann")
    kims = flagged(desk, kim, 30, 10)
    anns = flagged(desk, ann, 20, 11)
    assert await swept(desk) == (1, 1, False)  # Kim's failed, Ann's went on
    assert [c.answer_id for c in desk.ports.tables.rows(Case)] == [anns]
    assert await swept(desk) == (1, 0, False)
    assert case_of(desk, kims).open_for_customer == kim
    assert await swept(desk) == (0, 0, False)


async def test_one_worker_at_a_time_sweeps() -> None:
    desk = memory_desk()
    flagged(desk, customer(desk, "Kim"), 30, 10)
    leases = desk.ports.leases
    assert await leases.take_lease("cases_left_behind", "other", NOW, timedelta(minutes=2))
    assert await swept(desk) == (0, 0, True)
    assert desk.ports.tables.rows(Case) == [] and posts(desk) == []
    desk.clock.now = NOW + 3 * MINUTE  # the other worker's lease ran out
    assert await swept(desk) == (1, 0, False)
    assert len(desk.ports.tables.rows(Case)) == 1
