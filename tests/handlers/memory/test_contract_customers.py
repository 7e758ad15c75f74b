"""Contract: customers, their opt-in and language, their data export and the retention sweep's
batches, alike in memory, on SQLite and on PostgreSQL (chat links: ``..._chat_links``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from storage.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Customer,
    Event,
    OptInState,
    ReferralCredit,
)
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import (
    NOW,
    answer,
    case,
    checkin,
    customer,
    link,
    purchase,
)

DAY = timedelta(days=1)


async def test_tokens_and_chats_lead_to_their_customer(ports: PortsBackend) -> None:
    kim, sam = customer(), customer(name="Sam")
    await ports.seed(kim, sam)
    await ports.seed(link(kim.id, "tok-k", chat_id=11), link(sam.id, "tok-s"))
    found = await ports.repos.customers.link_for_token("tok-s")
    assert found is not None and (found[0].customer_id, found[1].name) == (sam.id, "Sam")
    assert await ports.repos.customers.link_for_token("nope") is None
    chat_owner = await ports.repos.customers.customer_for_chat("telegram", 11)
    assert chat_owner is not None and chat_owner.id == kim.id
    assert await ports.repos.customers.customer_for_chat("whatsapp", 11) is None


async def test_leaving_opt_in_cancels_open_check_ins_and_says_so(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    statuses = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.REMINDED)
    rows = [checkin(kim.id, status=s, claimed_by="w") for s in statuses]
    rows.append(checkin(kim.id, status=CheckInStatus.ANSWERED))
    await ports.seed(*rows)
    customers = ports.repos.customers
    assert await customers.set_opt_in_state(kim.id, OptInState.OPTED_IN, "back") == 0
    assert await customers.set_opt_in_state(kim.id, OptInState.OPTED_OUT, "/stop") == 3
    await customers.set_language(kim.id, "nl")
    (stored,) = await ports.rows(Customer)
    assert (stored.opt_in_state, stored.language) == ("opted_out", "nl")
    after = [(c.status, c.last_error, c.claimed_by) for c in await ports.rows(CheckIn)]
    assert after == [("cancelled", "/stop", "w")] * 3 + [("answered", None, None)]
    events = [(e.kind, e.customer_id, e.data) for e in await ports.rows(Event)]
    assert events == [
        ("customer.opted_in", kim.id, {"reason": "back", "checkins_cancelled": 0}),
        ("customer.opted_out", kim.id, {"reason": "/stop", "checkins_cancelled": 3}),
    ]


async def test_the_export_holds_everything_but_tokens_and_claims(ports: PortsBackend) -> None:
    kim, sam = customer(email="kim@example.com"), customer(name="Sam")
    await ports.seed(kim, sam)
    bought = await ports.one(purchase(kim.id, "A-1", amount=Decimal("12.5"), currency="EUR"))
    theirs = await ports.one(purchase(sam.id, "B-1"))
    await ports.seed(link(kim.id, "secret", chat_id=11))
    await ports.seed(checkin(kim.id, claimed_by="w"), answer(kim.id), answer(sam.id))
    await ports.seed(
        case(kim.id), ReferralCredit(purchase_id=theirs.id, ambassador_id=kim.id, code="K")
    )
    data = await ports.repos.customers.export_customer(kim.id)
    assert data["customer"]["email"] == "kim@example.com"
    assert data["customer"]["created_at"] == (NOW - timedelta(days=365)).isoformat()
    (chat,) = data["chat_links"]
    assert chat["chat_id"] == 11 and not {"token", "token_expires_at", "token_used_at"} & set(chat)
    (order,) = data["purchases"]
    assert (order["id"], order["amount"], order["currency"]) == (bought.id, "12.50", "EUR")
    (planned,) = data["checkins"]
    assert "claimed_by" not in planned and "claimed_until" not in planned
    assert [a["customer_id"] for a in data["answers"]] == [kim.id]
    assert len(data["cases"]) == 1 and data["cases"][0]["reasons"] == []
    assert [r["purchase_id"] for r in data["referred_purchases"]] == [theirs.id]
    assert data["testimonials"] == data["links"] == data["review_and_ambassador_asks"] == []
    nobody = await ports.repos.customers.export_customer(999)
    assert nobody["customer"] is None and nobody["purchases"] == []


async def test_the_retention_sweeps_batches(ports: PortsBackend) -> None:
    cutoff = NOW - 30 * DAY
    old = NOW - 400 * DAY
    quiet = [customer(created_at=old) for _ in range(3)]
    new = customer(created_at=cutoff)  # created on the cutoff: not before it
    forgotten = customer(created_at=old, opt_in_state=OptInState.FORGOTTEN)
    bought, delivered, answered = (customer(created_at=old) for _ in range(3))
    await ports.seed(*quiet, new, forgotten, bought, delivered, answered)
    await ports.seed(
        purchase(quiet[0].id, "Q-1", purchased_at=old, created_at=old),
        purchase(quiet[0].id, "Q-2", purchased_at=old, created_at=old),
        answer(quiet[2].id, created_at=cutoff - DAY),
        purchase(bought.id, "B-1", purchased_at=cutoff, created_at=old),
        purchase(delivered.id, "D-1", purchased_at=old, created_at=old, delivered_at=cutoff),
        answer(answered.id, created_at=cutoff),
    )
    customers = ports.repos.customers
    first = await customers.past_retention(cutoff, 2, 0)
    assert first.cutoff == cutoff
    assert [(c.customer_id, c.purchases, c.answers) for c in first.candidates] == [
        (quiet[0].id, 2, 0),
        (quiet[1].id, 0, 0),
    ]
    rest = await customers.past_retention(cutoff, 2, quiet[1].id)
    assert rest.customer_ids == [quiet[2].id]
    assert (await customers.past_retention(cutoff, 2, quiet[2].id)).customer_ids == []


async def test_the_customers_history_before_an_answer(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    here, before = checkin(kim.id), checkin(kim.id)
    await ports.seed(here, before)

    def scored(**fields: object) -> Answer:
        return answer(kim.id, scoring_status="scored", **fields)

    old_detractor = scored(checkin_id=before.id, segment="detractor", sentiment="negative")
    words = scored(checkin_id=before.id, score=None, sentiment="negative")  # no score: skipped
    too_old = scored(sentiment="negative", created_at=NOW - 31 * DAY)
    unscored = answer(kim.id, sentiment="negative", scoring_status="unscored")
    same_checkin = scored(checkin_id=here.id, sentiment="negative", segment="promoter")
    current = scored(checkin_id=here.id, sentiment="negative")
    await ports.seed(old_detractor, words, too_old, unscored, same_checkin, current)
    history = await ports.repos.customers.customer_history(kim.id, current, NOW)
    assert history == {
        "open_case": False,
        "recent_case": False,
        "last_detractor": True,
        "recent_complaints": 2,
    }
    # A case opened by this check-in's answer is not "another" open case; one opened before is.
    await ports.seed(case(kim.id, answer_id=same_checkin.id))
    assert not (await ports.repos.customers.customer_history(kim.id, current, NOW))["open_case"]
    outside = answer(kim.id)  # words outside a check-in: every open case counts
    assert (await ports.repos.customers.customer_history(kim.id, outside, NOW))["open_case"]
    narrow = await ports.repos.customers.customer_history(kim.id, current, NOW, timedelta(0))
    assert (narrow["recent_complaints"], narrow["last_detractor"]) == (2, True)  # at NOW


async def test_a_resolved_case_in_the_window_is_recent(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    await ports.seed(
        case(kim.id, status="resolved", open_for_customer=None, resolved_at=NOW - 30 * DAY),
        case(kim.id, status="not_an_issue", open_for_customer=None, resolved_at=NOW),
    )
    current = answer(kim.id)
    assert (await ports.repos.customers.customer_history(kim.id, current, NOW))["recent_case"]
    later = await ports.repos.customers.customer_history(kim.id, current, NOW + DAY)
    assert later["recent_case"] is False


async def test_only_answers_before_the_one_scored_are_its_history(ports: PortsBackend) -> None:
    """An answer scored late (left unscored by a crash, or revised by an edit) sees the
    customer as they were when they gave it: their later answers are not its history."""
    kim = await ports.one(customer())
    late = answer(kim.id, created_at=NOW - 60 * timedelta(minutes=1))
    after = answer(
        kim.id, created_at=NOW - 30 * timedelta(minutes=1), scoring_status="scored",
        segment="detractor", sentiment="negative",
    )  # fmt: skip
    await ports.seed(late, after)
    history = await ports.repos.customers.customer_history(kim.id, late, NOW)
    assert (history["last_detractor"], history["recent_complaints"]) == (False, 0)
    # what came before it still counts
    before = answer(
        kim.id, created_at=NOW - 90 * timedelta(minutes=1), scoring_status="scored",
        segment="passive", sentiment="negative",
    )  # fmt: skip
    await ports.seed(before)
    history = await ports.repos.customers.customer_history(kim.id, late, NOW)
    assert (history["last_detractor"], history["recent_complaints"]) == (False, 1)
