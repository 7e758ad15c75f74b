"""Contract: check-ins claimed, sent, reminded, expired and stopped, alike in memory, on SQLite
and on PostgreSQL: who is claimed, in which order, and what each step leaves."""

from __future__ import annotations

from datetime import timedelta

from storage.checkins.conversations import StorageKey
from storage.models import (
    AdvocacyAsk,
    CheckIn,
    CheckInStatus,
    ConversationState,
    Event,
    OptInState,
)
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import (
    MINUTE,
    NOW,
    case,
    checkin,
    customer,
    link,
    purchase,
)

LEASE = timedelta(minutes=5)
HOUR = timedelta(hours=1)


async def test_due_check_ins_of_opted_in_customers_without_a_case_oldest_first(
    ports: PortsBackend,
) -> None:
    kim, pending, in_case = customer(), customer(opt_in_state=OptInState.PENDING), customer()
    await ports.seed(kim, pending, in_case)
    await ports.seed(case(in_case.id))
    due_now = checkin(kim.id, due_at=NOW)
    oldest = checkin(kim.id, due_at=NOW - HOUR)
    later = checkin(kim.id, due_at=NOW + MINUTE)
    sent = checkin(kim.id, due_at=NOW - HOUR, status=CheckInStatus.SENT)
    same_time = checkin(kim.id, due_at=NOW)
    others = [checkin(pending.id, due_at=NOW - HOUR), checkin(in_case.id, due_at=NOW - HOUR)]
    await ports.seed(due_now, oldest, later, sent, same_time, *others)
    claimed = await ports.repos.checkins.claim_due_checkins("w1", NOW, 2, LEASE)
    assert [c.id for c in claimed] == [oldest.id, due_now.id]
    assert all((c.claimed_by, c.claimed_until) == ("w1", NOW + LEASE) for c in claimed)
    rest = await ports.repos.checkins.claim_due_checkins("w2", NOW, 10, LEASE)
    assert [c.id for c in rest] == [same_time.id]  # the due ones claimed already are held
    at_the_end = await ports.repos.checkins.claim_due_checkins("w3", NOW + LEASE, 10, LEASE)
    assert [c.id for c in at_the_end] == [later.id]  # due now; a claim holds up to its end
    back = await ports.repos.checkins.claim_due_checkins("w3", NOW + LEASE + MINUTE, 10, LEASE)
    assert [c.id for c in back] == [oldest.id, due_now.id, same_time.id]
    assert {c.claimed_by for c in back} == {"w3"}


