"""The choices the learned backend's training makes by cross-validation, one function each.

Every function here sees out-of-fold predictions on the train part only (the frozen test part
is never opened by training code):

- :func:`f1_by_fold`: the figure those choices compare, macro-F1 per fold (mean over languages);
- :func:`one_se_weight`: the largest blend weight whose cross-validated figure is within one
  standard error (over folds) of the best, the usual rule for preferring the simpler model;
- :func:`recall_point`: the escalation cut-off whose recall, read off the out-of-fold curve,
  stays at or above the target in each language, with 95 % confidence, on a new sample of
  200 replies that need a person (:func:`recall_floor`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

CONFIDENCE = 0.95
DRAWS = 4000
NEW_SAMPLE = 200
"""Replies needing a person in the new sample the point must hold on: about a language's share
of a 450-reply evaluation part (45 % of the train part's replies need a person)."""


def f1_by_fold(
    y: Any, pred: Any, fold: Any, langs: Any, guide: Any, rows: Any = None
) -> list[float]:
    """Per fold, the mean over languages of macro-F1 on the label guide's rows (of ``rows``)."""
    from sentiment.metrics import macro_f1

    keep = guide if rows is None else guide & rows
    return [
        float(
            np.mean(
                [
                    macro_f1(list(y[m]), list(pred[m]))
                    for m in ((fold == k) & keep & (langs == g) for g in ("en", "nl"))
                ]
            )
        )
        for k in range(int(fold.max()) + 1)
    ]


def one_se_weight(per_fold: dict[float, list[float]]) -> tuple[float, dict[str, Any]]:
    """The largest key whose mean over folds is within one standard error of the best mean."""
    means = {k: float(np.mean(v)) for k, v in per_fold.items()}
    best = max(means, key=lambda k: means[k])
    se = float(np.std(per_fold[best], ddof=1) / np.sqrt(len(per_fold[best])))
    chosen = max(k for k, m in means.items() if m >= means[best] - se)
    return chosen, {
        "means": {str(k): round(m, 4) for k, m in means.items()},
        "best": best,
        "standard_error": round(se, 4),
    }


def recall_floor(hits: int, positives: int, seed: int = 0) -> float:
    """The recall a new sample of :data:`NEW_SAMPLE` replies that need a person still shows
    95 % of the time, given ``hits`` of ``positives`` caught out of fold.

    Two uncertainties: the true recall (a Beta posterior from the out-of-fold count) and the
    luck of a new sample of that size (binomial), drawn together.
    """
    if positives == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    true = rng.beta(hits + 1, positives - hits + 1, size=DRAWS)
    seen = rng.binomial(NEW_SAMPLE, true) / NEW_SAMPLE
    return float(np.quantile(seen, 1 - CONFIDENCE))


def recall_point(
    p: Any, y: Any, forced: Any, langs: Any, target: float
) -> tuple[list[list[float]], list[float]]:
    """The cross-validated curve and the operating point for ``target`` recall.

    Returns (curve, point): curve rows are (threshold, recall, precision, floor), pooled over
    languages except ``floor``, the lowest per-language :func:`recall_floor`; the point is the
    highest threshold whose floor reaches ``target`` (the lowest threshold if none does).
    """
    curve = []
    for t in np.round(np.arange(0.01, 0.96, 0.01), 2):
        flag = (p >= t) | forced
        tp = float(np.sum(flag & (y == 1)))
        floors = [
            recall_floor(
                int(np.sum(flag & (y == 1) & (langs == g))), int(np.sum((y == 1) & (langs == g)))
            )
            for g in sorted(set(langs.tolist()))
        ]
        curve.append(
            [
                float(t),
                round(tp / max(1, y.sum()), 4),
                round(tp / max(1, flag.sum()), 4),
                round(min(floors), 4),
            ]
        )
    reaching = [row for row in curve if row[3] >= target]
    point = max(reaching, key=lambda r: r[0]) if reaching else curve[0]
    return curve, point
