"""The desk's case rules against the in-memory unit of work: each runs in milliseconds.

Open, join or leave alone; what a join changes on the card; when a recovery counts. The same
rules run over SQLite and PostgreSQL in tests/storage (the contract suite, and the case tests).
"""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.customers.forgetting import forget_customer
from handlers.desk.case_rules import (
    FlaggedAnswer,
    RecoveryAnswer,
    more_urgent,
    open_or_join_case,
    record_recovery_answer,
)
from storage.memory import MemoryUnitOfWork
from storage.memory_tables import MemoryTables
from storage.models import Answer, Case, Customer, Event, OptInState, OutboxMessage

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KIM = 7


def world(*answers: tuple[int, int | None, str | None]) -> MemoryTables:
    """Kim, and her answers as (answer id, check-in id, segment)."""
    data = MemoryTables()
    data.insert(Customer(id=KIM, name="Kim", opt_in_state=OptInState.OPTED_IN))
    for answer_id, checkin_id, segment in answers:
        data.insert(Answer(id=answer_id, customer_id=KIM, checkin_id=checkin_id, segment=segment))
    return data


def flagged(answer_id: int, priority: str = "high", checkin_id: int | None = None) -> FlaggedAnswer:
    return FlaggedAnswer(answer_id, KIM, priority, ["NPS 2"], NOW, None, "C1", checkin_id)


def units(data: MemoryTables):  # type: ignore[no-untyped-def]
    return lambda: MemoryUnitOfWork(data)


def posts(data: MemoryTables) -> list[str]:
    return [p.kind for p in data.rows(OutboxMessage)]


def events(data: MemoryTables) -> list[str]:
    return [e.kind for e in data.rows(Event)]


def case_of(data: MemoryTables, case_id: int) -> Case:
    case = data.get(Case, case_id)
    assert case is not None
    return case


def clear_posts(data: MemoryTables) -> None:
    data.delete(OutboxMessage, lambda m: True)


async def test_an_answer_opens_one_case_and_a_repeat_is_a_duplicate() -> None:
    data = world((1, 10, "detractor"))
    opened = await open_or_join_case(units(data), flagged(1, checkin_id=10))
    again = await open_or_join_case(units(data), flagged(1, checkin_id=10))
    assert (opened.outcome, again.outcome) == ("opened", "duplicate")
    assert again.case_id == opened.case_id
    assert posts(data) == ["case_card"]
    assert events(data) == ["case.opened"]
    (case,) = data.rows(Case)
    assert case.open_for_customer == KIM and case.priority == "high"


async def test_another_check_ins_answer_joins_and_is_posted_to_the_thread() -> None:
    data = world((1, 10, "detractor"), (2, 11, "detractor"))
    await open_or_join_case(units(data), flagged(1, checkin_id=10))
    joined = await open_or_join_case(units(data), flagged(2, "normal", checkin_id=11))
    assert joined.outcome == "joined"
    assert posts(data) == ["case_card", "case_answer"]  # not more urgent: the card stays
    repeat = await open_or_join_case(units(data), flagged(2, "normal", checkin_id=11))
    assert repeat.outcome == "duplicate" and posts(data) == ["case_card", "case_answer"]


async def test_an_answer_s_file_follows_the_card_or_the_answer_it_joins_with() -> None:
    """A photo the answer came with is shared in the case's thread: after the card of the case
    it opens, after its own post when it joins one, after the card update when it is the same
    check-in's; a repeat queues nothing."""
    data = world((1, 10, "detractor"), (2, 11, "detractor"), (3, 10, None))
    photo = {"chat_id": 70, "file_id": "AgAD", "kind": "photo", "size": 4}
    opened = await open_or_join_case(units(data), flagged_with(1, 10, photo))
    await open_or_join_case(units(data), flagged_with(2, 11, {**photo, "file_id": "AgAE"}))
    await open_or_join_case(units(data), flagged_with(3, 10, {**photo, "file_id": "AgAF"}))
    await open_or_join_case(units(data), flagged_with(1, 10, photo))  # a repeat
    sent = [(p.kind, p.case_id, p.payload.get("file_id")) for p in data.rows(OutboxMessage)]
    assert sent == [
        ("case_card", opened.case_id, None),
        ("thread_file", opened.case_id, "AgAD"),
        ("case_answer", opened.case_id, None),
        ("thread_file", opened.case_id, "AgAE"),
        ("card_update", opened.case_id, None),
        ("thread_file", opened.case_id, "AgAF"),
    ]


