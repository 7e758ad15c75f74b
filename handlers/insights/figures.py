"""Figures for managers: NPS with its 95% confidence interval, changes against the previous
period, and the summary that ``stats``, the CLI and the digest all show.

The counts come from SQL aggregates (``storage.insights``); this module only does
arithmetic on them.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.insights.aggregates import AnswerFigures
from storage.insights.operations import CaseFigures, ResponseFigures
from storage.insights.words import Theme

if TYPE_CHECKING:
    from handlers.insights.query import InsightQuery
    from storage.insights.store import InsightsStore

Z95 = 1.96
THEME_SAMPLE = 2000


@dataclass(frozen=True)
class NpsEstimate:
    """An NPS with its sample size and 95% confidence interval."""

    score: float
    n: int
    low: float
    high: float
    small_sample: bool


def nps_interval(promoters: int, detractors: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The confidence interval of an NPS (variance of the difference of two shares).

    With p and d the promoter and detractor shares: var = (p + d - (p - d)^2) / n, and the
    interval is NPS ± z * sqrt(var) * 100, clipped to -100..100.
    """
    if n <= 0:
        raise ValueError("an interval needs at least one answer")
    p, d = promoters / n, detractors / n
    half = z * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n) * 100
    nps = (p - d) * 100
    return max(-100.0, nps - half), min(100.0, nps + half)


def nps_estimate(fig: AnswerFigures, small_sample: int = 30) -> NpsEstimate | None:
    """The NPS of ``fig`` with its interval (None without NPS answers)."""
    if not fig.nps_n or fig.nps is None:
        return None
    low, high = nps_interval(fig.promoters, fig.detractors, fig.nps_n)
    return NpsEstimate(fig.nps, fig.nps_n, low, high, fig.nps_n < small_sample)


def change(current: float | None, previous: float | None) -> float | None:
    """current - previous, or None when either is unknown."""
    if current is None or previous is None:
        return None
    return current - previous


@dataclass
class Summary:
    """Everything ``stats`` shows for one query."""

    query: InsightQuery
    current: AnswerFigures
    previous: AnswerFigures
    responses: ResponseFigures
    responses_before: ResponseFigures
    cases: CaseFigures
    cases_before: CaseFigures
    themes: list[Theme] = field(default_factory=list)
    small_sample: int = 30
    theme_sample: int | None = None
    """Themes were counted in the newest this many words only (None: in all of them)."""

    @property
    def nps(self) -> NpsEstimate | None:
        """The period's NPS with its interval."""
        return nps_estimate(self.current, self.small_sample)

    @property
    def nps_before(self) -> NpsEstimate | None:
        """The previous period's NPS with its interval."""
        return nps_estimate(self.previous, self.small_sample)


async def build_summary(
    data: InsightsStore,
    query: InsightQuery,
    now: datetime,
    *,
    small_sample: int = 30,
    themes: int = 5,
    theme_sample: int = THEME_SAMPLE,
) -> Summary:
    """Run the summary's aggregate queries (side by side) and put the figures together.

    The top themes come from the newest ``theme_sample`` words of the period (every theme
    mention means reading JSON; the ``themes`` command counts them all).
    """
    flt = query.filter()
    (cur, prev), (resp, resp_prev), cases, cases_prev, top = await asyncio.gather(
        data.answer_figures(flt),
        data.response_figures(flt),
        data.case_figures(flt, now),
        data.case_figures(flt.previous(), now),
        data.top_themes(flt, themes, theme_sample),
    )
    sampled = theme_sample if cur.words_n > theme_sample else None
    return Summary(query, cur, prev, resp, resp_prev, cases, cases_prev, top, small_sample, sampled)


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _figures_dict(fig: AnswerFigures, small: int) -> dict[str, Any]:
    est = nps_estimate(fig, small)
    return {
        "answers": fig.answers,
        "nps": _r(fig.nps),
        "nps_n": fig.nps_n,
        "nps_ci95": [_r(est.low), _r(est.high)] if est else None,
        "small_sample": est.small_sample if est else None,
        "promoters": fig.promoters,
        "passives": fig.passives,
        "detractors": fig.detractors,
        "csat": _r(fig.csat),
        "csat_n": fig.csat_n,
        "ces": _r(fig.ces),
        "ces_n": fig.ces_n,
        "sentiment": _r(fig.sentiment, 3),
        "words_n": fig.words_n,
        "segments": fig.segments,
    }


def summary_dict(s: Summary) -> dict[str, Any]:
    """The summary as plain JSON-ready data (the CLI's --json)."""
    q = s.query
    cur, prev = _figures_dict(s.current, s.small_sample), _figures_dict(s.previous, s.small_sample)
    return {
        "period": {
            "label": q.period.label,
            "start": q.period.start.isoformat(),
            "end": q.period.end.isoformat(),
        },
        "filters": {"product": q.product, "touchpoint": q.touchpoint, "language": q.language},
        "current": cur,
        "previous": prev,
        "change": {
            k: _r(change(cur[k], prev[k]))
            for k in ("nps", "csat", "ces", "sentiment", "answers")
            if isinstance(cur[k], int | float | None)
        },
        "responses": {
            "sent": s.responses.sent,
            "answered": s.responses.answered,
            "expired": s.responses.expired,
            "rate": _r(s.responses.rate),
            "rate_change": _r(change(s.responses.rate, s.responses_before.rate)),
        },
        "cases": {
            **vars(s.cases),
            "opened_change": s.cases.opened - s.cases_before.opened,
            "missed_target_change": s.cases.missed_target - s.cases_before.missed_target,
            "recovered_change": s.cases.recovered - s.cases_before.recovered,
        },
        "themes": [
            {"theme": t.name, "count": t.count, "polarity": _r(t.polarity, 3), "quote": t.quote}
            for t in s.themes
        ],
    }
