"""Managers' replies as plain text that reads the same in Slack and in Telegram.

No markup (Telegram gets no parse mode, Slack shows the text as typed): short lines, figures
first, the change against the previous period of the same length in brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from handlers.insights.figures import NpsEstimate, Summary, change, nps_estimate
from handlers.insights.query import InsightQuery
from storage.insights.aggregates import AnswerFigures, WeekPoint
from storage.insights.operations import AdvocacyFigures, CaseFigures
from storage.insights.words import Quote, Theme

HELP = """Insights for managers: /mentor <what> [period] [filters]

What:
  stats        the summary: NPS with its 95% interval, CSAT, CES, response rate, segments,
               sentiment, themes, cases (default)
  trend        NPS per week with a chart
  detractors   how many, and their latest words
  ambassadors  ambassadors, referral clicks, referred purchases, testimonials
  themes       what customers talk about, with a typical quote each
  cases        support cases: open, time to claim and resolve, targets missed, recovered
  touchpoints  figures per touchpoint (also: products, languages, channels)
  help         this text

Period: 7d, 30d (default), 90d, this-week, last-week, this-month, last-month, 2026-10,
  2026-10-01..2026-10-15. Figures show the change against the previous period of the same length.
Filters: product="Washing machine", touchpoint=usage, language=nl

