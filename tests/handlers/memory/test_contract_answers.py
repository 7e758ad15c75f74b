"""Contract: answers stored, scored, revised and found again, alike in memory, on SQLite and
on PostgreSQL; the left-behind queries' windows, order and limits above all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.checkins.answers import UpdateAlreadyHandled
from storage.models import Answer, Customer, Event, InboxUpdate
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import MINUTE, NOW, answer, case, checkin, customer


async def test_saved_answers_are_found_by_check_in_and_by_chat_message(
    ports: PortsBackend,
) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    c1, c2 = checkin(kim.id), checkin(kim.id)
    await ports.seed(c1, c2)
    answers = ports.repos.answers
    first = await answers.save_answer(answer(kim.id, checkin_id=c1.id, source_message_id=70))
    other = await answers.save_answer(answer(kim.id, checkin_id=c2.id, source_message_id=70))
    second = await answers.save_answer(answer(kim.id, checkin_id=c1.id, question_id="nps_why"))
    assert first.id is not None and first.id < other.id < second.id
    found = await answers.answers_for_checkin(c1.id)
    assert [(a.id, a.question_id) for a in found] == [(first.id, "nps"), (second.id, "nps_why")]
    assert await answers.answers_for_checkin(999) == []
    by_message = await answers.answer_for_message(kim.id, 70)
    assert by_message is not None and by_message.id == first.id  # the first of two
    assert await answers.answer_for_message(sam.id, 70) is None


async def test_an_answer_is_stored_only_while_its_update_is_still_this_attempts(
    ports: PortsBackend,
) -> None:
    kim = await ports.one(customer())
    await ports.seed(
        InboxUpdate(channel="telegram", update_id=5, chat_id=1, payload="{}", claimed_by="c:1")
    )
    answers = ports.repos.answers
    with pytest.raises(UpdateAlreadyHandled):
        await answers.save_answer(answer(kim.id), handled=("telegram", 5, "someone-else"))
    assert await ports.rows(Answer) == []
    saved = await answers.save_answer(answer(kim.id), handled=("telegram", 5, "c:1"))
    assert [a.id for a in await ports.rows(Answer)] == [saved.id]
    (update,) = await ports.rows(InboxUpdate)
    assert update.handled_at is not None


async def test_scoring_is_stored_with_its_event_and_the_customers_segment(
    ports: PortsBackend,
) -> None:
    kim = await ports.one(customer(segment="passive"))
    first = await ports.repos.answers.save_answer(answer(kim.id))
    second = await ports.repos.answers.save_answer(answer(kim.id))
    flagged = Event(kind="answer.escalate", customer_id=kim.id, data={"answer_id": first.id})
    await ports.repos.answers.record_scoring(
        first.id,
        polarity=-0.5,
        sentiment="negative",
        segment="detractor",
        escalate=True,
        analysis={"reasons": ["NPS 3"]},
        event=flagged,
    )
    stored = {a.id: a for a in await ports.rows(Answer)}
    one = stored[first.id]
    assert (one.scoring_status, one.polarity, one.sentiment, one.segment, one.escalate) == (
        "scored",
        -0.5,
        "negative",
        "detractor",
        True,
    )
    assert one.analysis == {"reasons": ["NPS 3"]}
    assert stored[second.id].scoring_status == "unscored"
    (customer_row,) = await ports.rows(Customer)
    assert customer_row.segment == "detractor"
    await ports.repos.answers.record_scoring(
        second.id,
        polarity=0.0,
        sentiment="neutral",
        segment=None,
        escalate=False,
        analysis={},
        customer_id=kim.id,
    )
    (customer_row,) = await ports.rows(Customer)
    assert customer_row.segment == "detractor"  # no segment: the customer's stays
    assert [(e.kind, e.data) for e in await ports.rows(Event)] == [
        ("answer.escalate", {"answer_id": first.id})
    ]


async def test_a_revised_answer_is_unscored_again_and_the_old_words_are_kept(
    ports: PortsBackend,
) -> None:
    kim = await ports.one(customer())
    saved = await ports.repos.answers.save_answer(answer(kim.id, scoring_status="scored"))
    await ports.repos.answers.revise_answer_text(saved.id, "Fine now", "It broke", NOW + MINUTE)
    await ports.repos.answers.revise_answer_text(999, "x", "y", NOW)  # gone: nothing
    (stored,) = await ports.rows(Answer)
    assert (stored.text, stored.scoring_status) == ("Fine now", "unscored")
    await ports.repos.answers.record_event("note", kim.id, None, actor="ops")
    events = [(e.kind, e.customer_id, e.data, e.actor) for e in await ports.rows(Event)]
    assert events == [
        ("answer.edited", kim.id, {"answer_id": saved.id, "before": "It broke"}, None),
        ("note", kim.id, {}, "ops"),
    ]
    assert (await ports.rows(Event))[0].at == NOW + MINUTE


async def test_unscored_answers_in_the_window_oldest_first(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    since, until = NOW - timedelta(days=1), NOW - 2 * MINUTE
    late = answer(kim.id, created_at=until)  # stored first, but newer
    early = answer(kim.id, created_at=since)
    middle = answer(kim.id, created_at=NOW - timedelta(hours=3))
    scored = answer(kim.id, created_at=NOW - timedelta(hours=2), scoring_status="scored")
    too_old = answer(kim.id, created_at=since - timedelta(seconds=1))
    too_new = answer(kim.id, created_at=until + timedelta(seconds=1))
    await ports.seed(late, early, middle, scored, too_old, too_new)
    found = await ports.repos.answers.unscored_answers(since, until, 10)
    assert [a.id for a in found] == [early.id, middle.id, late.id]  # both ends included
    limited = await ports.repos.answers.unscored_answers(since, until, 2)
    assert [a.id for a in limited] == [early.id, middle.id]


async def test_flagged_answers_no_case_decision_took_up(ports: PortsBackend) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    since, until = NOW - timedelta(days=1), NOW

    def flagged(who: int, minutes: int, **fields: object) -> Answer:
        values = {"scoring_status": "scored", "escalate": True} | fields
        return answer(who, created_at=NOW - minutes * MINUTE, **values)

    opened, joined, relayed, left = (flagged(kim.id, m) for m in (50, 40, 30, 20))
    sams = flagged(sam.id, 10)
    calm = flagged(kim.id, 15, escalate=False)
    unscored = flagged(kim.id, 12, scoring_status="unscored")
    stale = flagged(kim.id, 60 * 25)
    await ports.seed(opened, joined, relayed, left, sams, calm, unscored, stale)
    await ports.seed(
        case(kim.id, answer_id=opened.id),
        Event(kind="case.answer_added", customer_id=kim.id, actor=f"answer:{joined.id}"),
        Event(kind="case.words_relayed", customer_id=kim.id, actor=f"answer:{relayed.id}"),
        # Sam's answer is tagged by an event of Kim's: that decided nothing for Sam.
        Event(kind="case.answer_added", customer_id=kim.id, actor=f"answer:{sams.id}"),
        Event(kind="case.claimed", customer_id=kim.id, actor=f"answer:{left.id}"),
    )
    found = await ports.repos.answers.escalated_without_case(since, until, 10)
    assert [a.id for a in found] == [left.id, sams.id]
    assert [a.id for a in await ports.repos.answers.escalated_without_case(since, until, 1)] == [
        left.id
    ]
