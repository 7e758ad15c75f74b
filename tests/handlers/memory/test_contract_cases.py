"""Contract: support cases claimed, taken over, replied to, reminded and found again, alike in
memory, on SQLite and on PostgreSQL (closing: ``..._case_closing``; the card: ``..._case_view``)."""

from __future__ import annotations

from storage.desk.cases import ClaimResult
from storage.models import Case, CaseStatus, Event, OutboxMessage
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import MINUTE, NOW, answer, case, checkin, customer


async def posts(ports: PortsBackend) -> list[tuple[str, int | None, str | None]]:
    """The desk posts queued, oldest first: (kind, case id, text)."""
    return [(m.kind, m.case_id, m.text) for m in await ports.rows(OutboxMessage)]


async def kinds(ports: PortsBackend) -> list[str]:
    """The audit events, oldest first."""
    return [e.kind for e in await ports.rows(Event)]


async def test_finding_cases_by_id_thread_and_customer(ports: PortsBackend) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    closed = case(kim.id, status=CaseStatus.RESOLVED, open_for_customer=None)
    open_ = case(kim.id, slack_channel="C1", slack_ts="1.5")
    await ports.seed(closed, open_)
    cases = ports.repos.cases
    assert (await cases.get_case(closed.id)).status == "resolved"  # type: ignore[union-attr]
    assert await cases.get_case(999) is None
    assert (await cases.case_for_thread("C1", "1.5")).id == open_.id  # type: ignore[union-attr]
    assert await cases.case_for_thread("C2", "1.5") is None
    assert (await cases.open_case_of(kim.id)).id == open_.id  # type: ignore[union-attr]
    assert await cases.open_case_of(sam.id) is None