def flagged_with(answer_id: int, checkin_id: int, file: dict[str, object]) -> FlaggedAnswer:
    return FlaggedAnswer(answer_id, KIM, "normal", ["NPS 2"], NOW, None, "C1", checkin_id, file)


async def test_the_same_check_ins_next_answer_updates_the_card_instead() -> None:
    data = world((1, 10, "detractor"), (2, 10, None))
    await open_or_join_case(units(data), flagged(1, checkin_id=10))
    await open_or_join_case(units(data), flagged(2, "normal", checkin_id=10))
    assert posts(data) == ["case_card", "card_update"]


async def test_a_more_urgent_answer_raises_the_case_and_its_card() -> None:
    data = world((1, 10, "detractor"), (2, 11, None))
    await open_or_join_case(units(data), flagged(1, "normal", checkin_id=10))
    await open_or_join_case(units(data), flagged(2, "urgent", checkin_id=11))
    (case,) = data.rows(Case)
    assert case.priority == "urgent"
    assert posts(data) == ["case_card", "card_update", "case_answer"]
    assert more_urgent("urgent", "high") and not more_urgent("low", "normal")
    assert not more_urgent("whatever", "normal")  # unknown counts as normal


async def recovery_case(segment: str) -> tuple[MemoryTables, int]:
    data = world((1, 10, segment))
    opening = await open_or_join_case(units(data), flagged(1, checkin_id=10))
    clear_posts(data)
    return data, opening.case_id


async def test_a_detractor_who_scores_nine_again_is_recovered() -> None:
    data, case_id = await recovery_case("detractor")
    decided = await record_recovery_answer(units(data), RecoveryAnswer(case_id, "🔁 9", 9, NOW))
    assert decided is True and case_of(data, case_id).recovered is True
    assert posts(data) == ["thread", "card_update"]
    assert events(data)[-1] == "case.recovery_answered"


async def test_a_detractor_who_scores_six_is_not_recovered() -> None:
    data, case_id = await recovery_case("passive")
    assert await record_recovery_answer(units(data), RecoveryAnswer(case_id, "6", 6, NOW)) is False
    assert case_of(data, case_id).recovered is False


async def test_a_promoters_recovery_score_does_not_count_as_recovered() -> None:
    data, case_id = await recovery_case("promoter")
    assert await record_recovery_answer(units(data), RecoveryAnswer(case_id, "10", 10, NOW)) is None
    assert case_of(data, case_id).recovered is None
    assert posts(data) == ["thread"]  # the thread still hears it


async def test_words_in_a_recovery_check_in_are_posted_and_decide_nothing() -> None:
    data, case_id = await recovery_case("detractor")
    words = RecoveryAnswer(case_id, "🔁 words: fixed now", None, NOW)
    assert await record_recovery_answer(units(data), words) is None
    assert posts(data) == ["thread"] and case_of(data, case_id).recovered is None
    gone = RecoveryAnswer(case_id + 1, "🔁 9", 9, NOW)
    assert await record_recovery_answer(units(data), gone) is None
    assert posts(data) == ["thread"]


async def test_forgetting_closes_the_open_case_with_a_note_and_erases() -> None:
    data, case_id = await recovery_case("detractor")
    closed = await forget_customer(units(data), KIM, "They asked us to forget them.", NOW)
    assert closed == case_id and forgotten(data) == NOW
    case = case_of(data, case_id)
    assert (case.status, case.closed_by, case.open_for_customer) == (
        "not_an_issue",
        "customer",
        None,
    )
    assert posts(data) == ["card_update", "thread"]
    assert events(data)[-2:] == ["case.not_an_issue", "customer.forgotten"]
    clear_posts(data)
    assert await forget_customer(units(data), KIM, "again", NOW) is None  # no open case now
    assert posts(data) == []
    kept = world()
    assert await forget_customer(units(kept), KIM, None, NOW) is None and forgotten(kept) == NOW


def forgotten(data: MemoryTables) -> object:
    """When Kim's personal data was erased (None if it was not)."""
    kim = data.get(Customer, KIM)
    assert kim is not None
    erased = kim.opt_in_state == OptInState.FORGOTTEN and kim.name is None
    return kim.updated_at if erased else None
