"""The ``score_left_behind`` rules against the in-memory ports: each runs in milliseconds.

Which answers are picked up (the settle time and the window), once, one worker at a time, and a
failure retried on the next run. The same job runs end to end on SQLite and PostgreSQL in
``test_rescoring.py``; the ports' contract is in ``tests/handlers/memory``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.checkins.rescoring import score_left_behind
from handlers.checkins.scoring import ScoringPipeline
from handlers.events import AnswerScored, EventBus
from storage.models import Answer, Customer, Event
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANGRY = "It leaked all over the floor, I want my money back"


@dataclass(frozen=True)
class Verdict:
    """What the analyzer says of every answer here: a detractor to hand to support (the
    analyzer's own rules are tested in tests/sentiment)."""

    polarity: float = -0.8
    label: str = "negative"
    segment: str | None = "detractor"
    escalate: bool = True
    priority: str | None = "high"
    reasons: tuple[str, ...] = ("NPS 1",)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"priority": self.priority, "reasons": list(self.reasons)}


def unhappy(text: str, **_: object) -> Verdict:
    """The analyzer: every answer reads as an unhappy detractor's."""
    return Verdict()


SCORING = unhappy


def world() -> tuple[MemoryRepositories, int]:
    """Empty ports and Kim, a customer."""
    ports = MemoryRepositories.on()
    return ports, ports.tables.insert(Customer(name="Kim")).id or 0


async def unscored(ports: MemoryRepositories, customer_id: int, age: timedelta) -> int:
    """An answer stored ``age`` before NOW and never scored."""
    stored = await ports.answers.save_answer(
        Answer(
            customer_id=customer_id,
            question_id="nps",
            question_type="nps",
            score=1,
            text=ANGRY,
            language="en",
            created_at=NOW - age,
        )
    )
    return stored.id or 0


def status(ports: MemoryRepositories, answer_id: int) -> str:
    """The stored answer's scoring status."""
    answer = ports.tables.get(Answer, answer_id)
    assert answer is not None
    return answer.scoring_status


async def test_only_answers_past_the_settle_time_and_inside_the_window() -> None:
    ports, kim = world()
    flagged: list[int] = []

    async def after(scored: AnswerScored) -> None:
        flagged.append(scored.answer.id or 0)

    events = EventBus()
    events.subscribe(AnswerScored, after)
    pipeline = ScoringPipeline(ports.answers, ports.customers, SCORING, events=events)
    settled = await unscored(ports, kim, timedelta(minutes=2))  # exactly the settle time
    fresh = await unscored(ports, kim, timedelta(minutes=2) - timedelta(seconds=1))
    last_day = await unscored(ports, kim, timedelta(days=1))  # exactly the window
    stale = await unscored(ports, kim, timedelta(days=1, seconds=1))
    report = await score_left_behind(ports.answers, ports.leases, pipeline, NOW, worker="w1")
    assert (report.scored, report.failed, report.skipped_lease) == (2, 0, False)
    assert flagged == [last_day, settled]  # oldest first
    assert [status(ports, a) for a in (settled, fresh, last_day, stale)] == [
        "scored",
        "unscored",
        "scored",
        "unscored",
    ]
    escalated = [e.data["answer_id"] for e in ports.tables.rows(Event)]
    assert escalated == [last_day, settled]
    customer = ports.tables.get(Customer, kim)
    assert customer is not None and customer.segment == "detractor"
    again = await score_left_behind(
        ports.answers, ports.leases, pipeline, NOW + timedelta(seconds=1), worker="w1"
    )
    assert (again.scored, again.failed) == (1, 0)  # only the one that has settled since
    assert flagged == [last_day, settled, fresh] and status(ports, stale) == "unscored"


async def test_a_batch_takes_the_oldest_and_the_next_run_the_rest() -> None:
    ports, kim = world()
    ids = [await unscored(ports, kim, timedelta(minutes=10 - i)) for i in range(5)]
    pipeline = ScoringPipeline(ports.answers, ports.customers, SCORING)
    first = await score_left_behind(
        ports.answers, ports.leases, pipeline, NOW, worker="w1", batch=3
    )
    assert first.scored == 3
    assert [status(ports, a) for a in ids] == ["scored"] * 3 + ["unscored"] * 2
    second = await score_left_behind(
        ports.answers, ports.leases, pipeline, NOW, worker="w2", batch=3
    )
    assert second.scored == 2  # the lease was given back after the first run


async def test_a_failing_answer_is_counted_the_others_go_on_and_it_is_retried() -> None:
    ports, kim = world()
    broken = await unscored(ports, kim, timedelta(minutes=5))
    fine = await unscored(ports, kim, timedelta(minutes=4))
    done: list[int] = []

    class Flaky:
        """A pipeline that fails on one answer and scores nothing in storage."""

        async def process(self, answer: Answer) -> None:
            if answer.id == broken:
                raise ConnectionError("database away")
            done.append(answer.id or 0)

    failed = await score_left_behind(ports.answers, ports.leases, Flaky(), NOW, worker="w1")
    assert (failed.scored, failed.failed) == (1, 1) and done == [fine]
    # Flaky scored nothing in storage: both are picked up again next time.
    again = await score_left_behind(ports.answers, ports.leases, Flaky(), NOW, worker="w1")
    assert (again.scored, again.failed) == (1, 1) and done == [fine, fine]


async def test_one_worker_at_a_time_until_its_lease_runs_out() -> None:
    ports, kim = world()
    await unscored(ports, kim, timedelta(minutes=3))
    pipeline = ScoringPipeline(ports.answers, ports.customers, SCORING)
    assert await ports.leases.take_lease("score_left_behind", "w1", NOW, timedelta(minutes=2))
    other = await score_left_behind(ports.answers, ports.leases, pipeline, NOW, worker="w2")
    assert other.skipped_lease and other.scored == 0
    later = NOW + timedelta(minutes=2, seconds=1)  # w1 died: its lease ran out
    taken = await score_left_behind(ports.answers, ports.leases, pipeline, later, worker="w2")
    assert not taken.skipped_lease and taken.scored == 1