async def test_the_case_an_answer_or_its_check_in_touched(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    c1, c2, c3 = checkin(kim.id), checkin(kim.id), checkin(kim.id)
    await ports.seed(c1, c2, c3)
    opening, joining, later, loose = (
        answer(kim.id, checkin_id=c1.id),
        answer(kim.id, checkin_id=c2.id),
        answer(kim.id, checkin_id=c3.id),
        answer(kim.id),
    )
    await ports.seed(opening, joining, later, loose)
    opened = await ports.one(case(kim.id, answer_id=opening.id))
    await ports.seed(
        Event(kind="case.answer_added", case_id=opened.id, actor=f"answer:{joining.id}"),
        Event(kind="case.claimed", case_id=opened.id, actor=f"answer:{later.id}"),
    )
    touched = ports.repos.cases.case_touched_by
    assert (await touched(kim.id, checkin_id=c1.id)).id == opened.id  # type: ignore[union-attr]
    assert (await touched(kim.id, checkin_id=c2.id)).id == opened.id  # type: ignore[union-attr]
    assert await touched(kim.id, checkin_id=c3.id) is None  # not an answer_added event
    assert (await touched(kim.id, answer_id=joining.id)).id == opened.id  # type: ignore[union-attr]
    assert await touched(kim.id, answer_id=loose.id) is None
    assert await touched(kim.id) is None
    assert await touched(kim.id + 1, answer_id=opening.id) is None  # nobody else's case


async def test_one_claim_wins_and_a_take_over_says_from_whom(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    opened = await ports.one(case(kim.id))
    cases = ports.repos.cases
    assert await cases.claim_case(opened.id, "U1", NOW) == ClaimResult(True, "U1", "claimed")
    assert await cases.claim_case(opened.id, "U2", NOW) == ClaimResult(False, "U1", "claimed")
    assert await cases.claim_case(999, "U2", NOW) == ClaimResult(False, None, "missing")
    taken = await cases.take_over_case(opened.id, "U2", NOW + MINUTE)
    assert taken == ClaimResult(True, "U1", "claimed")
    assert await cases.take_over_case(opened.id, "U2", NOW) == ClaimResult(False, "U2", "claimed")
    assert await cases.take_over_case(999, "U2", NOW) == ClaimResult(False, None, "missing")
    stored = await cases.get_case(opened.id)
    assert stored is not None and (stored.owner, stored.claimed_at) == ("U2", NOW)
    assert await kinds(ports) == ["case.claimed", "case.taken_over"]
    events = await ports.rows(Event)
    assert (events[1].actor, events[1].data, events[1].customer_id) == (
        "U2",
        {"from": "U1"},
        kim.id,
    )
    assert await posts(ports) == [("card_update", opened.id, None)] * 2


async def test_taking_over_an_unclaimed_case_claims_it_and_closed_cases_stay(
    ports: PortsBackend,
) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    fresh = case(kim.id)
    closed = case(sam.id, status=CaseStatus.RESOLVED, open_for_customer=None, owner="U1")
    await ports.seed(fresh, closed)
    cases = ports.repos.cases
    assert await cases.take_over_case(fresh.id, "U3", NOW) == ClaimResult(True, None, "claimed")
    assert await cases.take_over_case(closed.id, "U3", NOW) == ClaimResult(False, "U1", "resolved")
    assert await cases.claim_case(closed.id, "U3", NOW) == ClaimResult(False, "U1", "resolved")
    stored = await cases.get_case(fresh.id)
    assert stored is not None and (stored.owner, stored.status, stored.claimed_at) == (
        "U3",
        "claimed",
        NOW,
    )


async def test_replies_go_back_and_forth_between_staff_and_customer(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    opened = await ports.one(case(kim.id))
    cases = ports.repos.cases
    waiting = await cases.note_staff_reply(opened.id, "U1", NOW)
    assert waiting is not None
    assert (waiting.status, waiting.owner, waiting.claimed_at) == ("waiting_on_customer", "U1", NOW)
    await cases.note_customer_message(opened.id, "still broken", NOW + MINUTE)
    back = await cases.get_case(opened.id)
    assert back is not None and back.status == "claimed"  # it has an owner
    await cases.note_customer_message(opened.id, "hello?", NOW + 2 * MINUTE)  # not waiting
    assert await cases.note_staff_reply(999, "U1", NOW) is None
    await cases.note_customer_message(999, "lost", NOW)
    assert await posts(ports) == [
        ("card_update", opened.id, None),
        ("thread", opened.id, "still broken"),
        ("card_update", opened.id, None),
        ("thread", opened.id, "hello?"),
    ]
    assert await kinds(ports) == ["case.replied"]


async def test_an_ownerless_waiting_case_goes_back_to_open_and_closed_ones_stay(
    ports: PortsBackend,
) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    waiting = case(kim.id, status=CaseStatus.WAITING_ON_CUSTOMER)
    closed = case(sam.id, status=CaseStatus.NOT_AN_ISSUE, open_for_customer=None)
    await ports.seed(waiting, closed)
    cases = ports.repos.cases
    await cases.note_customer_message(waiting.id, "hi", NOW)
    assert (await cases.get_case(waiting.id)).status == "open"  # type: ignore[union-attr]
    same = await cases.note_staff_reply(closed.id, "U1", NOW)
    assert same is not None and (same.status, same.owner) == ("not_an_issue", None)
    await cases.note_customer_message(closed.id, "thanks", NOW)  # relayed all the same
    assert await posts(ports) == [
        ("thread", waiting.id, "hi"),
        ("card_update", waiting.id, None),
        ("thread", closed.id, "thanks"),
    ]


async def test_a_customer_s_file_follows_their_words_in_the_thread(ports: PortsBackend) -> None:
    """The words line, then the ``thread_file`` post naming the file, queued together; a
    message without a file queues no file post, and a case that is gone queues nothing."""
    kim = await ports.one(customer())
    opened = await ports.one(case(kim.id, status=CaseStatus.WAITING_ON_CUSTOMER))
    photo = {"chat_id": 41, "file_id": "AgAD800", "kind": "photo", "name": None,
             "mime_type": None, "size": 32000}  # fmt: skip
    cases = ports.repos.cases
    await cases.note_customer_message(opened.id, "the door", NOW, file=photo)
    await cases.note_customer_message(opened.id, "and the hinge", NOW + MINUTE)
    await cases.note_customer_message(999, "lost", NOW, file=photo)
    queued = [(m.kind, m.case_id, m.text, m.payload) for m in await ports.rows(OutboxMessage)]
    assert queued == [
        ("thread", opened.id, "the door", {}),
        ("thread_file", opened.id, None, photo),
        ("card_update", opened.id, None, {}),
        ("thread", opened.id, "and the hinge", {}),
    ]
    back = await cases.get_case(opened.id)
    assert back is not None and back.status == "open"


async def test_files_relayed_to_a_case_are_counted_from_a_moment_on(ports: PortsBackend) -> None:
    """``files_relayed_since`` counts the case's own ``thread_file`` posts queued at or after
    the moment: not words, not another case's files, not earlier ones."""
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    mine, theirs = case(kim.id), case(sam.id)
    await ports.seed(mine, theirs)
    photo = {"chat_id": 41, "file_id": "AgAD", "kind": "photo"}
    cases = ports.repos.cases
    await cases.note_customer_message(mine.id, "early", NOW - 2 * MINUTE, file=photo)
    for minute in range(3):
        await cases.note_customer_message(mine.id, "look", NOW + minute * MINUTE, file=photo)
    await cases.note_customer_message(mine.id, "words only", NOW + 5 * MINUTE)
    await cases.note_customer_message(theirs.id, "other", NOW + MINUTE, file=photo)
    assert await cases.files_relayed_since(mine.id, NOW) == 3
    assert await cases.files_relayed_since(mine.id, NOW - 2 * MINUTE) == 4
    assert await cases.files_relayed_since(mine.id, NOW + 3 * MINUTE) == 0
    assert await cases.files_relayed_since(theirs.id, NOW) == 1


async def test_unclaimed_cases_are_reminded_and_escalated_once(ports: PortsBackend) -> None:
    kim, sam, ann, bob = (customer(name=n) for n in ("Kim", "Sam", "Ann", "Bob"))
    await ports.seed(kim, sam, ann, bob)
    newer = case(kim.id, opened_at=NOW)
    older = case(sam.id, opened_at=NOW - 30 * MINUTE)
    owned = case(ann.id, opened_at=NOW - 60 * MINUTE, owner="U1", status=CaseStatus.CLAIMED)
    escalated = case(bob.id, opened_at=NOW - 90 * MINUTE, escalated_at=NOW - MINUTE)
    await ports.seed(newer, older, owned, escalated)
    cases = ports.repos.cases
    assert [c.id for c in await cases.unclaimed_cases()] == [older.id, newer.id]
    assert [c.id for c in await cases.unclaimed_cases(limit=1)] == [older.id]
    assert await cases.mark_case_late(older.id, "reminded", NOW, "⏰")
    assert not await cases.mark_case_late(older.id, "reminded", NOW, "⏰")
    assert not await cases.mark_case_late(owned.id, "reminded", NOW, "⏰")  # claimed meanwhile
    assert await cases.mark_case_late(older.id, "escalated", NOW, "🚨", channel="C-managers")
    assert not await cases.mark_case_late(999, "escalated", NOW, "🚨")
    assert [c.id for c in await cases.unclaimed_cases()] == [newer.id]  # escalated ones leave
    assert [(m.kind, m.channel, m.text) for m in await ports.rows(OutboxMessage)] == [
        ("thread", None, "⏰"),
        ("channel", "C-managers", "🚨"),
    ]
    events = [(e.kind, e.case_id, e.customer_id, e.at) for e in await ports.rows(Event)]
    assert events == [
        ("case.reminded", older.id, None, NOW),
        ("case.escalated", older.id, None, NOW),
    ]
    stored = await cases.get_case(older.id)
    assert stored is not None and (stored.reminded_at, stored.escalated_at) == (NOW, NOW)


async def test_a_case_read_is_a_copy(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    opened = await ports.one(case(kim.id, reasons=["NPS 2"]))
    read = await ports.repos.cases.get_case(opened.id)
    assert read is not None
    read.status, read.reasons = CaseStatus.RESOLVED, ["changed"]
    (stored,) = await ports.rows(Case)
    assert (stored.status, stored.reasons) == ("open", ["NPS 2"])
