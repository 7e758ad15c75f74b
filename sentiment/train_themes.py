"""The learned backend's theme heads: one logistic regression per theme, chosen by CV."""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.dataset import THEMES, Row
from sentiment.fitting import fit_binary

LAMBDAS = (0.01, 0.03, 0.1, 0.3, 1.0)


def theme_heads(z: Any, rule_hits: Any, rows: list[Row], fold: Any) -> dict[str, Any]:
    """One head per theme on the rows with theme labels.

    Per theme, cross-validation picks the regularisation, the cut-off and whether the model's
    verdict stands alone or is joined by the rules' cue hit ("or"), whichever gives the best F1.
    """
    mask = np.asarray([r.themes is not None for r in rows])
    if mask.sum() < 50:
        return {}
    zt, ft, hits = z[mask], fold[mask], rule_hits[mask] > 0
    y = np.asarray([[t in (r.themes or ()) for t in THEMES] for r in rows if r.themes is not None])
    best: dict[str, Any] = {}
    for lam in LAMBDAS:
        p = np.zeros(y.shape)
        for k in range(ft.max() + 1):
            fit, test = ft != k, ft == k
            w, b = fit_binary(zt[fit], y[fit], np.ones(fit.sum()), lam)
            p[test] = 1 / (1 + np.exp(-(zt[test] @ w + b)))
        for j, theme in enumerate(THEMES):
            for cutoff in np.round(np.arange(0.1, 0.95, 0.05), 2):
                for mode in ("model", "model_or_rules"):
                    flag = p[:, j] >= cutoff
                    if mode == "model_or_rules":
                        flag = flag | hits[:, j]
                    gold = y[:, j]
                    f1 = 2 * np.sum(flag & gold) / max(1, flag.sum() + gold.sum())
                    if f1 > best.get(theme, (-1.0,))[0]:
                        best[theme] = (float(f1), lam, float(cutoff), mode)
    out = {}
    for j, theme in enumerate(THEMES):
        f1, lam, cutoff, mode = best[theme]
        gold = y[:, j]
        rules_f1 = 2 * np.sum(hits[:, j] & gold) / max(1, hits[:, j].sum() + gold.sum())
        w, b = fit_binary(zt, y[:, j], np.ones(len(zt)), lam)
        out[theme] = {
            "weights": np.round(w[:, 0], 6).tolist(),
            "bias": round(float(b[0]), 6),
            "threshold": cutoff,
            "mode": mode,
            "lambda": lam,
            "cv_f1": round(f1, 4),
            "rules_f1": round(float(rules_f1), 4),
            "train_rows": int(gold.sum()),
        }
    return out
