"""Contract: the case card's view and what relaying to the customer reads, alike in memory, on
SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from storage.models import CaseStatus
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import (
    MINUTE,
    NOW,
    answer,
    case,
    checkin,
    customer,
    link,
    purchase,
)

DAY = timedelta(days=1)


async def test_the_case_cards_view(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    first_order = await ports.one(purchase(kim.id, "A-0", purchased_at=NOW - 90 * DAY))
    order = await ports.one(purchase(kim.id, "A-1", product="Teapot"))
    await ports.one(purchase(kim.id, "A-2", purchased_at=NOW - DAY))  # newer, not this one's
    await ports.seed(link(kim.id, "tok", chat_id=11))
    earlier = [await ports.one(answer(kim.id, text=f"old {i}")) for i in range(3)]
    about = await ports.one(checkin(kim.id, purchase_id=order.id, touchpoint="delivery"))
    score = await ports.one(answer(kim.id, checkin_id=about.id))
    words = await ports.one(answer(kim.id, checkin_id=about.id, question_id="nps_why"))
    old_cases = [
        await ports.one(case(kim.id, status=CaseStatus.RESOLVED, open_for_customer=None))
        for _ in range(6)
    ]
    opened = await ports.one(case(kim.id, answer_id=words.id))
    outbox = ports.repos.desk_outbox
    queued = [
        await outbox.enqueue(kind, NOW, case_id=opened.id)
        for kind in ("case_answer", "case_answer", "thread", "case_answer")
    ]
    await outbox.outbox_sent(queued[0], NOW, "2.2")  # delivered ones count too
    await outbox.outbox_failed(queued[3], "refused")  # refused ones do not
    view = await ports.repos.cases.case_view(opened.id, previous=2)
    assert view is not None
    assert (view.case.id, view.customer.id, view.customer_since) == (
        opened.id,
        kim.id,
        first_order.purchased_at,
    )
    assert (view.purchase.id, view.touchpoint, view.chat_id) == (  # type: ignore[union-attr]
        order.id,
        "delivery",
        11,
    )
    assert [a.id for a in view.answers] == [score.id, words.id]
    assert [a.id for a in view.previous_answers] == [earlier[2].id, earlier[1].id]
    assert [c.id for c in view.previous_cases] == [c.id for c in old_cases[::-1][:5]]
    assert view.added_answers == 2
    assert await ports.repos.cases.case_view(999) is None


async def test_a_case_without_a_check_in_shows_its_one_answer_and_the_latest_order(
    ports: PortsBackend,
) -> None:
    kim = await ports.one(customer())
    await ports.one(purchase(kim.id, "A-0", purchased_at=NOW - 9 * DAY))
    latest = await ports.one(purchase(kim.id, "A-1", purchased_at=NOW - DAY))
    await ports.seed(link(kim.id, "tok", chat_id=11, unreachable_at=NOW))
    loose = await ports.one(answer(kim.id))
    opened = await ports.one(case(kim.id, answer_id=loose.id))
    view = await ports.repos.cases.case_view(opened.id)
    assert view is not None
    assert [a.id for a in view.answers] == [loose.id]
    assert (view.purchase.id, view.touchpoint, view.chat_id) == (latest.id, None, None)  # type: ignore[union-attr]
    assert (view.previous_answers, view.previous_cases, view.added_answers) == ([], [], 0)
    found = await ports.repos.cases.answer_with_checkin(loose.id)
    assert found is not None and (found[0].id, found[1]) == (loose.id, None)
    assert await ports.repos.cases.answer_with_checkin(999) is None
    chat = await ports.repos.cases.customer_chat(kim.id)
    assert chat is not None and (chat[0].id, chat[1]) == (kim.id, None)  # unreachable
    assert await ports.repos.cases.customer_chat(999) is None


async def test_the_answer_with_its_check_in_and_the_preferred_chat(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    about = await ports.one(checkin(kim.id, touchpoint="usage"))
    given = await ports.one(answer(kim.id, checkin_id=about.id))
    await ports.seed(
        link(kim.id, "tg", chat_id=11, linked_at=NOW),
        link(kim.id, "wa", chat_id=22, channel="whatsapp", linked_at=NOW + MINUTE),
    )
    found = await ports.repos.cases.answer_with_checkin(given.id)
    assert found is not None and found[1] is not None and found[1].touchpoint == "usage"
    chat = await ports.repos.cases.customer_chat(kim.id)
    assert chat is not None and chat[1] == 22  # neither written in: the one linked last
    await ports.repos.customers.touch_inbound("telegram", 11, NOW)
    chat = await ports.repos.cases.customer_chat(kim.id)
    assert chat is not None and chat[1] == 11  # written in last


async def test_orders_on_the_same_day_and_a_link_without_a_time_read_alike_everywhere(
    ports: PortsBackend,
) -> None:
    """Two orderings that SQLite and PostgreSQL used to settle differently: a tie on the
    purchase date (the case card now names the later order, as ``latest_product`` does) and a
    link without ``linked_at`` (NULLs sort last on both databases)."""
    kim = await ports.one(customer())
    same_day = NOW - DAY
    await ports.one(purchase(kim.id, "A-1", product="Kettle", purchased_at=same_day))
    later = await ports.one(purchase(kim.id, "A-2", product="Teapot", purchased_at=same_day))
    loose = await ports.one(answer(kim.id))
    opened = await ports.one(case(kim.id, answer_id=loose.id))
    view = await ports.repos.cases.case_view(opened.id)
    assert view is not None and view.purchase is not None
    assert view.purchase.id == later.id
    assert await ports.repos.customers.latest_product(kim.id) == "Teapot"
    await ports.seed(
        link(kim.id, "old", chat_id=11, linked_at=None),
        link(kim.id, "tg", chat_id=22, linked_at=NOW - DAY),
    )
    chat = await ports.repos.cases.customer_chat(kim.id)
    assert chat is not None and chat[1] == 22  # the link with a time, not the NULL one
