"""A flagged answer whose case decision failed (the database away right after scoring) still
gets its case: the ``cases_left_behind`` sweep decides it later, once. Both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.db import StorageUnavailable
from storage.models import Answer, Event
from tests.bot.support.desk_harness import CHANNEL, DeskHarness


class DatabaseAway:
    """The desk's units of work while ``away``: the database refuses, as when it is gone."""

    def __init__(self, units: Any) -> None:
        self.units, self.away = units, False

    def __call__(self) -> Any:
        if self.away:
            raise StorageUnavailable("the database is not reachable")
        return self.units()


async def test_a_case_that_failed_to_open_is_opened_by_the_sweep_once(desk: DeskHarness) -> None:
    tg, deps = desk.tg, desk.support.deps
    deps.units = away = DatabaseAway(deps.units)
    await tg.opt_in(4301, "L-1")
    tg.clock.advance(days=14)
    await tg.bot.dispatch()
    since = tg.server.last_seq
    away.away = True
    await tg.press(4301, "2")  # stored and scored; opening its case fails
    await tg.next_message(4301, since, contains="What went wrong")
    away.away = False
    await desk.settle()
    assert await desk.cases() == [] and desk.slack.top_level(CHANNEL) == []
    async with tg.bot.db.session() as s:
        (flagged,) = (await s.execute(select(Answer).where(Answer.escalate.is_(True)))).scalars()
    assert flagged.scoring_status == "scored"

    early = await desk.support.open_cases_left_behind()
    assert (early.decided, early.failed) == (0, 0)  # it may still be on its way: wait a while
    tg.clock.advance(minutes=3)
    swept = await desk.support.open_cases_left_behind()
    await desk.settle()
    assert (swept.decided, swept.failed) == (1, 0)
    (case,) = await desk.cases()
    assert case.answer_id == flagged.id
    assert len(desk.slack.top_level(CHANNEL)) == 1  # its card, posted right away
    again = await desk.support.open_cases_left_behind()
    assert (again.decided, again.failed) == (0, 0)
    assert len(await desk.cases()) == 1 and len(desk.slack.top_level(CHANNEL)) == 1


async def test_words_left_to_the_relay_are_not_swept_into_a_case(desk: DeskHarness) -> None:
    await desk.unhappy_customer(4302, "L-2")
    tg = desk.tg
    since = tg.server.last_seq
    tg.server.push_message(4302, "Still leaking. I want my money back, now!")
    await tg.next_message(4302, since)
    await desk.settle()
    async with tg.bot.db.session() as s:
        relayed = (
            (await s.execute(select(Event).where(Event.kind == "case.words_relayed")))
            .scalars()
            .all()
        )
    assert len(relayed) == 1  # flagged words outside a check-in, posted by the relay
    tg.clock.advance(minutes=3)
    swept = await desk.support.open_cases_left_behind()
    assert (swept.decided, swept.failed) == (0, 0)
    assert len(await desk.cases()) == 1