Examples: /mentor stats 30d   /mentor trend product=Kettle   /mentor cases last-month"""

REFUSAL = (
    "Sorry, these figures are only for managers. If you should have access, ask the "
    "person who runs Mentorbot to add you under managers in the config."
)


def signed(value: float | None, digits: int = 0, unit: str = "") -> str:
    """+12 / -3 / ±0, or "n/a"."""
    if value is None:
        return "n/a"
    rounded = round(value, digits)
    if rounded == 0:
        return f"±0{unit}"
    text = f"{rounded:+.{digits}f}"
    return f"{text}{unit}"


def pct(value: float | None) -> str:
    """A percentage without decimals, or "n/a"."""
    return "n/a" if value is None else f"{value:.0f}%"


def delta(current: float | None, previous: float | None, unit: str = "", digits: int = 0) -> str:
    """ "(+5 vs previous)" or "" when there is nothing to compare."""
    diff = change(current, previous)
    return "" if diff is None else f" ({signed(diff, digits, unit)})"


def duration(seconds: float | None) -> str:
    """A short human duration: 45m, 3.5h, 2.0d."""
    if seconds is None:
        return "n/a"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def heading(what: str, query: InsightQuery) -> str:
    """E.g. "Stats, 30d (01 Nov - 30 Nov 2026), product=Kettle"."""
    p = query.period
    last = p.end - timedelta(microseconds=1)
    span = f"{p.start:%d %b} - {last:%d %b %Y}"
    filters = " ".join(
        f"{k}={v}"
        for k, v in (
            ("product", query.product),
            ("touchpoint", query.touchpoint),
            ("language", query.language),
        )
        if v
    )
    return f"{what}, {p.label} ({span})" + (f", {filters}" if filters else "")


def nps_line(est: NpsEstimate | None, before: NpsEstimate | None) -> str:
    """NPS with n, interval, small-sample warning and change."""
    if est is None:
        return "NPS: no answers yet"
    line = (
        f"NPS {signed(est.score)} (n={est.n}, 95% CI {signed(est.low)} to {signed(est.high)})"
        f"{delta(est.score, before.score if before else None)}"
    )
    if est.small_sample:
        line += " - small sample, read with care"
    return line


def _segments(fig: AnswerFigures) -> str:
    names = ("promoter", "passive", "detractor", "ambassador_candidate", "ambassador")
    shown = [f"{n.replace('_', ' ')} {fig.segments[n]}" for n in names if fig.segments.get(n)]
    return ", ".join(shown) if shown else "none yet"


def format_summary(s: Summary) -> str:
    """The ``stats`` reply."""
    cur, prev = s.current, s.previous
    r, rb = s.responses, s.responses_before
    lines = [heading("Stats", s.query), ""]
    if not cur.answers and not r.sent:
        lines.append("No answers in this period.")
    lines.append(nps_line(s.nps, s.nps_before))
    if cur.nps_n:
        lines.append(
            f"  promoters {cur.promoters}, passives {cur.passives}, detractors {cur.detractors}"
        )
    lines += [
        f"CSAT {pct(cur.csat)} (n={cur.csat_n}){delta(cur.csat, prev.csat, ' pts')}",
        f"CES {pct(cur.ces)} (n={cur.ces_n}){delta(cur.ces, prev.ces, ' pts')}",
        f"Response rate {pct(r.rate)}{delta(r.rate, rb.rate, ' pts')}: sent {r.sent}, "
        f"answered {r.answered}, expired {r.expired}",
        f"Sentiment {signed(cur.sentiment, 2) if cur.sentiment is not None else 'n/a'} "
        f"(n={cur.words_n}, positive {cur.positive}, negative {cur.negative})"
        f"{delta(cur.sentiment, prev.sentiment, '', 2)}",
        f"Segments: {_segments(cur)}",
        case_line(s.cases, s.cases_before),
    ]
    if s.themes:
        sample = f" (in the latest {s.theme_sample:,} comments)" if s.theme_sample else ""
        lines.append(f"Top themes{sample}:")
        lines += [theme_line(t) for t in s.themes[:3]]
    lines.append("Changes are against the previous period of the same length.")
    return "\n".join(lines)


def case_line(c: CaseFigures, before: CaseFigures) -> str:
    """One line about cases."""
    return (
        f"Cases: {c.opened} opened{delta(c.opened, before.opened)}, {c.open_now} open now\n"
        f"  median time to claim {duration(c.median_claim_s)}, "
        f"to resolve {duration(c.median_resolve_s)}\n"
        f"  response-time targets missed {c.missed_target}"
        f"{delta(c.missed_target, before.missed_target)}, "
        f"detractors recovered {c.recovered} of {c.recovery_asked}"
        f"{delta(c.recovered, before.recovered)}"
    )


def theme_line(t: Theme) -> str:
    """ "- delivery (12): “Arrived a day late”"."""
    quote = f": “{_short(t.quote)}”" if t.quote else ""
    return f"- {t.name.replace('_', ' ')} ({t.count}){quote}"


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_trend(query: InsightQuery, points: Sequence[WeekPoint], small_sample: int) -> str:
    """The ``trend`` reply (the chart goes with it)."""
    lines = [heading("NPS trend", query), ""]
    for p in points:
        if p.nps_n:
            fig = AnswerFigures(nps_n=p.nps_n, promoters=p.promoters, detractors=p.detractors)
            est = nps_estimate(fig, small_sample)
            assert est is not None
            small = " (small sample)" if est.small_sample else ""
            lines.append(
                f"week of {p.start:%d %b}: {signed(est.score)} "
                f"[{signed(est.low)} to {signed(est.high)}], n={p.nps_n}{small}"
            )
        else:
            lines.append(f"week of {p.start:%d %b}: no NPS answers")
    return "\n".join(lines)


def format_detractors(
    query: InsightQuery,
    cur: AnswerFigures,
    prev: AnswerFigures,
    quotes: Sequence[Quote],
    cases: CaseFigures,
) -> str:
    """The ``detractors`` reply."""
    share = 100.0 * cur.detractors / cur.nps_n if cur.nps_n else None
    share_before = 100.0 * prev.detractors / prev.nps_n if prev.nps_n else None
    lines = [
        heading("Detractors", query),
        "",
        f"{cur.detractors} of {cur.nps_n} NPS answers ({pct(share)})"
        f"{delta(share, share_before, ' pts')}",
        f"Recovered after a case: {cases.recovered} of {cases.recovery_asked} asked",
    ]
    if quotes:
        lines.append("Latest words:")
        for q in quotes:
            where = ", ".join(x for x in (q.product, q.touchpoint, f"{q.created_at:%d %b}") if x)
            case = f", case {q.case_status.replace('_', ' ')}" if q.case_status else ""
            lines.append(f"- “{_short(q.text)}” ({where}{case})")
    else:
        lines.append("No words from detractors in this period.")
    return "\n".join(lines)


def format_themes(query: InsightQuery, themes: Sequence[Theme]) -> str:
    """The ``themes`` reply."""
    lines = [heading("Themes", query), ""]
    if not themes:
        lines.append("No themes in this period (themes come from customers' words).")
    for t in themes:
        mood = f", sentiment {signed(t.polarity, 2)}" if t.polarity is not None else ""
        lines.append(theme_line(t).replace(f" ({t.count})", f" ({t.count}{mood})"))
    return "\n".join(lines)


def format_cases(query: InsightQuery, c: CaseFigures, before: CaseFigures) -> str:
    """The ``cases`` reply."""
    return "\n".join(
        [
            heading("Cases", query),
            "",
            f"Opened {c.opened}{delta(c.opened, before.opened)}, still open {c.still_open}, "
            f"resolved {c.resolved}",
            f"Open now (any period): {c.open_now}",
            f"Median time to claim {duration(c.median_claim_s)}"
            f" (before: {duration(before.median_claim_s)})",
            f"Median time to resolve {duration(c.median_resolve_s)}"
            f" (before: {duration(before.median_resolve_s)})",
            f"Response-time targets missed {c.missed_target}"
            f"{delta(c.missed_target, before.missed_target)}",
            f"Detractors recovered {c.recovered} of {c.recovery_asked} asked"
            f"{delta(c.recovered, before.recovered)}",
            f"Goodwill gestures given {c.gestures}{delta(c.gestures, before.gestures)}; "
            f"came back as promoters {c.gesture_recovered} of {c.gesture_asked} asked",
        ]
    )


def format_breakdown(
    query: InsightQuery, by: str, rows: Sequence[tuple[str, AnswerFigures, AnswerFigures]]
) -> str:
    """The ``touchpoints`` / ``products`` / ``languages`` / ``channels`` reply."""
    lines = [heading(f"Per {by}", query), ""]
    if not rows:
        lines.append("No answers in this period.")
    for name, cur, prev in rows:
        nps = f"NPS {signed(cur.nps)} (n={cur.nps_n}){delta(cur.nps, prev.nps)}"
        lines.append(
            f"{name}: {nps}, CSAT {pct(cur.csat)} (n={cur.csat_n}), "
            f"CES {pct(cur.ces)} (n={cur.ces_n}), answers {cur.answers}"
        )
    return "\n".join(lines)


def format_advocacy(query: InsightQuery, a: AdvocacyFigures, before: AdvocacyFigures) -> str:
    """The ``ambassadors`` reply."""
    return "\n".join(
        [
            heading("Ambassadors", query),
            "",
            f"Ambassadors (said yes to an ask): {a.ambassadors}"
            f"{delta(a.ambassadors, before.ambassadors)}",
            f"Ambassador candidates (promoters with positive words): {a.candidates}"
            f"{delta(a.candidates, before.candidates)}",
            f"Ambassador asks sent {a.asks_sent}: yes {a.asks_answered}, no {a.asks_declined}",
            f"Referral link clicks {a.referral_clicks}"
            f"{delta(a.referral_clicks, before.referral_clicks)}, "
            f"review link clicks {a.review_clicks}",
            f"Referred purchases {a.referred_purchases}"
            f"{delta(a.referred_purchases, before.referred_purchases)}",
            f"Testimonials with consent {a.testimonials}"
            f"{delta(a.testimonials, before.testimonials)}",
        ]
    )
