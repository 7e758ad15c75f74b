"""The daily rollup gives exactly the figures of the live queries, for any period and filter,
and stays fresh: answers stored, scored or forgotten after it ran still count as they should."""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from handlers.insights.figures import summary_dict
from handlers.insights.service import InsightsService, InsightsSettings
from storage.db import Database
from storage.insights import aggregates as insights
from storage.insights.aggregates import AnswerFigures, InsightFilter
from storage.insights.rollup import split_period
from storage.insights.store import InsightsStore
from storage.models import Answer, AnswerRollup, AnswerRollupDay, Customer
from storage.repositories import Repositories
from tests.case_setup import forget

T0 = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 10, 20, 15, 30, tzinfo=UTC)
PRODUCTS = ("Washing machine", "Kettle", "Dryer", None)
TOUCHPOINTS = ("delivery", "usage", "recovery", None)
LANGUAGES = ("en", "nl", None)
TYPES = ("nps", "csat", "ces", "yes_no", "text", None)
SEGMENTS = ("detractor", "passive", "promoter", "ambassador_candidate", "ambassador", None)
SENTIMENTS = ("positive", "negative", "neutral", None)


def _row(rnd: random.Random, customer: int, at: datetime) -> dict[str, Any]:
    qt = rnd.choice(TYPES)
    score = {"nps": rnd.randint(0, 11), "csat": rnd.randint(1, 5), "ces": rnd.randint(1, 7)}.get(
        qt or "", rnd.choice((0, 1, None))
    )
    scored = rnd.random() < 0.9
    return {
        "customer_id": customer,
        "question_type": qt,
        "score": None if rnd.random() < 0.05 else score,
        "text": "Works fine" if qt == "text" else None,
        "product": rnd.choice(PRODUCTS),
        "touchpoint": rnd.choice(TOUCHPOINTS),
        "language": rnd.choice(LANGUAGES),
        "scoring_status": "scored" if scored else "unscored",
        "polarity": round(rnd.uniform(-1, 1), 3) if scored else None,
        "sentiment": rnd.choice(SENTIMENTS) if scored else None,
        "segment": rnd.choice(SEGMENTS) if scored else None,
        "created_at": at,
    }


async def _load(db: Database, n: int = 2500, seed: int = 11) -> int:
    """Answers over 50 days, some exactly on midnight; returns the customer's id."""
    rnd = random.Random(seed)
    async with db.session() as s:
        customer = Customer(name="Ann", language="en")
        s.add(customer)
        await s.flush()
        cid = customer.id or 0
        rows = [_row(rnd, cid, T0 + timedelta(seconds=rnd.randrange(50 * 86400))) for _ in range(n)]
        rows += [_row(rnd, cid, T0 + timedelta(days=d)) for d in range(0, 50, 3)]
        await s.execute(insert(Answer), rows)
    return cid


def _key(fig: AnswerFigures) -> dict[str, Any]:
    data = asdict(fig)
    data["polarity_sum"] = round(data["polarity_sum"], 9)
    return data


PERIODS = [
    (T0, NOW),
    (T0 + timedelta(days=10), T0 + timedelta(days=40)),  # whole days
    (T0 + timedelta(days=9, hours=13, minutes=7), NOW - timedelta(hours=3)),
    (T0 + timedelta(days=20, hours=2), T0 + timedelta(days=20, hours=20)),  # within one day
    (T0 + timedelta(days=5, hours=23), T0 + timedelta(days=6, hours=1)),  # across midnight
    (T0 + timedelta(days=30, hours=6), T0 + timedelta(days=48)),  # ends after the rollup
    (T0 - timedelta(days=3), T0 + timedelta(days=4, seconds=1)),
]
FILTERS = [
    {},
    {"product": "Washing machine"},
    {"touchpoint": "usage", "language": "nl"},
    {"product": "Dryer", "touchpoint": "delivery", "language": "en"},
    {"product": "Unknown"},
]


async def _assert_same(data: InsightsStore) -> None:
    for start, end in PERIODS:
        for filters in FILTERS:
            flt = InsightFilter(start, end, **filters)
            rolled = await data.answer_figures(flt)
            live = await insights.answer_figures(data.db, flt)
            assert [_key(f) for f in rolled] == [_key(f) for f in live], (start, end, filters)


class LiveStore(InsightsStore):
    """The figures without the rollup."""

    async def answer_figures(self, flt: InsightFilter) -> tuple[AnswerFigures, AnswerFigures]:
        return await insights.answer_figures(self.db, flt)


