"""The insights aggregates on SQLite and PostgreSQL, against hand-computed figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import models
from storage.db import Database
from storage.insights.aggregates import InsightFilter
from storage.insights.store import InsightsStore
from storage.models import (
    AdvocacyAsk,
    Answer,
    Customer,
    LinkClick,
    Purchase,
    ReferralCredit,
    TrackedLink,
)
from tests.storage.insights.insights_data import END, NOW, PREV, START, load


@pytest.fixture
async def data(db: Database) -> InsightsStore:
    await load(db)
    return InsightsStore(db)


async def test_nps_csat_ces_sentiment_and_segments(data: InsightsStore) -> None:
    cur, prev = await data.answer_figures(InsightFilter(START, END))
    assert (cur.nps_n, cur.promoters, cur.passives, cur.detractors) == (10, 5, 2, 3)
    assert cur.nps == pytest.approx(20.0)
    assert (cur.csat_n, cur.csat_good) == (5, 3) and cur.csat == pytest.approx(60.0)
    assert (cur.ces_n, cur.ces_good) == (3, 2) and cur.ces == pytest.approx(200 / 3)
    assert cur.words_n == 3 and cur.sentiment == pytest.approx(0.1)
    assert (cur.positive, cur.negative) == (2, 1)
    # ratings by their scale's cut-offs: NPS 5/2/3, CSAT 3/1/1, CES 2/1/0
    assert cur.segments == {"promoter": 10, "passive": 4, "detractor": 4}
    assert cur.answers == 21
    assert (prev.nps_n, prev.promoters, prev.detractors) == (4, 1, 2)
    assert prev.nps == pytest.approx(-25.0)
    assert prev.csat == pytest.approx(100.0)
    assert prev.ces is None and prev.sentiment is None


async def test_filters_narrow_every_figure(data: InsightsStore) -> None:
    kettle, _ = await data.answer_figures(InsightFilter(START, END, product="Kettle"))
    assert (kettle.answers, kettle.csat_n, kettle.csat_good, kettle.nps_n) == (1, 1, 1, 0)
    delivery, _ = await data.answer_figures(InsightFilter(START, END, touchpoint="delivery"))
    assert (delivery.csat_n, delivery.csat_good) == (5, 3)
    dutch, _ = await data.answer_figures(InsightFilter(START, END, language="nl"))
    assert dutch.answers == 1
    resp, _ = await data.response_figures(InsightFilter(START, END, touchpoint="delivery"))
    assert resp.sent == 0


async def test_breakdown_per_touchpoint(data: InsightsStore) -> None:
    rows = await data.breakdown(InsightFilter(START, END), "touchpoint")
    assert [name for name, _, _ in rows] == ["usage", "delivery"]
    usage, usage_before = rows[0][1], rows[0][2]
    assert usage.nps == pytest.approx(20.0) and usage_before.nps == pytest.approx(-25.0)
    assert rows[1][1].csat == pytest.approx(60.0)


async def test_response_rate_from_checkins(data: InsightsStore) -> None:
    cur, prev = await data.response_figures(InsightFilter(START, END))
    assert (cur.sent, cur.answered, cur.expired) == (4, 3, 1)
    assert cur.rate == pytest.approx(75.0)
    assert (prev.sent, prev.answered) == (2, 1) and prev.rate == pytest.approx(50.0)


async def test_cases_medians_targets_and_recovery(data: InsightsStore) -> None:
    c = await data.case_figures(InsightFilter(START, END), NOW)
    assert (c.opened, c.still_open, c.resolved, c.open_now) == (3, 1, 2, 1)
    assert c.median_claim_s == pytest.approx(2 * 3600, abs=1)  # 1h and 3h
    assert c.median_resolve_s == pytest.approx(7 * 3600, abs=1)  # 5h and 9h
    assert c.missed_target == 2  # one claimed late, one escalated
    assert (c.recovery_asked, c.recovered) == (2, 1)
    # one gesture reached its customer (who came back a promoter); one customer blocked the bot
    assert (c.gestures, c.gesture_asked, c.gesture_recovered) == (1, 1, 1)
    washing = await data.case_figures(InsightFilter(START, END, product="Washing machine"), NOW)
    assert washing.opened == 1 and washing.median_claim_s == pytest.approx(3600, abs=1)
    before = await data.case_figures(InsightFilter(PREV, START), NOW)
    assert before.opened == 0 and before.median_claim_s is None


async def test_top_themes_with_a_typical_quote(data: InsightsStore) -> None:
    themes = await data.top_themes(InsightFilter(START, END), 5)
    assert [(t.name, t.count) for t in themes] == [
        ("product_quality", 2),
        ("damage", 1),
        ("delivery", 1),
    ]
    assert themes[0].polarity == pytest.approx(0.0)
    # both quotes are 0.5 from the average: the shorter one is the typical quote
    assert themes[0].quote == "Works great, very quiet"
    assert themes[1].quote == "It leaked, water everywhere"
    assert await data.top_themes(InsightFilter(PREV, START), 5) == []


async def test_detractor_quotes_show_their_case(data: InsightsStore) -> None:
    quotes = await data.detractor_quotes(InsightFilter(START, END), 5)
    assert [(q.text, q.case_status) for q in quotes] == [
        ("It leaked, water everywhere", "resolved")
    ]


async def test_weekly_nps_buckets(data: InsightsStore) -> None:
    points = await data.weekly_nps(InsightFilter(PREV, END))
    assert [p.start for p in points] == [PREV + timedelta(days=7 * i) for i in range(4)]
    assert [(p.nps_n, p.promoters, p.detractors) for p in points] == [
        (4, 1, 2),
        (0, 0, 0),
        (10, 5, 3),
        (0, 0, 0),
    ]


async def test_empty_period_and_a_single_answer(db: Database) -> None:
    data = InsightsStore(db)
    cur, prev = await data.answer_figures(InsightFilter(START, END))
    assert cur.answers == prev.answers == 0 and cur.nps is None and cur.csat is None
    assert (await data.response_figures(InsightFilter(START, END)))[0].rate is None
    assert (await data.case_figures(InsightFilter(START, END), NOW)).opened == 0
    async with db.session() as s:
        customer = Customer(name="Solo")
        s.add(customer)
        await s.flush()
        s.add(Answer(customer_id=customer.id or 0, question_type="nps", score=3, created_at=START))
    cur, _ = await data.answer_figures(InsightFilter(START, END))
    assert (cur.nps_n, cur.detractors, cur.nps) == (1, 1, -100.0)


async def test_filter_values_known_for_suggestions(data: InsightsStore) -> None:
    assert sorted(await data.known_values("product")) == ["Kettle", "Washing machine"]
    assert await data.value_exists("touchpoint", "usage")
    assert not await data.value_exists("product", "kettle")


async def test_advocacy_counts(data: InsightsStore, db: Database) -> None:
    assert (await data.advocacy_figures(InsightFilter(START, END))).referral_clicks == 0
    inside, outside = START + timedelta(days=2), START - timedelta(days=2)
    async with db.session() as s:
        ann = Customer(name="Amb")
        s.add(ann)
        await s.flush()
        cid = ann.id or 0
        s.add_all(
            [
                TrackedLink(code="ref1", kind="referral", customer_id=cid, target_url="https://x"),
                TrackedLink(code="rev1", kind="review", customer_id=cid, target_url="https://y"),
            ]
        )
        await s.flush()
        s.add_all(
            [
                LinkClick(code="ref1", at=inside),
                LinkClick(code="ref1", at=inside),
                LinkClick(code="ref1", at=outside),
                LinkClick(code="rev1", at=inside),
                models.Testimonial(customer_id=cid, text="Great", consent=True, created_at=inside),
                models.Testimonial(customer_id=cid, text="No", consent=False, created_at=inside),
                AdvocacyAsk(
                    dedupe_key="ambassador:customer:1",
                    kind="ambassador",
                    customer_id=cid,
                    status="answered",
                    choices=["referral"],
                    sent_at=inside,
                    answered_at=inside,
                ),
                Answer(
                    customer_id=cid,
                    question_type="text",
                    segment="ambassador_candidate",
                    created_at=inside,
                ),
                Answer(
                    customer_id=cid,
                    question_type="text",
                    segment="ambassador_candidate",
                    created_at=inside,
                ),
            ]
        )
        purchase = Purchase(
            external_order_id="R-1",
            customer_id=cid,
            product="Kettle",
            purchased_at=inside,
            journey="standard",
        )
        s.add(purchase)
        await s.flush()
        s.add(
            ReferralCredit(
                purchase_id=purchase.id or 0, ambassador_id=cid, code="ref1", credited_at=inside
            )
        )
    a = await data.advocacy_figures(InsightFilter(START, END))
    assert (a.referral_clicks, a.review_clicks) == (2, 1)
    assert (a.testimonials, a.referred_purchases) == (1, 1)
    assert (a.asks_sent, a.asks_answered, a.asks_declined) == (1, 1, 0)
    assert a.ambassadors == 1  # said yes to the ask
    assert a.candidates == 1  # one customer, two answers
    words, _ = await data.answer_figures(InsightFilter(START, END))
    assert words.segments["ambassador_candidate"] == 2  # promoters whose words are positive
