"""Delivering the desk's outbox against the in-memory ports: each runs in milliseconds.

Posts leave in order under one round's lease; a card's place is remembered and its thread
posts go under it; a card update made redundant by a later one is skipped; a rate limit or an
outage holds the whole queue; a refused post is set aside and the rest go on; a card an
interrupted attempt already posted is never posted twice. The same round runs end to end over
Slack's fake server in tests/bot/support.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.desk.messages import DeskRetryLater, DeskUnavailable
from handlers.desk.outbox_delivery import DeliveryReport, deliver_outbox
from storage.models import Case, Customer, OutboxMessage
from tests.handlers.desk.memory_desk import NOW, MemoryDesk, memory_desk

SECOND = timedelta(seconds=1)


async def new_case(desk: MemoryDesk, **fields: object) -> int:
    """A case of a new customer, its card queued."""
    kim = desk.ports.tables.insert(Customer(name="Kim")).id or 0
    case = Case(customer_id=kim, opened_at=NOW, open_for_customer=kim, **fields)  # type: ignore[arg-type]
    case_id = desk.ports.tables.insert(case).id or 0
    await desk.ports.desk_outbox.enqueue("case_card", NOW, case_id=case_id)
    return case_id


def statuses(desk: MemoryDesk) -> list[tuple[str, str, int]]:
    """Each post as (kind, status, attempts), oldest first."""
    return [(m.kind, m.status, m.attempts) for m in desk.ports.tables.rows(OutboxMessage)]


async def test_a_card_then_its_thread_in_order_and_superseded_updates_skipped() -> None:
    desk = memory_desk()
    case_id = await new_case(desk)
    outbox = desk.ports.desk_outbox
    await outbox.enqueue("card_update", NOW, case_id=case_id)
    await outbox.enqueue("thread", NOW, case_id=case_id, text="still broken")
    await outbox.enqueue("card_update", NOW, case_id=case_id)
    await outbox.enqueue("channel", NOW, channel="C-managers", text="FYI")
    report = await deliver_outbox(desk.deps)
    assert report == DeliveryReport(sent=5, failed=0, held=False)
    card_text = desk.desk.posts[0][1]
    assert "Kim" in card_text and f"#{case_id}" in card_text
    assert desk.desk.posts == [
        ("C-support", card_text, None, case_id),
        ("C-support", "still broken", "1", None),
        ("C-managers", "FYI", None, None),
    ]
    assert desk.desk.updates == [("C-support", "1")]  # the first update was superseded
    case = desk.ports.tables.get(Case, case_id)
    assert case is not None and (case.slack_channel, case.slack_ts) == ("C-support", "1")
    assert [s for _, s, _ in statuses(desk)] == ["sent"] * 5
    assert await deliver_outbox(desk.deps) == DeliveryReport()  # nothing left


async def test_a_rate_limit_holds_the_whole_queue_until_it_is_due() -> None:
    desk = memory_desk()
    first, second = await new_case(desk), await new_case(desk)
    desk.desk.fail_next.append(DeskRetryLater(30))
    assert await deliver_outbox(desk.deps) == DeliveryReport(sent=0, failed=0, held=True)
    assert desk.desk.posts == [] and statuses(desk) == [
        ("case_card", "pending", 1),
        ("case_card", "pending", 0),
    ]
    desk.clock.now = NOW + 29 * SECOND
    assert await deliver_outbox(desk.deps) == DeliveryReport(held=True)  # the head is not due
    desk.clock.now = NOW + 30 * SECOND
    assert (await deliver_outbox(desk.deps)).sent == 2
    assert [card_of for _, _, _, card_of in desk.desk.posts] == [first, second]


async def test_an_outage_backs_off_and_a_refused_post_is_set_aside() -> None:
    desk = memory_desk()
    gone = await new_case(desk)
    await desk.ports.desk_outbox.enqueue("thread", NOW, case_id=gone + 100, text="lost")
    kept = await new_case(desk)
    desk.desk.fail_next.append(DeskUnavailable("503"))
    assert (await deliver_outbox(desk.deps)).held
    held = desk.ports.tables.rows(OutboxMessage)[0]
    assert held.next_attempt_at == NOW + SECOND and held.last_error == "DeskUnavailable: 503"
    desk.clock.now = NOW + SECOND
    report = await deliver_outbox(desk.deps)
    assert report == DeliveryReport(sent=2, failed=1, held=False)
    assert statuses(desk) == [
        ("case_card", "sent", 1),
        ("thread", "failed", 1),  # its case does not exist: refused for good
        ("case_card", "sent", 0),
    ]
    assert [card_of for _, _, _, card_of in desk.desk.posts] == [gone, kept]


async def test_a_card_an_interrupted_attempt_posted_is_not_posted_again() -> None:
    desk = memory_desk()
    found = await new_case(desk)
    placed = await new_case(desk, slack_channel="C-support", slack_ts="7.7")
    for message in desk.ports.tables.rows(OutboxMessage)[:1]:
        message.started_at = NOW - SECOND  # cut off after the post, before the mark
    desk.desk.cards[found] = "5.5"
    assert (await deliver_outbox(desk.deps)).sent == 2
    assert desk.desk.posts == []  # one found in the channel, one already placed
    case = desk.ports.tables.get(Case, found)
    assert case is not None and case.slack_ts == "5.5"
    assert desk.ports.tables.rows(OutboxMessage)[1].result_ts == "7.7"
    kept = desk.ports.tables.get(Case, placed)
    assert kept is not None and kept.slack_ts == "7.7"


async def test_a_thread_post_without_a_card_is_refused_and_a_round_waits_for_the_lease() -> None:
    desk = memory_desk()
    kim = desk.ports.tables.insert(Customer(name="Kim")).id or 0
    cardless = desk.ports.tables.insert(Case(customer_id=kim, opened_at=NOW)).id or 0
    await desk.ports.desk_outbox.enqueue("thread", NOW, case_id=cardless, text="hello")
    assert await desk.ports.leases.take_lease("outbox", "other-round", NOW, 15 * SECOND)
    assert await deliver_outbox(desk.deps) == DeliveryReport(skipped_lease=True)
    desk.clock.now = NOW + 16 * SECOND  # the other round died
    assert await deliver_outbox(desk.deps) == DeliveryReport(sent=0, failed=1)
    assert statuses(desk) == [("thread", "failed", 1)]