async def test_reminders_for_sent_check_ins_unanswered_long_enough(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    after = timedelta(hours=24)

    def sent(at: timedelta, **fields: object) -> CheckIn:
        values = {"status": CheckInStatus.SENT, "sent_at": NOW - at, "expires_at": NOW + HOUR}
        return checkin(kim.id, **(values | fields))

    ripe, ripest, fresh = sent(after), sent(after + HOUR), sent(after - MINUTE)
    expiring = sent(after + HOUR, expires_at=NOW)
    reminded = sent(after + HOUR, status=CheckInStatus.REMINDED)
    await ports.seed(ripe, ripest, fresh, expiring, reminded)
    claimed = await ports.repos.checkins.claim_reminders("w1", NOW, after, 10, LEASE)
    assert [c.id for c in claimed] == [ripest.id, ripe.id]  # by sent time
    assert await ports.repos.checkins.claim_reminders("w1", NOW, after, 10, LEASE) == []


async def test_overdue_check_ins_expire_once(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    past = checkin(kim.id, status=CheckInStatus.SENT, expires_at=NOW, claimed_by="w")
    reminded = checkin(kim.id, status=CheckInStatus.REMINDED, expires_at=NOW - HOUR)
    open_ = checkin(kim.id, status=CheckInStatus.SENT, expires_at=NOW + MINUTE)
    scheduled = checkin(kim.id, expires_at=NOW - HOUR)
    await ports.seed(past, reminded, open_, scheduled)
    assert sorted(await ports.repos.checkins.expire_overdue(NOW)) == [past.id, reminded.id]
    assert await ports.repos.checkins.expire_overdue(NOW) == []
    rows = {c.id: c for c in await ports.rows(CheckIn)}
    assert (rows[past.id].status, rows[past.id].claimed_by) == ("expired", None)
    assert rows[open_.id].status == "sent" and rows[scheduled.id].status == "scheduled"


async def test_check_in_contexts_with_chat_and_product(ports: PortsBackend) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    bought = await ports.one(purchase(kim.id, "A-1", product="Teapot"))
    await ports.seed(link(kim.id, "t1", chat_id=11))
    with_order, without = checkin(kim.id, purchase_id=bought.id), checkin(sam.id)
    await ports.seed(with_order, without)
    found = await ports.repos.checkins.checkin_contexts([with_order.id, without.id, 999])
    assert set(found) == {with_order.id, without.id}
    mine = found[with_order.id]
    assert (mine.checkin.id, mine.customer.id, mine.chat_id, mine.product) == (
        with_order.id,
        kim.id,
        11,
        "Teapot",
    )
    theirs = await ports.repos.checkins.checkin_context(without.id)
    assert theirs is not None and (theirs.chat_id, theirs.product) == (None, None)
    assert await ports.repos.checkins.checkin_context(999) is None
    assert await ports.repos.checkins.checkin_contexts([]) == {}


async def test_fatigue_facts_count_check_ins_and_advocacy_asks(ports: PortsBackend) -> None:
    kim, sam, ann = customer(), customer(name="Sam"), customer(name="Ann")
    await ports.seed(kim, sam, ann)
    await ports.seed(
        checkin(kim.id, status=CheckInStatus.SENT, sent_at=NOW - HOUR, expires_at=NOW + HOUR),
        checkin(kim.id, status=CheckInStatus.REMINDED, sent_at=NOW - 3 * HOUR, expires_at=NOW),
        checkin(kim.id, status=CheckInStatus.ANSWERED, sent_at=NOW - 9 * HOUR, expires_at=NOW),
        checkin(sam.id, status=CheckInStatus.EXPIRED, sent_at=NOW - 5 * HOUR, expires_at=NOW),
        AdvocacyAsk(dedupe_key="review:1", kind="review", customer_id=sam.id, sent_at=NOW),
        AdvocacyAsk(dedupe_key="review:2", kind="review", customer_id=kim.id, sent_at=None),
    )
    facts = await ports.repos.checkins.fatigue_facts_many([kim.id, sam.id, ann.id])
    assert facts == {
        kim.id: (NOW + HOUR, NOW - HOUR),
        sam.id: (None, NOW),  # the ask was later than the expired check-in
        ann.id: (None, None),
    }
    assert await ports.repos.checkins.fatigue_facts_many([]) == {}


async def test_a_sent_check_in_and_its_first_questions_message(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    first, again = checkin(kim.id, claimed_by="w", claimed_until=NOW + LEASE), checkin(kim.id)
    await ports.seed(first, again)
    key, other = StorageKey("telegram", 11, 11), StorageKey("telegram", 12, 12)
    await ports.repos.checkins.begin_conversations([(key, first.id), (other, again.id)])
    await ports.repos.checkins.mark_sent(key, first.id, 501, NOW, NOW + HOUR)
    await ports.repos.checkins.mark_reminded(again.id, NOW)
    await ports.repos.checkins.mark_sent(other, again.id, 502, NOW + MINUTE, NOW + 2 * HOUR)
    rows = {c.id: c for c in await ports.rows(CheckIn)}
    one = rows[first.id]
    assert (one.status, one.sent_at, one.expires_at, one.attempt_count, one.claimed_by) == (
        "sent",
        NOW,
        NOW + HOUR,
        1,
        None,
    )
    assert (rows[again.id].status, rows[again.id].reminded_at) == ("reminded", NOW)
    states = {(s.chat_id, s.checkin_id): s for s in await ports.rows(ConversationState)}
    assert states[(11, first.id)].data == {"message_id": 501}
    assert (states[(11, first.id)].step, states[(11, first.id)].question_index) == ("question", 0)
    assert states[(12, again.id)].data == {"message_id": 502}
    await ports.repos.checkins.begin_conversations([(key, again.id)])  # a new check-in: anew
    state = await ports.get(ConversationState, ("telegram", 11, 11))
    assert state is not None and (state.checkin_id, state.data, state.version) == (again.id, {}, 1)
    await ports.repos.checkins.mark_sent(key, first.id, 503, NOW, NOW + HOUR)  # not its state
    state = await ports.get(ConversationState, ("telegram", 11, 11))
    assert state is not None and state.data == {}


async def test_claims_renewed_only_for_their_worker_and_never_shortened(
    ports: PortsBackend,
) -> None:
    kim = await ports.one(customer())
    mine = checkin(kim.id, claimed_by="w1", claimed_until=NOW + MINUTE)
    retrying = checkin(kim.id, claimed_by="w1", claimed_until=NOW + HOUR)
    theirs = checkin(kim.id, claimed_by="w2", claimed_until=NOW + MINUTE)
    free = checkin(kim.id)
    await ports.seed(mine, retrying, theirs, free)
    ids = [mine.id, retrying.id, theirs.id, free.id]
    await ports.repos.checkins.renew_checkin_claims("w1", ids, NOW + 10 * MINUTE)
    until = {c.id: c.claimed_until for c in await ports.rows(CheckIn)}
    assert until == {
        mine.id: NOW + 10 * MINUTE,
        retrying.id: NOW + HOUR,
        theirs.id: NOW + MINUTE,
        free.id: None,
    }


async def test_the_life_cycle_steps_and_what_each_leaves(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    claimed = {"claimed_by": "w", "claimed_until": NOW + LEASE}
    moved, answered, retried, stopped = (checkin(kim.id, **claimed) for _ in range(4))
    await ports.seed(moved, answered, retried, stopped)
    steps = ports.repos.checkins
    assert (await steps.next_scheduled(kim.id)).id == moved.id  # type: ignore[union-attr]
    await steps.reschedule(moved.id, NOW + HOUR, "quiet hours " * 60)
    await steps.mark_answered(answered.id, NOW)
    await steps.mark_retry(retried.id, NOW + 2 * MINUTE, "timeout")
    await steps.cancel_checkin(stopped.id, "opted out", CheckInStatus.EXPIRED)
    nxt = await steps.next_scheduled(kim.id)
    assert nxt is not None and nxt.id == retried.id  # due at NOW; the moved one at NOW + 1h
    rows = {c.id: c for c in await ports.rows(CheckIn)}
    assert (rows[moved.id].due_at, rows[moved.id].claimed_by) == (NOW + HOUR, None)
    assert len(rows[moved.id].last_error or "") == 500
    assert (rows[answered.id].status, rows[answered.id].answered_at) == ("answered", NOW)
    r = rows[retried.id]
    assert (r.claimed_by, r.claimed_until, r.attempt_count, r.last_error) == (
        "w",
        NOW + 2 * MINUTE,
        1,
        "timeout",
    )
    assert (rows[stopped.id].status, rows[stopped.id].claimed_until) == ("expired", None)
    (event,) = await ports.rows(Event)
    assert (event.kind, event.data) == (
        "checkin.expired",
        {"checkin_id": stopped.id, "reason": "opted out"},
    )
    assert await steps.next_scheduled(999) is None
