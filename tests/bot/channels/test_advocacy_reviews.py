"""Review invitations end to end: the same for every finisher, held while a case is open,
never at night or too soon after the last check-in."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import update

from bot.advocacy_wiring import advocacy_of
from storage.models import Case
from tests.bot.channels.advocacy_helpers import (
    advocacy_harness,  # noqa: F401  (the fixture h)
    asks,
    buy_and_opt_in,
    finish_delivery,
    later,
    round_,
    texts,
)
from tests.bot.channels.harness import START, Harness

LINK = re.compile(r"https://bot\.example/r/([a-z0-9]+)")


def invitation(h: Harness, chat: int) -> str:
    found = [t for t in texts(h, chat) if "honest review" in t or "eerlijke review" in t]
    assert len(found) == 1, texts(h, chat)
    return found[0]


async def test_a_detractor_gets_the_same_invitation_as_a_promoter(h: Harness) -> None:
    await buy_and_opt_in(h, 3001, "R-1", "Ann Smith")
    await buy_and_opt_in(h, 3002, "R-2", "Bob Stone")
    await finish_delivery(h, 3001, "5", None, "Yes")
    await finish_delivery(h, 3002, "1", "The door was broken, terrible delivery", "No")
    ask_rows = await asks(h)
    assert [a.kind for a in ask_rows] == ["review", "review"]
    # Survey fatigue: nothing goes out until three days after the check-in was sent.
    report = await round_(h)
    assert report.reviews_sent == 0 and report.rescheduled == 0  # not due yet (1 h delay)
    later(h, hours=2)
    report = await round_(h)
    assert report.reviews_sent == 0 and report.rescheduled == 2
    assert [a.due_at for a in await asks(h)] == [START.replace(day=25)] * 2
    later(h, days=3)
    report = await round_(h)
    assert report.reviews_sent == 2
    happy, unhappy = invitation(h, 3001), invitation(h, 3002)
    assert happy.replace("Ann", "X") == unhappy.replace("Bob", "X")
    assert "Trustpilot: https://bot.example/r/" in happy
    assert len(LINK.findall(happy)) == 2 and LINK.findall(happy) == LINK.findall(unhappy)
    assert all(a.status == "sent" for a in await asks(h))
    # Once per purchase: another round sends nothing more.
    later(h, days=4)
    assert (await round_(h)).reviews_sent == 0


async def test_no_invitation_while_a_case_is_open_then_after_it_is_resolved(
    h: Harness,
) -> None:
    customer_id = await buy_and_opt_in(h, 3003, "R-3", "Cleo Marsh")
    await finish_delivery(h, 3003, "2", "It arrived late and scratched", "No")
    async with h.bot.db.session() as s:
        case = Case(customer_id=customer_id, status="open", open_for_customer=customer_id)
        s.add(case)
    later(h, days=4)
    report = await round_(h)
    assert report.reviews_sent == 0
    assert [a.status for a in await asks(h)] == ["scheduled"]
    assert not any("review" in t for t in texts(h, 3003))
    async with h.bot.db.session() as s:
        await s.execute(
            update(Case)
            .where(Case.customer_id == customer_id)
            .values(status="resolved", open_for_customer=None, resolved_at=h.clock.now)
        )
    report = await round_(h)
    assert report.reviews_sent == 1
    assert "https://bot.example/r/" in invitation(h, 3003)


async def test_quiet_hours_hold_the_invitation_until_morning(h: Harness) -> None:
    await buy_and_opt_in(h, 3004, "R-4", "Dirk Bos", lang="nl")
    await finish_delivery(h, 3004, "4", None, "Ja")
    h.clock.now = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    report = await round_(h)
    assert report.reviews_sent == 0 and report.rescheduled == 1
    (ask,) = await asks(h)
    assert ask.due_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    h.clock.now = datetime(2026, 11, 26, 7, 59, tzinfo=UTC)
    assert (await round_(h)).reviews_sent == 0
    h.clock.now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert (await round_(h)).reviews_sent == 1
    text = invitation(h, 3004)
    assert text.startswith("Nogmaals bedankt voor je antwoorden, Dirk.")
    assert "Google: https://bot.example/r/" in text


async def test_a_customer_who_stopped_gets_no_invitation(h: Harness) -> None:
    await buy_and_opt_in(h, 3005, "R-5", "Eve Long")
    await finish_delivery(h, 3005, "5", None, "Yes")
    await h.send(3005, "/stop")
    later(h, days=4)
    report = await round_(h)
    assert report.reviews_sent == 0 and report.cancelled == 1
    assert [a.status for a in await asks(h)] == ["cancelled"]


async def test_invitations_scheduled_before_they_were_turned_off_are_not_sent(h: Harness) -> None:
    await buy_and_opt_in(h, 3006, "R-6", "Fem Kok")
    await finish_delivery(h, 3006, "5", None, "Yes")
    adv = advocacy_of(h.bot)
    assert adv is not None
    adv.settings = replace(adv.settings, reviews_enabled=False)
    later(h, days=4)
    report = await round_(h)
    assert report.reviews_sent == 0 and report.cancelled == 1
    assert [a.status for a in await asks(h)] == ["cancelled"]
