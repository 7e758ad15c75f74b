"""Answers left unscored (a crash between storing and scoring, a failed scoring) are scored by the
``score_left_behind`` job, once, one worker at a time, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.checkins.rescoring import score_left_behind
from handlers.checkins.scoring import ScoringPipeline
from handlers.events import AnswerScored, EventBus
from sentiment.service import Scoring
from storage.models import Answer, Customer, Event
from storage.repositories import Repositories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANGRY = "It leaked all over the floor, I want my money back"


async def stored_unscored(store: Repositories, age: timedelta, text: str = ANGRY) -> int:
    """An answer as a crash right after its commit leaves it: stored, never scored."""
    async with store.db.session() as s:
        customer = Customer(name="Kim")
        s.add(customer)
        await s.flush()
    answer = await store.answers.save_answer(
        Answer(
            customer_id=customer.id or 0,
            question_id="nps",
            question_type="nps",
            score=1,
            text=text,
            language="en",
            created_at=NOW - age,
        )
    )
    return answer.id or 0


async def answer(store: Repositories, answer_id: int) -> Answer:
    async with store.db.session() as s:
        return (await s.execute(select(Answer).where(Answer.id == answer_id))).scalar_one()


async def test_an_answer_left_unscored_is_scored_and_escalated_once(store: Repositories) -> None:
    flagged: list[int] = []

    async def after(scored: AnswerScored) -> None:
        flagged.append(scored.answer.id or 0)

    events = EventBus()
    events.subscribe(AnswerScored, after)
    pipeline = ScoringPipeline(store.answers, store.customers, Scoring("rules"), events=events)
    left = await stored_unscored(store, timedelta(minutes=5))
    fresh = await stored_unscored(store, timedelta(seconds=30))  # maybe still being scored
    stale = await stored_unscored(store, timedelta(days=2))  # beyond the window
    report = await score_left_behind(store.answers, store.leases, pipeline, NOW, worker="w1")
    assert (report.scored, report.failed) == (1, 0)
    done = await answer(store, left)
    assert done.scoring_status == "scored" and done.escalate is True
    assert done.segment == "detractor" and flagged == [left]
    assert (await answer(store, fresh)).scoring_status == "unscored"
    assert (await answer(store, stale)).scoring_status == "unscored"
    async with store.db.session() as s:
        events = (await s.execute(select(Event).where(Event.kind == "answer.escalate"))).scalars()
        assert [e.data["answer_id"] for e in events] == [left]
    again = await score_left_behind(
        store.answers, store.leases, pipeline, NOW + timedelta(minutes=1), worker="w1"
    )
    assert (again.scored, again.failed) == (0, 0) and flagged == [left]


async def test_a_failing_scoring_is_retried_on_the_next_run(store: Repositories) -> None:
    left = await stored_unscored(store, timedelta(minutes=3))

    class DatabaseAway:
        async def process(self, _answer: Answer) -> None:
            raise ConnectionError("database away")

    failed = await score_left_behind(store.answers, store.leases, DatabaseAway(), NOW, worker="w1")
    assert (failed.scored, failed.failed) == (0, 1)
    assert (await answer(store, left)).scoring_status == "unscored"
    pipeline = ScoringPipeline(store.answers, store.customers, Scoring("rules"))
    back = await score_left_behind(
        store.answers, store.leases, pipeline, NOW + timedelta(minutes=1), worker="w1"
    )
    assert back.scored == 1 and (await answer(store, left)).scoring_status == "scored"


async def test_one_worker_at_a_time(store: Repositories) -> None:
    await stored_unscored(store, timedelta(minutes=3))
    assert await store.leases.take_lease("score_left_behind", "w1", NOW, timedelta(minutes=2))
    pipeline = ScoringPipeline(store.answers, store.customers, Scoring("rules"))
    other = await score_left_behind(store.answers, store.leases, pipeline, NOW, worker="w2")
    assert other.skipped_lease and other.scored == 0
