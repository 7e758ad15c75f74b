"""One object the insights handlers query: the aggregate queries bound to a database."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.db import Database
from storage.insights import aggregates as insights
from storage.insights import operations as insights_ops
from storage.insights import rollup as insights_rollup
from storage.insights import rollup_job as insights_rollup_job
from storage.insights import words as insights_words
from storage.insights.aggregates import AnswerFigures, InsightFilter, WeekPoint
from storage.insights.operations import AdvocacyFigures, CaseFigures, ResponseFigures
from storage.insights.words import Quote, Theme


class InsightsStore:
    """The managers' figures, every one an SQL aggregate (see ``storage.insights.aggregates*``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def answer_figures(self, flt: InsightFilter) -> tuple[AnswerFigures, AnswerFigures]:
        """(current, previous) answer figures (complete rolled-up days from the daily rollup)."""
        return await insights_rollup.answer_figures(self.db, flt)

    async def roll_up(self, now: datetime, settle: timedelta = insights_rollup_job.SETTLE) -> int:
        """Bring the daily rollup of answers up to date; returns the days recomputed."""
        return await insights_rollup_job.roll_up(self.db, now, settle)

    async def breakdown(
        self, flt: InsightFilter, by: str
    ) -> list[tuple[str, AnswerFigures, AnswerFigures]]:
        """Answer figures per product, touchpoint or language."""
        return await insights.breakdown(self.db, flt, by)

    async def weekly_nps(self, flt: InsightFilter) -> list[WeekPoint]:
        """NPS counts per week of the period."""
        return await insights.weekly_nps(self.db, flt)

    async def top_themes(
        self, flt: InsightFilter, limit: int, sample: int | None = None
    ) -> list[Theme]:
        """The most frequent themes with a typical quote each (in the newest ``sample`` words)."""
        return await insights_words.top_themes(self.db, flt, limit, sample)

    async def detractor_quotes(self, flt: InsightFilter, limit: int) -> list[Quote]:
        """The newest detractors' words."""
        return await insights_words.detractor_quotes(self.db, flt, limit)

    async def response_figures(self, flt: InsightFilter) -> tuple[ResponseFigures, ResponseFigures]:
        """(current, previous) check-in response figures."""
        return await insights_ops.response_figures(self.db, flt)

    async def case_figures(self, flt: InsightFilter, now: datetime) -> CaseFigures:
        """Case figures of the period."""
        return await insights_ops.case_figures(self.db, flt, now)

    async def advocacy_figures(self, flt: InsightFilter) -> AdvocacyFigures:
        """Ambassadors, clicks, referred purchases and testimonials."""
        return await insights_ops.advocacy_figures(self.db, flt)

    async def value_exists(self, by: str, value: str) -> bool:
        """Whether any answer has this product, touchpoint or language."""
        return await insights_words.value_exists(self.db, by, value)

    async def known_values(self, by: str) -> list[str]:
        """The distinct stored values of product, touchpoint or language."""
        return await insights_words.known_values(self.db, by)
