"""The learned backend's escalation head: chosen by precision at high recall, then its point."""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.dataset import LANGS
from sentiment.fitting import balanced, fit_binary, platt, scales
from sentiment.metrics import precision_recall
from sentiment.train_choices import recall_point

ESC_LAMBDAS = (0.01, 0.03, 0.1)
ESC_SCALES = (1.0, 2.0)
RECALL_TARGET = 0.95
SELECT_RECALL = 0.97


def _precision_at(p: Any, y: Any, forced: Any, mask: Any, target: float) -> float:
    """Precision at the highest cut-off whose recall (on ``mask``) reaches ``target``."""
    yy, pp, ff = y[mask] == 1, p[mask], forced[mask]
    for t in np.sort(np.unique(pp))[::-1]:
        flag = (pp >= t) | ff
        if np.sum(flag & yy) >= target * yy.sum():
            return float(np.sum(flag & yy) / max(1, flag.sum()))
    return 0.0


def escalation_head(
    z: Any, y: Any, forced: Any, fold: Any, langs: Any, guide: Any
) -> dict[str, Any]:
    """Choose lambda and the rule scale by precision at recall 0.97, calibrate, pick the point."""
    grid, oofs = {}, {}
    for lam in ESC_LAMBDAS:
        for c in ESC_SCALES:
            zc = z * scales(c, c)
            raw = np.zeros(len(y))
            for k in range(fold.max() + 1):
                fit, test = fold != k, fold == k
                w, b = fit_binary(zc[fit], y[fit], balanced(y[fit], np.ones(fit.sum())), lam)
                raw[test] = (zc[test] @ w + b)[:, 0]
            grid[(lam, c)] = _precision_at(raw, y, forced, guide, SELECT_RECALL)
            oofs[(lam, c)] = raw
    lam, c = max(grid, key=lambda k: grid[k])
    raw = oofs[(lam, c)]
    a, b0 = platt(raw, y)
    p = 1 / (1 + np.exp(-(a * raw + b0)))
    curve, point = recall_point(p, y, forced, langs, RECALL_TARGET)
    col = scales(c, c)
    w, b = fit_binary(z * col, y, balanced(y, np.ones(len(y))), lam)
    flag = (p >= point[0]) | forced
    per_lang = {
        g: precision_recall(list(y[langs == g] == 1), list(flag[langs == g])) for g in LANGS
    }
    return {
        "weights": np.round(w[:, 0] * col, 6).tolist(),
        "bias": round(float(b[0]), 6),
        "platt": [round(a, 6), round(b0, 6)],
        "lambda": lam,
        "rule_scale": c,
        "cv_precision_at_recall_0.97": {f"{k[0]}/{k[1]}": round(v, 4) for k, v in grid.items()},
        "recall_target": RECALL_TARGET,
        "recall_confidence": 0.95,
        "threshold": point[0],
        "cv_recall": point[1],
        "cv_precision": point[2],
        "cv_recall_floor": point[3],
        "cv_per_language": per_lang,
        "curve": curve,
    }
