"""The scoring pipeline's rules against the in-memory ports: each runs in milliseconds.

What the analyzer is given (a follow-up's words with the score they explain, the customer's
history as storage reads it, at the bot's clock), what is stored, and when the customer is
looked up at all. The pipeline runs end to end with the real analyzer on SQLite and PostgreSQL
in ``test_scoring_history.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.checkins.scoring import ScoringPipeline
from storage.models import Answer, Case, CheckIn, Customer, Event
from tests.handlers.memory.customers import MemoryCustomers
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Verdict:
    """An analysis: escalates when the history holds an earlier complaint."""

    escalate: bool
    polarity: float = -0.4
    label: str = "negative"
    segment: str | None = "passive"
    priority: str | None = "normal"
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"reasons": list(self.reasons)}


@dataclass
class Analyzer:
    """Records what it is asked; a complaint escalates when the customer complained before."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, text: str, **given: Any) -> Verdict:
        self.calls.append({"text": text, **given})
        history = given.get("history") or {}
        again = history.get("recent_complaints", 0) > 0 or history.get("open_case", False)
        return Verdict(escalate=again, reasons=("history: another complaint",) if again else ())

    def history_can_matter(self, analysis: Verdict) -> bool:
        """Only a negative reply can be escalated by its history."""
        return analysis.label == "negative"

    def with_history(self, analysis: Verdict, history: dict[str, Any] | None) -> Verdict:
        """The analysis as the history makes it."""
        again = bool(history and history["recent_complaints"])
        return Verdict(escalate=again, label=analysis.label)


class CountingCustomers(MemoryCustomers):
    """The in-memory customers, counting history look-ups."""

    lookups = 0

    async def customer_history(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``customer_history``, counted."""
        self.lookups += 1
        return await super().customer_history(*args, **kwargs)


def world() -> tuple[MemoryRepositories, int, int]:
    """Empty ports, Kim, and a check-in of hers."""
    ports = MemoryRepositories.on()
    kim = ports.tables.insert(Customer(name="Kim")).id or 0
    checkin = ports.tables.insert(
        CheckIn(customer_id=kim, journey="j", touchpoint="usage", due_at=NOW)
    )
    return ports, kim, checkin.id or 0


async def stored(ports: MemoryRepositories, kim: int, **fields: Any) -> Answer:
    """An English NPS answer of Kim's stored at NOW (``fields`` override)."""
    values: dict[str, Any] = {"customer_id": kim, "question_id": "nps", "question_type": "nps"}
    values |= {"language": "en", "created_at": NOW} | fields
    return await ports.answers.save_answer(Answer(**values))


async def test_a_follow_ups_words_are_scored_with_the_score_they_explain() -> None:
    ports, kim, checkin = world()
    analyzer = Analyzer()
    pipeline = ScoringPipeline(ports.answers, ports.customers, analyzer, clock=lambda: NOW)
    await stored(ports, kim, checkin_id=checkin, score=4, text=None)
    why = await stored(
        ports, kim, checkin_id=checkin, question_id="nps_why", question_type="text", text="Slow"
    )
    await pipeline.process(why)
    call = analyzer.calls[-1]
    assert (call["text"], call["score"], call["question"], call["lang"]) == ("Slow", 4, "nps", "en")
    loose = await stored(ports, kim, question_id=None, question_type="text", text="Hi")
    await pipeline.process(loose)
    assert (analyzer.calls[-1]["score"], analyzer.calls[-1]["question"]) == (None, None)
    kept = ports.tables.get(Answer, why.id)
    assert kept is not None and (kept.scoring_status, kept.sentiment) == ("scored", "negative")


async def test_a_second_complaint_is_escalated_by_the_first_ones_history() -> None:
    ports, kim, checkin = world()
    analyzer = Analyzer()
    pipeline = ScoringPipeline(ports.answers, ports.customers, analyzer, clock=lambda: NOW)
    first = await stored(ports, kim, score=5, text="Too expensive")
    await pipeline.process(first)
    assert first.escalate is False and analyzer.calls[0]["history"]["recent_complaints"] == 0
    second = await stored(ports, kim, checkin_id=checkin, score=5, text="Too expensive")
    await pipeline.process(second)
    assert second.escalate is True
    (event,) = ports.tables.rows(Event)
    assert (event.kind, event.data["answer_id"]) == ("answer.escalate", second.id)
    customer = ports.tables.get(Customer, kim)
    assert customer is not None and customer.segment == "passive"


async def test_the_history_window_ends_at_the_bots_clock() -> None:
    ports, kim, _ = world()
    then = NOW - timedelta(days=400)  # a replay: the wall clock is far ahead
    analyzer = Analyzer()
    pipeline = ScoringPipeline(ports.answers, ports.customers, analyzer, clock=lambda: then)
    first = await stored(
        ports, kim, score=5, text="Too expensive", created_at=then - timedelta(days=1)
    )
    await pipeline.process(first)
    second = await stored(ports, kim, score=5, text="Too expensive", created_at=then)
    await pipeline.process(second)
    assert second.escalate is True
    stale = ScoringPipeline(ports.answers, ports.customers, analyzer, clock=lambda: NOW)
    third = await stored(ports, kim, score=5, text="Too expensive")
    await stale.process(third)
    assert third.escalate is False  # at NOW, both complaints are older than 30 days


async def test_an_open_case_of_another_check_in_counts_but_this_check_ins_own_does_not() -> None:
    ports, kim, checkin = world()
    analyzer = Analyzer()
    pipeline = ScoringPipeline(ports.answers, ports.customers, analyzer, clock=lambda: NOW)
    opening = await stored(ports, kim, checkin_id=checkin, score=2, text=None)
    ports.tables.insert(Case(customer_id=kim, answer_id=opening.id, open_for_customer=kim))
    same = await stored(ports, kim, checkin_id=checkin, question_id="nps_why", text="Broken")
    await pipeline.process(same)
    assert analyzer.calls[-1]["history"]["open_case"] is False and same.escalate is False
    elsewhere = await stored(ports, kim, question_id=None, question_type="text", text="Hello?")
    await pipeline.process(elsewhere)
    assert analyzer.calls[-1]["history"]["open_case"] is True and elsewhere.escalate is True


async def test_with_a_history_step_the_customer_is_looked_up_only_when_it_can_matter() -> None:
    ports, kim, _ = world()
    counting = CountingCustomers(ports.tables)
    analyzer = Analyzer()

    def analyze(text: str, **given: Any) -> Verdict:
        label = "positive" if "Love" in text else "negative"
        return Verdict(escalate=False, label=label)

    pipeline = ScoringPipeline(
        ports.answers, counting, analyze, history=analyzer, clock=lambda: NOW
    )
    praise = await stored(ports, kim, score=10, text="Love it")
    await pipeline.process(praise)
    assert counting.lookups == 0 and praise.escalate is False
    first = await stored(ports, kim, score=5, text="Too expensive")
    await pipeline.process(first)
    assert counting.lookups == 1 and first.escalate is False
    second = await stored(ports, kim, score=5, text="Too expensive")
    await pipeline.process(second)
    assert counting.lookups == 2 and second.escalate is True