async def _rolled_answers(db: Database) -> tuple[int, int, int]:
    """(answers counted in the day totals, in the detailed rows, answers of the rolled-up
    days)."""
    sums = select(AnswerRollup.totals, func.sum(AnswerRollup.answers)).group_by(AnswerRollup.totals)
    async with db.session() as s:
        counted = {bool(t): int(n) for t, n in (await s.execute(sums)).all()}
        days = (await s.execute(select(AnswerRollupDay.day))).scalars().all()
        total = 0
        for day in days:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            total += (
                await s.execute(
                    select(func.count()).where(
                        Answer.created_at >= start, Answer.created_at < start + timedelta(days=1)
                    )
                )
            ).scalar_one()
    return counted.get(True, 0), counted.get(False, 0), total


async def test_rollup_figures_equal_live_figures(db: Database) -> None:
    await _load(db)
    data = InsightsStore(db)
    assert await data.roll_up(NOW) == 49  # 2026-09-01 .. 2026-10-19: ended 3 hours before NOW
    assert await data.roll_up(NOW) == 0  # nothing new
    totals, detailed, total = await _rolled_answers(db)
    assert totals == detailed == total > 2000
    await _assert_same(data)
    settings = InsightsSettings(timezone="Europe/Amsterdam")
    for command in ("stats 30d", 'stats 2w product="Kettle"', "stats this-month"):
        rolled = InsightsService(data, settings, lambda: NOW)
        live = InsightsService(LiveStore(db), settings, lambda: NOW)
        got = summary_dict(await rolled.summary(rolled.parse(command)))
        assert got == summary_dict(await live.summary(live.parse(command)))
        assert got["current"]["answers"] > 0


async def test_answers_stored_scored_or_forgotten_after_the_rollup_count(db: Database) -> None:
    cid = await _load(db, n=800)
    store, data = Repositories.on(db), InsightsStore(db)
    await data.roll_up(NOW)
    before, _ = await data.answer_figures(InsightFilter(T0, NOW))
    rnd = random.Random(5)
    late = [_row(rnd, cid, T0 + timedelta(days=d, hours=7)) for d in (2, 2, 17, 47, 49)]
    late[0].update(question_type="nps", score=10)
    async with db.session() as s:
        await s.execute(insert(Answer), late)
    fresh = await store.answers.save_answer(
        Answer(customer_id=cid, question_type="text", text="It leaks", created_at=NOW)
    )
    await _assert_same(data)  # back-dated answers in rolled-up days count at once
    await store.answers.record_scoring(
        fresh.id or 0,
        polarity=-0.8,
        sentiment="negative",
        segment="detractor",
        escalate=True,
        analysis={"themes": ["damage"]},
    )
    await forget(store, cid)
    await _assert_same(data)
    after, _ = await data.answer_figures(InsightFilter(T0, NOW + timedelta(minutes=1)))
    assert after.answers > before.answers and after.negative > before.negative
    assert await data.roll_up(NOW) == 3  # the rolled-up days with back-dated answers: 2, 17, 47
    await _assert_same(data)
    assert await data.roll_up(NOW + timedelta(days=2)) == 2  # 10-20 and 10-21 have ended
    await _assert_same(data)
    totals, detailed, total = await _rolled_answers(db)
    assert totals == detailed == total


async def test_workers_rolling_up_at_once_count_each_answer_once(db: Database) -> None:
    await _load(db, n=600)
    data = InsightsStore(db)
    done = await asyncio.gather(data.roll_up(NOW), data.roll_up(NOW), data.roll_up(NOW))
    assert sum(done) >= 49
    totals, detailed, total = await _rolled_answers(db)
    assert totals == detailed == total
    await _assert_same(data)


def test_a_period_splits_into_live_edges_and_rolled_runs() -> None:
    day = T0.date()
    marks = {day + timedelta(days=d): 10 for d in (1, 2, 4)} | {day + timedelta(days=5): 12}
    start, end = T0 + timedelta(hours=6), T0 + timedelta(days=6, hours=1)
    live, runs = split_period(start, end, marks)
    assert runs == [
        (day + timedelta(days=1), day + timedelta(days=3), 10),
        (day + timedelta(days=4), day + timedelta(days=5), 10),
        (day + timedelta(days=5), day + timedelta(days=6), 12),
    ]
    assert live == [
        (start, T0 + timedelta(days=1)),
        (T0 + timedelta(days=3), T0 + timedelta(days=4)),
        (T0 + timedelta(days=6), end),
    ]
    assert split_period(start, start + timedelta(hours=3), marks) == (
        [(start, start + timedelta(hours=3))],
        [],
    )
