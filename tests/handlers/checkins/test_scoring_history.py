"""The scoring pipeline passes the customer's history to the analyzer (both backends' stores)."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.checkins.scoring import ScoringPipeline
from sentiment.service import Scoring
from storage.models import Answer, CheckIn, Customer
from storage.repositories import CustomerRepository, Repositories
from tests.storage.desk.test_customer_history import NOW


async def new_answer(
    store: Repositories, customer_id: int, text: str, score: int, at: datetime | None = None
) -> Answer:
    async with store.db.session() as s:
        checkin = CheckIn(customer_id=customer_id, journey="j", touchpoint="usage", due_at=NOW)
        s.add(checkin)
        await s.flush()
        answer = Answer(
            customer_id=customer_id,
            checkin_id=checkin.id,
            question_id="nps",
            question_type="nps",
            score=score,
            text=text,
            language="en",
        )
        if at is not None:
            answer.created_at = at
        s.add(answer)
        await s.flush()
        await s.refresh(answer)
        return answer


async def test_a_second_mild_complaint_reaches_the_desk(store: Repositories) -> None:
    async with store.db.session() as s:
        customer = Customer(name="Robin")
        s.add(customer)
        await s.flush()
        cid = customer.id or 0
    pipeline = ScoringPipeline(store.answers, store.customers, Scoring("rules"))
    first = await new_answer(store, cid, "Too expensive", 5)
    await pipeline.process(first)
    assert first.sentiment == "negative" and first.escalate is False
    second = await new_answer(store, cid, "Too expensive", 5)
    await pipeline.process(second)
    assert second.escalate is True
    stored = await store.answers.answers_for_checkin(second.checkin_id or 0)
    assert any(r.startswith("history: another complaint") for r in stored[0].analysis["reasons"])


async def test_the_history_window_ends_at_the_bots_clock(store: Repositories) -> None:
    """A bot whose clock is behind the wall clock (a replay, a test) still sees yesterday's
    complaint as recent: the 30-day window ends at its now, not the wall clock's."""
    then = datetime(2024, 5, 6, 12, 0, tzinfo=NOW.tzinfo)
    async with store.db.session() as s:
        customer = Customer(name="Sam")
        s.add(customer)
        await s.flush()
        cid = customer.id or 0
    pipeline = ScoringPipeline(store.answers, store.customers, Scoring("rules"), clock=lambda: then)
    first = await new_answer(store, cid, "Too expensive", 5, at=then - timedelta(days=1))
    await pipeline.process(first)
    second = await new_answer(store, cid, "Too expensive", 5, at=then)
    await pipeline.process(second)
    assert second.escalate is True


class CountingCustomers(CustomerRepository):
    """The real customers' repository, counting the history look-ups."""

    lookups = 0

    async def customer_history(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.lookups += 1
        return await super().customer_history(*args, **kwargs)


async def test_with_a_history_step_the_customer_is_looked_up_only_when_it_can_matter(
    store: Repositories,
) -> None:
    counting = CountingCustomers(store.db)
    async with store.db.session() as s:
        customer = Customer(name="Robin")
        s.add(customer)
        await s.flush()
        cid = customer.id or 0
    scoring = Scoring("rules")
    pipeline = ScoringPipeline(store.answers, counting, scoring, history=scoring)
    praise = await new_answer(store, cid, "Love it, works perfectly", 10)
    await pipeline.process(praise)
    assert counting.lookups == 0 and praise.escalate is False
    first = await new_answer(store, cid, "Too expensive", 5)
    await pipeline.process(first)
    assert counting.lookups == 1 and first.escalate is False
    second = await new_answer(store, cid, "Too expensive", 5)
    await pipeline.process(second)
    assert counting.lookups == 2 and second.escalate is True
    stored = await store.answers.answers_for_checkin(second.checkin_id or 0)
    assert any(r.startswith("history: another complaint") for r in stored[0].analysis["reasons"])
