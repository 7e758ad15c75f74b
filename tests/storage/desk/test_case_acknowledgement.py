"""Which open case a check-in's (or one answer's) flagged answers opened or joined, on both
backends: what decides that the customer gets the acknowledgement."""

from __future__ import annotations

from storage.models import Answer, CheckIn, Customer
from storage.repositories import Repositories
from tests.case_setup import open_case
from tests.storage.desk.test_cases import NOW


async def test_the_case_a_check_in_opened_or_joined(store: Repositories) -> None:
    async with store.db.session() as s:
        customer = Customer(name="Kim")
        s.add(customer)
        await s.flush()
        cid = customer.id or 0
        checkins = [
            CheckIn(customer_id=cid, journey="standard", touchpoint=t, due_at=NOW)
            for t in ("delivery", "usage", "other")
        ]
        s.add_all(checkins)
        await s.flush()
        opening, joining, unrelated = (
            Answer(customer_id=cid, checkin_id=c.id, score=2, question_type="nps") for c in checkins
        )
        outside = Answer(customer_id=cid, text="broken", question_type="text")
        s.add_all([opening, joining, unrelated, outside])
        await s.flush()
        ids = [c.id or 0 for c in checkins]
        answers = (opening.id or 0, joining.id or 0, outside.id or 0)

    async def open_or_join(answer_id: int, checkin_id: int | None) -> str:
        found = await open_case(
            store,
            answer_id=answer_id,
            customer_id=cid,
            priority="high",
            reasons=["NPS 2"],
            now=NOW,
            respond_by=None,
            channel="C1",
            checkin_id=checkin_id,
        )
        return found.outcome

    assert await store.cases.case_touched_by(cid, checkin_id=ids[0]) is None  # no case yet
    assert await open_or_join(answers[0], ids[0]) == "opened"
    assert await open_or_join(answers[1], ids[1]) == "joined"
    case = await store.cases.open_case_of(cid)
    assert case is not None
    assert (await store.cases.case_touched_by(cid, checkin_id=ids[0])) == case
    assert (await store.cases.case_touched_by(cid, checkin_id=ids[1])) == case  # joined
    assert await store.cases.case_touched_by(cid, checkin_id=ids[2]) is None  # not flagged
    assert await store.cases.case_touched_by(cid, answer_id=answers[2]) is None  # not in the case
    assert (await store.cases.case_touched_by(cid, answer_id=answers[1])) == case
