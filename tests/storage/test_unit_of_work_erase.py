"""Erasing a customer inside a unit of work erases the same things on every backend (memory,
SQLite, PostgreSQL): their name and contact details, their words, their chat, their pending
check-ins and asks, their quotable words and referral links, the words of what was delivered;
their scores stay, and nothing of another customer changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.models import (
    AdvocacyAsk,
    Answer,
    Case,
    ChannelLink,
    CheckIn,
    ConversationState,
    Customer,
    CustomerMessage,
    Event,
    OptInState,
    OutboxMessage,
    TrackedLink,
)
from storage.models import Testimonial as Quote
from tests.storage.unit_backends import UnitBackend

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


async def seed_customer(backend: UnitBackend, name: str, chat: int) -> int:
    """A customer with a bit of everything the erasure touches; their id."""
    person = Customer(
        name=name,
        email=f"{name.lower()}@x.nl",
        phone=f"+31{chat}",
        postcode="1011AB",
        opt_in_state=OptInState.OPTED_IN,
        consent_checkins=True,
        consent_marketing=True,
        created_at=NOW,
        updated_at=NOW,
    )
    await backend.seed(person)
    cid = person.id or 0
    open_checkin = CheckIn(customer_id=cid, journey="j", touchpoint="usage", due_at=NOW)
    done = CheckIn(
        customer_id=cid, journey="j", touchpoint="delivery", due_at=NOW, status="answered"
    )
    await backend.seed(
        ChannelLink(
            customer_id=cid, token=f"t{chat}", token_expires_at=NOW, chat_id=chat, user_id=chat
        ),
        open_checkin,
        done,
    )
    case = Case(customer_id=cid, opened_at=NOW, resolution_note=f"Sorry {name}", customer_note="Hi")
    await backend.seed(case)  # first: the posts below name it
    await backend.seed(
        Answer(
            customer_id=cid,
            checkin_id=done.id,
            score=2,
            text="It leaks",
            analysis={"a": 1},
            raw_update_id=chat,
            attachment={"chat_id": chat, "file_id": f"AgAD{chat}", "kind": "photo"},
        ),
        Event(kind="answer.escalate", at=NOW, customer_id=cid, data={"words": "It leaks"}),
        ConversationState(
            channel="telegram", chat_id=chat, user_id=chat, checkin_id=open_checkin.id
        ),
        Quote(customer_id=cid, text=f"{name} says great"),
        TrackedLink(code=f"r{chat}", kind="referral", customer_id=cid, target_url="https://x.nl"),
        AdvocacyAsk(dedupe_key=f"review:{chat}", kind="review", customer_id=cid),
        AdvocacyAsk(dedupe_key=f"amb:{chat}", kind="ambassador", customer_id=cid, status="sent"),
        CustomerMessage(
            chat_id=chat, customer_id=cid, kind="greeting", text=f"Hi {name}", status="sent"
        ),
        CustomerMessage(chat_id=chat, customer_id=cid, kind="thanks", text="Thanks"),
        OutboxMessage(
            kind="case_card",
            case_id=case.id,
            text=f"{name}: It leaks",
            status="sent",
            payload={"p": 1},
        ),
        OutboxMessage(kind="thread", case_id=case.id, text="Pending words"),
    )
    return cid


async def test_erasing_a_customer_leaves_their_scores_and_everyone_else(
    backend: UnitBackend,
) -> None:
    kim = await seed_customer(backend, "Kim", 11)
    ann = await seed_customer(backend, "Ann", 12)
    before = {m: await backend.rows(m) for m in (Customer, Answer, CustomerMessage, OutboxMessage)}
    with pytest.raises(ZeroDivisionError):  # a block that raises erases nothing
        async with backend.units() as uow:
            await uow.customers.erase(kim, LATER)
            1 / 0  # noqa: B018
    assert {m: await backend.rows(m) for m in before} == before
    async with backend.units() as uow:
        await uow.customers.erase(kim, LATER)

    def mine(rows: list, cid: int = kim) -> list:
        return [r for r in rows if r.customer_id == cid]

    customers = {c.id: c for c in await backend.rows(Customer)}
    k, a = customers[kim], customers[ann]
    assert (k.name, k.email, k.phone, k.postcode) == (None, None, None, None)
    assert (k.opt_in_state, k.consent_checkins, k.consent_marketing) == ("forgotten", False, False)
    assert k.updated_at == LATER and (a.name, a.opt_in_state) == ("Ann", "opted_in")
    answers = await backend.rows(Answer)
    assert [
        (x.score, x.text, x.analysis, x.raw_update_id, x.attachment) for x in mine(answers)
    ] == [(2, None, None, None, None)]
    assert [(x.text, bool(x.attachment)) for x in mine(answers, ann)] == [("It leaks", True)]
    links = await backend.rows(ChannelLink)
    assert [(x.chat_id, x.user_id, x.token) for x in mine(links)] == [(None, None, "t11")]
    assert [x.status for x in mine(await backend.rows(CheckIn))] == ["cancelled", "answered"]
    assert [(x.resolution_note, x.customer_note) for x in mine(await backend.rows(Case))] == [
        (None, None)
    ]
    events = await backend.rows(Event)
    assert [(e.kind, e.data) for e in mine(events)] == [
        ("answer.escalate", {}),
        ("customer.forgotten", {}),
    ]
    assert [e.data for e in mine(events, ann)] == [{"words": "It leaks"}]
    assert [s.chat_id for s in await backend.rows(ConversationState)] == [12]
    assert [t.customer_id for t in await backend.rows(Quote)] == [ann]
    assert [t.customer_id for t in await backend.rows(TrackedLink)] == [ann]
    asks = await backend.rows(AdvocacyAsk)
    assert [x.status for x in mine(asks)] == ["cancelled", "sent"]
    said = await backend.rows(CustomerMessage)
    assert [(m.text, m.buttons) for m in mine(said)] == [("", []), ("Thanks", [])]
    posts = [(m.text, m.payload) for m in await backend.rows(OutboxMessage)]
    assert posts == [
        (None, {}),
        ("Pending words", {}),
        ("Ann: It leaks", {"p": 1}),
        ("Pending words", {}),
    ]
