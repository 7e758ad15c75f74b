"""The insights service on each backend: figures, confidence intervals, deltas, replies and
who may see them."""

from __future__ import annotations

import logging
import math
import struct

import pytest

from handlers.insights.chart import nps_trend_png
from handlers.insights.figures import nps_estimate, nps_interval, summary_dict
from handlers.insights.service import InsightsService, InsightsSettings, Requester
from storage.db import Database
from storage.insights.aggregates import AnswerFigures, WeekPoint
from storage.insights.store import InsightsStore
from tests.storage.insights.insights_data import NOW, PREV, START, load

MANAGER = Requester("telegram", "42")
RANGE = "2026-11-01..2026-11-14"


def test_nps_interval_by_hand() -> None:
    # p = .5, d = .3, n = 10: var = (.8 - .04) / 10 = .076, half width 1.96 * sqrt(.076) * 100
    low, high = nps_interval(5, 3, 10)
    half = 1.96 * math.sqrt(0.076) * 100
    assert low == pytest.approx(20 - half) and high == pytest.approx(20 + half)
    assert half == pytest.approx(54.03, abs=0.01)
    # 400 answers, 50% promoters, 20% detractors: NPS 30 ± 1.96 * sqrt((.7 - .09) / 400) * 100
    low, high = nps_interval(200, 80, 400)
    assert (low, high) == pytest.approx((30 - 7.654, 30 + 7.654), abs=0.001)


def test_interval_of_one_answer_and_clipping() -> None:
    assert nps_interval(1, 0, 1) == (100.0, 100.0)  # no variance, and never above 100
    assert nps_interval(0, 1, 1) == (-100.0, -100.0)
    low, high = nps_interval(2, 1, 3)
    assert low >= -100 and high <= 100
    with pytest.raises(ValueError):
        nps_interval(0, 0, 0)


def test_small_sample_flag() -> None:
    small = nps_estimate(AnswerFigures(nps_n=29, promoters=10, detractors=5), 30)
    large = nps_estimate(AnswerFigures(nps_n=30, promoters=10, detractors=5), 30)
    assert small is not None and small.small_sample
    assert large is not None and not large.small_sample
    assert nps_estimate(AnswerFigures(), 30) is None


@pytest.fixture
async def service(db: Database) -> InsightsService:
    await load(db)
    settings = InsightsSettings(
        timezone="UTC",
        telegram_user_ids=frozenset({"42"}),
        slack_user_ids=frozenset({"U0BOSS"}),
        slack_usergroup="S0LEADS",
    )
    return InsightsService(InsightsStore(db), settings, lambda: NOW)


async def test_stats_figures_and_changes(service: InsightsService) -> None:
    summary = await service.summary(service.parse(f"stats {RANGE}"))
    data = summary_dict(summary)
    assert data["current"]["nps"] == 20.0 and data["previous"]["nps"] == -25.0
    assert data["change"]["nps"] == 45.0
    assert data["current"]["nps_ci95"] == [-34.0, 74.0]
    assert data["current"]["small_sample"] is True
    assert data["current"]["csat"] == 60.0 and data["change"]["csat"] == -40.0
    assert data["current"]["ces"] == 66.7
    assert data["responses"] == {
        "sent": 4,
        "answered": 3,
        "expired": 1,
        "rate": 75.0,
        "rate_change": 25.0,
    }
    assert data["cases"]["median_claim_s"] == pytest.approx(7200, abs=1)
    assert data["cases"]["missed_target"] == 2 and data["cases"]["recovered"] == 1
    assert [t["theme"] for t in data["themes"]] == ["product_quality", "damage", "delivery"]


async def test_stats_reply_reads_well(service: InsightsService) -> None:
    reply = await service.answer(f"stats {RANGE}", MANAGER)
    assert not reply.refused and reply.chart_png is None
    text = reply.text
    assert "NPS +20 (n=10, 95% CI -34 to +74) (+45) - small sample" in text
    assert "CSAT 60% (n=5) (-40 pts)" in text
    assert "Response rate 75% (+25 pts): sent 4, answered 3, expired 1" in text
    assert "median time to claim 2.0h, to resolve 7.0h" in text
    assert "- product quality (2): “Works great, very quiet”" in text


async def test_empty_period_says_so(service: InsightsService) -> None:
    reply = await service.answer("stats 2025-01", MANAGER)
    assert "No answers in this period." in reply.text and "NPS: no answers yet" in reply.text


