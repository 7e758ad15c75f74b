"""One contract for every unit of work: memory, SQLite and PostgreSQL keep the same promises.

What the desk's decisions rely on: a unit's writes are seen by later units only once it
commits, a block that raises leaves nothing, the unique rules (one case per answer, one open
case per customer) refuse the second writer with ConcurrentWrite, and the reads answer alike.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from handlers.desk.case_rules import FlaggedAnswer, open_or_join_case
from handlers.intake.purchase_rules import save_purchases
from storage.errors import ConcurrentWrite
from storage.models import Case, Event
from storage.records import DeskPost, NewCustomer
from tests.handlers.intake.test_purchase_rules import purchase
from tests.storage.unit_backends import UnitBackend

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def new_case(customer_id: int, answer_id: int) -> Case:
    return Case(
        customer_id=customer_id,
        answer_id=answer_id,
        priority="normal",
        reasons=["NPS 3"],
        opened_at=NOW,
        open_for_customer=customer_id,
        slack_channel="C1",
    )


async def test_a_committed_case_reads_back_alike(backend: UnitBackend) -> None:
    answer = await backend.answer(segment="detractor")
    async with backend.units() as uow:
        case_id = await uow.cases.add(new_case(answer.customer_id, answer.answer_id))
        await uow.desk_posts.queue(DeskPost("case_card", NOW, case_id=case_id, channel="C1"))
    async with backend.units() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None and case.priority == "normal" and case.reasons == ["NPS 3"]
        assert (await uow.cases.open_case_of(answer.customer_id)) is not None
        assert await uow.cases.opened_by(answer.answer_id) == case_id
        assert await uow.cases.open_case_of(answer.customer_id + 1) is None
        facts = await uow.answers.facts(answer.answer_id)
        assert facts == answer
        assert await uow.answers.facts(answer.answer_id + 999) is None
    assert await backend.posts() == [("case_card", case_id)]


async def test_a_block_that_raises_leaves_nothing(backend: UnitBackend) -> None:
    answer = await backend.answer()
    with pytest.raises(ZeroDivisionError):
        async with backend.units() as uow:
            case_id = await uow.cases.add(new_case(answer.customer_id, answer.answer_id))
            await uow.audit.record(Event(kind="case.opened", at=NOW, case_id=case_id))
            await uow.desk_posts.queue(DeskPost("case_card", NOW, case_id=case_id))
            1 / 0  # noqa: B018
    async with backend.units() as uow:
        assert await uow.cases.get(case_id) is None
        assert await uow.cases.opened_by(answer.answer_id) is None
    assert await backend.posts() == [] and await backend.event_kinds() == []


async def test_saved_changes_and_joined_answers_are_seen(backend: UnitBackend) -> None:
    first = await backend.answer()
    later = await backend.answer(first.customer_id)
    async with backend.units() as uow:
        case_id = await uow.cases.add(new_case(first.customer_id, first.answer_id))
    async with backend.units() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        case.priority, case.recovered = "urgent", True
        await uow.cases.save(case)
        await uow.audit.record(
            Event(
                kind="case.answer_added",
                at=NOW,
                actor=f"answer:{later.answer_id}",
                customer_id=first.customer_id,
                case_id=case_id,
            )
        )
    async with backend.units() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None and case.priority == "urgent" and case.recovered is True
        assert await uow.cases.joined_by(first.customer_id, later.answer_id) == case_id
        assert await uow.cases.joined_by(first.customer_id, first.answer_id) is None
    assert await backend.event_kinds() == ["case.answer_added"]


async def test_a_second_open_case_for_a_customer_is_refused(backend: UnitBackend) -> None:
    first = await backend.answer()
    second = await backend.answer(first.customer_id)
    async with backend.units() as uow:
        await uow.cases.add(new_case(first.customer_id, first.answer_id))
    with pytest.raises(ConcurrentWrite):
        async with backend.units() as uow:
            await uow.cases.add(new_case(first.customer_id, second.answer_id))
    with pytest.raises(ConcurrentWrite):  # and one answer opens one case, open or not
        async with backend.units() as uow:
            again = new_case(first.customer_id, first.answer_id)
            again.open_for_customer = None
            await uow.cases.add(again)


async def test_racing_decisions_end_with_one_case(backend: UnitBackend) -> None:
    first = await backend.answer()
    others = [await backend.answer(first.customer_id) for _ in range(3)]
    flagged = [
        FlaggedAnswer(a.answer_id, a.customer_id, "high", ["NPS 2"], NOW, None, "C1")
        for a in (first, *others)
    ]
    outcomes = await asyncio.gather(*(open_or_join_case(backend.units, f) for f in flagged))
    assert sorted(o.outcome for o in outcomes) == ["joined", "joined", "joined", "opened"]
    assert len({o.case_id for o in outcomes}) == 1
    kinds = [kind for kind, _ in await backend.posts()]
    assert sorted(kinds) == ["case_answer", "case_answer", "case_answer", "case_card"]


async def test_purchases_customers_and_links_read_back_alike(backend: UnitBackend) -> None:
    later = NOW.replace(year=2027)
    async with backend.units() as uow:
        ids = await uow.purchases.add_customers(
            [
                NewCustomer("Kim", "kim@x.nl", None, None, "nl", "Europe/Amsterdam", True),
                NewCustomer("Ann", None, "+316", None, "en", "Europe/London", False),
            ],
            NOW,
        )
        await uow.purchases.add_links({ids[0]: "tok-a", ids[1]: "tok-b"}, later)
        purchase_ids = await uow.purchases.add_purchases(
            [purchase("P1", "kim@x.nl"), purchase("P2", None, "+316")], ids, NOW
        )
    assert len(set(ids)) == 2 and len(set(purchase_ids)) == 2
    async with backend.units() as uow:
        assert await uow.purchases.customers_by_email(["kim@x.nl", "no@x.nl"]) == {
            "kim@x.nl": ids[0]
        }
        assert await uow.purchases.customers_by_phone(["+316"]) == {"+316": ids[1]}
        assert await uow.purchases.customers_by_email([]) == {}
        links = {link.customer_id: link for link in await uow.purchases.telegram_links(ids)}
        assert {c: (link.token, link.linked) for c, link in links.items()} == {
            ids[0]: ("tok-a", False),
            ids[1]: ("tok-b", False),
        }
        await uow.purchases.renew_token(links[ids[0]].link_id, "tok-c", later)
    async with backend.units() as uow:
        (link,) = await uow.purchases.telegram_links([ids[0]])
        assert (link.token, link.token_used_at) == ("tok-c", None)
        with pytest.raises(ConcurrentWrite):  # the order id is taken
            await uow.purchases.add_purchases([purchase("P1", "kim@x.nl")], [ids[0]], NOW)


async def test_racing_batches_of_one_new_order_store_it_once(backend: UnitBackend) -> None:
    async def one_batch(n: int) -> object:
        try:
            return await save_purchases(
                backend.units, [purchase("R1", "r@x.nl")], [], lambda: f"tok{n}", NOW, NOW
            )
        except ConcurrentWrite:
            return "refused"

    outcomes = await asyncio.gather(*(one_batch(n) for n in range(3)))
    assert sum(1 for o in outcomes if o != "refused") == 1
    async with backend.units() as uow:
        assert len(await uow.purchases.customers_by_email(["r@x.nl"])) == 1
