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
from storage.memory import MemoryData, MemoryUnitOfWork
from storage.records import AnswerFacts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KIM = 7


def world(*answers: tuple[int, int | None, str | None]) -> MemoryData:
    """Kim's answers as (answer id, check-in id, segment)."""
    data = MemoryData()
    for answer_id, checkin_id, segment in answers:
        data.add_answer(AnswerFacts(answer_id, KIM, checkin_id, segment))
    return data


def flagged(answer_id: int, priority: str = "high", checkin_id: int | None = None) -> FlaggedAnswer:
    return FlaggedAnswer(answer_id, KIM, priority, ["NPS 2"], NOW, None, "C1", checkin_id)


def units(data: MemoryData):  # type: ignore[no-untyped-def]
    return lambda: MemoryUnitOfWork(data)


def posts(data: MemoryData) -> list[str]:
    return [p.kind for p in data.desk_posts]


async def test_an_answer_opens_one_case_and_a_repeat_is_a_duplicate() -> None:
    data = world((1, 10, "detractor"))
    opened = await open_or_join_case(units(data), flagged(1, checkin_id=10))
    again = await open_or_join_case(units(data), flagged(1, checkin_id=10))
    assert (opened.outcome, again.outcome) == ("opened", "duplicate")
    assert again.case_id == opened.case_id
    assert posts(data) == ["case_card"]
    assert [e.kind for e in data.events] == ["case.opened"]
    (case,) = data.cases.values()
    assert case.open_for_customer == KIM and case.priority == "high"


async def test_another_check_ins_answer_joins_and_is_posted_to_the_thread() -> None:
    data = world((1, 10, "detractor"), (2, 11, "detractor"))
    await open_or_join_case(units(data), flagged(1, checkin_id=10))
    joined = await open_or_join_case(units(data), flagged(2, "normal", checkin_id=11))
    assert joined.outcome == "joined"
    assert posts(data) == ["case_card", "case_answer"]  # not more urgent: the card stays
    repeat = await open_or_join_case(units(data), flagged(2, "normal", checkin_id=11))
    assert repeat.outcome == "duplicate" and posts(data) == ["case_card", "case_answer"]


async def test_the_same_check_ins_next_answer_updates_the_card_instead() -> None:
    data = world((1, 10, "detractor"), (2, 10, None))
    await open_or_join_case(units(data), flagged(1, checkin_id=10))
    await open_or_join_case(units(data), flagged(2, "normal", checkin_id=10))
    assert posts(data) == ["case_card", "card_update"]


async def test_a_more_urgent_answer_raises_the_case_and_its_card() -> None:
    data = world((1, 10, "detractor"), (2, 11, None))
    await open_or_join_case(units(data), flagged(1, "normal", checkin_id=10))
    await open_or_join_case(units(data), flagged(2, "urgent", checkin_id=11))
    (case,) = data.cases.values()
    assert case.priority == "urgent"
    assert posts(data) == ["case_card", "card_update", "case_answer"]
    assert more_urgent("urgent", "high") and not more_urgent("low", "normal")
    assert not more_urgent("whatever", "normal")  # unknown counts as normal


async def recovery_case(segment: str) -> tuple[MemoryData, int]:
    data = world((1, 10, segment))
    opening = await open_or_join_case(units(data), flagged(1, checkin_id=10))
    data.desk_posts.clear()
    return data, opening.case_id


async def test_a_detractor_who_scores_nine_again_is_recovered() -> None:
    data, case_id = await recovery_case("detractor")
    decided = await record_recovery_answer(units(data), RecoveryAnswer(case_id, "🔁 9", 9, NOW))
    assert decided is True and data.cases[case_id].recovered is True
    assert posts(data) == ["thread", "card_update"]
    assert data.events[-1].kind == "case.recovery_answered"


async def test_a_detractor_who_scores_six_is_not_recovered() -> None:
    data, case_id = await recovery_case("passive")
    assert await record_recovery_answer(units(data), RecoveryAnswer(case_id, "6", 6, NOW)) is False
    assert data.cases[case_id].recovered is False


async def test_a_promoters_recovery_score_does_not_count_as_recovered() -> None:
    data, case_id = await recovery_case("promoter")
    assert await record_recovery_answer(units(data), RecoveryAnswer(case_id, "10", 10, NOW)) is None
    assert data.cases[case_id].recovered is None
    assert posts(data) == ["thread"]  # the thread still hears it


async def test_words_in_a_recovery_check_in_are_posted_and_decide_nothing() -> None:
    data, case_id = await recovery_case("detractor")
    words = RecoveryAnswer(case_id, "🔁 words: fixed now", None, NOW)
    assert await record_recovery_answer(units(data), words) is None
    assert posts(data) == ["thread"] and data.cases[case_id].recovered is None
    gone = RecoveryAnswer(case_id + 1, "🔁 9", 9, NOW)
    assert await record_recovery_answer(units(data), gone) is None
    assert posts(data) == ["thread"]


async def test_forgetting_closes_the_open_case_with_a_note_and_erases() -> None:
    data, case_id = await recovery_case("detractor")
    closed = await forget_customer(units(data), KIM, "They asked us to forget them.", NOW)
    assert closed == case_id and data.erased == {KIM: NOW}
    case = data.cases[case_id]
    assert (case.status, case.closed_by, case.open_for_customer) == (
        "not_an_issue",
        "customer",
        None,
    )
    assert posts(data) == ["card_update", "thread"]
    assert data.events[-1].kind == "case.not_an_issue"
    data.desk_posts.clear()
    assert await forget_customer(units(data), KIM, "again", NOW) is None  # no open case now
    assert posts(data) == []
    kept = world()
    assert await forget_customer(units(kept), KIM, None, NOW) is None and kept.erased == {KIM: NOW}
