"""The weekly NPS trend as a PNG: NPS line, its 95% confidence band, answers per week as bars.

matplotlib is imported inside the function, with the headless Agg backend, so importing this
module costs nothing and no display is ever needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from handlers.insights.figures import nps_interval
from storage.insights.aggregates import WeekPoint


def nps_trend_png(
    points: Sequence[WeekPoint], title: str = "NPS per week", small_sample: int = 30
) -> bytes:
    """Render the trend; weeks without NPS answers leave a gap, small weeks get a hollow dot."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    labels = [p.start.strftime("%d %b") for p in points]
    xs = list(range(len(points)))
    nps: list[float] = []
    low: list[float] = []
    high: list[float] = []
    for p in points:
        if p.nps_n:
            lo, hi = nps_interval(p.promoters, p.detractors, p.nps_n)
            nps.append(100.0 * (p.promoters - p.detractors) / p.nps_n)
            low.append(lo)
            high.append(hi)
        else:
            nps.append(float("nan"))
            low.append(float("nan"))
            high.append(float("nan"))

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    bars = ax.twinx()
    bars.bar(xs, [p.nps_n for p in points], color="#d0d7e2", width=0.6, zorder=1)
    bars.set_ylabel("NPS answers")
    bars.set_ylim(0, max([p.nps_n for p in points] + [1]) * 3)
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.fill_between(xs, low, high, color="#4c78a8", alpha=0.2, label="95% interval", zorder=2)
    ax.plot(xs, nps, color="#4c78a8", marker="o", linewidth=2, label="NPS", zorder=3)
    small = [i for i, p in enumerate(points) if 0 < p.nps_n < small_sample]
    if small:
        ax.scatter(
            small,
            [nps[i] for i in small],
            s=60,
            facecolors="white",
            edgecolors="#e45756",
            zorder=4,
            label=f"fewer than {small_sample} answers",
        )
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_ylim(-100, 100)
    ax.set_ylabel("NPS")
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
