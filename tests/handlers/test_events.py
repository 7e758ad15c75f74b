"""The in-process event bus: order, isolation of failures, frozen once the bot is built."""

from __future__ import annotations

import logging

import pytest

from handlers.events import AnswerScored, BusFrozen, CaseChanged, EventBus
from storage.models import Answer


async def test_subscribers_hear_their_events_in_order_and_a_failure_stops_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus, heard = EventBus(), []

    async def first(e: CaseChanged) -> None:
        heard.append(("first", e.case_id))

    async def broken(e: CaseChanged) -> None:
        raise RuntimeError("the desk is away")

    async def last(e: CaseChanged) -> None:
        heard.append(("last", e.case_id))

    for subscriber in (first, broken, last):
        bus.subscribe(CaseChanged, subscriber)
    with caplog.at_level(logging.ERROR):
        await bus.publish(CaseChanged(7, "opened"))
        await bus.publish(AnswerScored(Answer(customer_id=1), None))  # nobody listens: fine
    assert heard == [("first", 7), ("last", 7)]
    assert "CaseChanged subscriber" in caplog.text and "the desk is away" in caplog.text
    assert (bus.subscribers(CaseChanged), bus.subscribers(AnswerScored)) == (3, 0)


async def test_a_subscription_after_the_bot_was_built_is_refused() -> None:
    bus = EventBus()
    bus.freeze()

    async def late(e: AnswerScored) -> None:
        pass

    with pytest.raises(BusFrozen, match="AnswerScored"):
        bus.subscribe(AnswerScored, late)