async def test_every_command_answers(service: InsightsService) -> None:
    replies = {w: await service.answer(f"{w} {RANGE}", MANAGER) for w in ("detractors", "themes")}
    assert "3 of 10 NPS answers (30%) (-20 pts)" in replies["detractors"].text
    assert "“It leaked, water everywhere” (Washing machine, usage, 05 Nov, case resolved)" in (
        replies["detractors"].text
    )
    assert "damage (1, sentiment -0.50)" in replies["themes"].text
    cases = await service.answer(f"cases {RANGE}", MANAGER)
    assert "Opened 3 (+3), still open 1, resolved 2" in cases.text
    points = await service.answer(f"touchpoints {RANGE}", MANAGER)
    lines = points.text.splitlines()
    assert lines[2].startswith("usage: NPS +20 (n=10) (+45)")
    assert lines[3].startswith("delivery: NPS n/a (n=0), CSAT 60% (n=5)")
    assert (
        "Ambassadors (said yes to an ask): 0" in (await service.answer("ambassadors", MANAGER)).text
    )
    assert "/mentor <what>" in (await service.answer("help", MANAGER)).text


async def test_trend_has_a_chart(service: InsightsService) -> None:
    reply = await service.answer("trend 2026-10-18..2026-11-14", MANAGER)
    assert reply.chart_png is not None and reply.chart_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "week of 18 Oct: -25 [" in reply.text and "n=4 (small sample)" in reply.text
    assert "week of 25 Oct: no NPS answers" in reply.text


async def test_filter_values_are_matched_and_suggested(service: InsightsService) -> None:
    kettle = await service.answer(f"stats {RANGE} product=kettle", MANAGER)
    assert "product=Kettle" in kettle.text and "CSAT 100% (n=1)" in kettle.text
    typo = await service.answer("stats product=Ketle", MANAGER)
    assert 'Did you mean product="Kettle"?' in typo.text
    unknown_tp = await service.answer("stats touchpoint=unboxing", MANAGER)
    assert "No answers for touchpoint “unboxing”" in unknown_tp.text
    garbage = await service.answer("stats 3od", MANAGER)
    assert "Did you mean 30d?" in garbage.text


async def test_only_managers_get_figures(
    service: InsightsService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "handlers.insights.service")
    refused = await service.answer("stats", Requester("telegram", "7"))
    assert refused.refused and "only for managers" in refused.text and "NPS" not in refused.text
    assert "refused telegram user 7" in caplog.text
    # in the user group, but without a way to check membership: refused
    assert (await service.answer("stats", Requester("slack", "U0ANNA"))).refused
    assert not (await service.answer("stats", Requester("slack", "U0BOSS"))).refused
    # the same id on the other channel is not a manager
    assert (await service.answer("stats", Requester("slack", "42"))).refused

    async def leads(group: str) -> bool:
        return group == "S0LEADS"

    async def broken(group: str) -> bool:
        raise ConnectionError("slack away")

    assert not (await service.answer("stats", Requester("slack", "U0ANNA", leads))).refused
    assert (await service.answer("stats", Requester("slack", "U0ANNA", broken))).refused


async def test_digest_covers_last_week_with_the_chart(service: InsightsService) -> None:
    reply = await service.digest()
    assert reply.text.startswith("Weekly digest from Mentorbot")
    assert "Stats, 7d (08 Nov - 14 Nov 2026)" in reply.text
    assert reply.chart_png is not None and reply.chart_png[:4] == b"\x89PNG"


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_chart_is_a_real_png_of_sensible_size() -> None:
    points = [
        WeekPoint(PREV, 40, 20, 8, 60),
        WeekPoint(START, 0, 0, 0, 0),
        WeekPoint(NOW, 5, 1, 3, 9),
    ]
    png = nps_trend_png(points, "NPS per week", small_sample=30)
    width, height = _png_size(png)
    assert (width, height) == (800, 450)
    assert len(png) > 10_000  # lines, band, bars and labels, not an empty canvas
    assert nps_trend_png([], "empty")[:4] == b"\x89PNG"


async def test_figures_per_channel(service: InsightsService, db: Database) -> None:
    """``channels``: the answers of each channel with their figures; the summary of a shop
    on one channel stays as it was (no channel line)."""
    from sqlalchemy import update

    from storage.models import Answer, Customer

    async with db.session() as s:
        kees = (
            await s.execute(Customer.__table__.select().where(Customer.name == "Kees Jansen"))
        ).first()
        assert kees is not None
        await s.execute(update(Answer).values(channel="telegram"))
        await s.execute(
            update(Answer).where(Answer.customer_id == kees.id).values(channel="whatsapp")
        )
    lines = (await service.answer(f"channels {RANGE}", MANAGER)).text.splitlines()
    assert lines[0].startswith("Per channel")
    assert lines[2].startswith("telegram: NPS +20 (n=10)")
    assert lines[3].startswith("whatsapp: NPS n/a (n=0)")
    assert (await service.answer(f"kanalen {RANGE}", MANAGER)).text.splitlines()[2:] == lines[2:]
    assert "channel" not in (await service.answer(f"stats {RANGE}", MANAGER)).text.lower()
