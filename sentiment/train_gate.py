"""Train the domain gate (:mod:`sentiment.domain_gate`) and choose how far it may move the blend.

Called by :mod:`sentiment.train_learned`. Rows: the English check-in train replies (label 0,
"a check-in reply") and the train halves of the UCI and VADER sets (label 1, "review prose"),
the rows the general head is fitted on; no held-out half, no bol.com row, no Dutch row (so the
gate cannot learn the language: every review row is English). Choices, by cross-validation:

- the gate's regularisation, by out-of-fold log-loss on its own task (both kinds of rows,
  classes weighted equally);
- the gate's weight (:data:`GATE_WEIGHTS`), by the one-standard-error rule on the check-in
  replies' sentiment, with the gate's out-of-fold probabilities: the largest weight that costs
  check-in replies nothing measurable. The public rows never choose it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.domain_gate import LANGS, centred
from sentiment.fitting import balanced, fit_binary, folds

GATE_LAMBDAS = (0.003, 0.01, 0.03, 0.1)
GATE_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
"""How much of P(review-like) becomes the general head's weight (0: the gate is off)."""


def _centres(emb: Any, langs: Any, rows: Any) -> dict[str, Any]:
    return {g: emb[rows & (langs == g)].mean(axis=0) for g in LANGS}


def _fit(checkin: Any, public: Any, lam: float) -> dict[str, Any]:
    x = np.vstack([checkin, public])
    t = np.r_[np.zeros(len(checkin)), np.ones(len(public))]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    w, b = fit_binary((x - mean) / scale, t, balanced(t.astype(int), np.ones(len(t))), lam)
    return {"mean": mean, "scale": scale, "weights": w[:, 0], "bias": float(b[0])}


def _prob(fitted: dict[str, Any], x: Any) -> Any:
    z = (x - fitted["mean"]) / fitted["scale"]
    return 1.0 / (1.0 + np.exp(-(z @ fitted["weights"] + fitted["bias"])))


def train_gate(emb: Any, langs: Any, fold: Any, public: Any) -> tuple[dict[str, Any], Any]:
    """The gate to store, and its out-of-fold P(review-like) on every check-in train row.

    ``emb``/``langs``/``fold``: the check-in train rows' embeddings, languages and folds;
    ``public``: the embeddings of the public train-half rows.
    """
    emb, langs, public = np.asarray(emb), np.asarray(langs), np.asarray(public)
    pub_fold = folds(len(public), seed=1)
    english = langs == "en"
    losses: dict[float, float] = {}
    oofs: dict[float, Any] = {}
    for lam in GATE_LAMBDAS:
        oof, pub_oof = np.zeros(len(emb)), np.zeros(len(public))
        for k in range(int(fold.max()) + 1):
            fit = fold != k
            centres = _centres(emb, langs, fit)
            own = centred(emb, langs, centres)
            review = public - centres["en"]
            fitted = _fit(own[fit & english], review[pub_fold != k], lam)
            oof[fold == k] = _prob(fitted, own[fold == k])
            pub_oof[pub_fold == k] = _prob(fitted, review[pub_fold == k])
        eps = 1e-9
        # each class weighs the same, as in the fit
        losses[lam] = float(
            -0.5 * np.mean(np.log(1 - np.clip(oof[english], eps, 1 - eps)))
            - 0.5 * np.mean(np.log(np.clip(pub_oof, eps, 1)))
        )
        oofs[lam] = oof
    lam = min(losses, key=lambda k: losses[k])
    everyone = np.ones(len(emb), bool)
    centres = _centres(emb, langs, everyone)
    fitted = _fit(centred(emb, langs, centres)[english], public - centres["en"], lam)
    gate = {
        "trained_on": "English check-in train replies against the UCI and VADER train halves",
        "rows": {"checkin_en": int(english.sum()), "public": len(public)},
        "lambda": lam,
        "cv_log_loss": {str(k): round(v, 4) for k, v in losses.items()},
        "centres": {g: np.round(c, 6).tolist() for g, c in centres.items()},
        "mean": np.round(fitted["mean"], 6).tolist(),
        "scale": np.round(fitted["scale"], 6).tolist(),
        "weights": np.round(fitted["weights"], 6).tolist(),
        "bias": round(fitted["bias"], 6),
    }
    return gate, oofs[lam]


def choose_gate_weight(
    checkin: Any,
    general: Any,
    y: Any,
    fold: Any,
    langs: Any,
    guide: Any,
    scored: Any,
    weights: tuple[float, float],
    likeness: Any,
) -> dict[str, Any]:
    """The gate's weight: the largest whose check-in macro-F1 is within one SE of the best.

    ``likeness`` is the gate's out-of-fold P(review-like) per row; ``weights`` the general
    head's fixed weights (scored, unscored) chosen before.
    """
    from sentiment.learned_general import blend
    from sentiment.metrics import macro_f1
    from sentiment.train_choices import one_se_weight

    labels = np.asarray(["negative", "neutral", "positive"])
    per_fold = {}
    for gamma in GATE_WEIGHTS:
        pred = labels[blend(checkin, general, scored, weights, likeness, gamma).argmax(1)]
        per_fold[gamma] = [
            float(
                np.mean(
                    [
                        macro_f1(list(y[m]), list(pred[m]))
                        for m in ((fold == k) & guide & (langs == g) for g in LANGS)
                    ]
                )
            )
            for k in range(int(fold.max()) + 1)
        ]
    gamma, info = one_se_weight(per_fold)
    gated = guide & ~scored & (likeness >= 0.5)
    return {"weight": gamma, "cv": info, "guide_rows_gated": int(gated.sum())}
