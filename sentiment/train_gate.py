"""Train the domain gate (:mod:`sentiment.domain_gate`) and choose how far it may move the blend.

Called by :mod:`sentiment.train_learned`. Rows: the check-in train replies (label 0, "a check-in
reply") and the rows the general head is fitted on (label 1, "review prose": the train halves
of the UCI and VADER sets and the project's own review-style rows in English and Dutch); no
held-out half, no bol.com row. The two classes weigh the same, and inside each class the two
languages weigh the same, so the language says nothing about the class (the public rows are all
English). Choices, by cross-validation:

- the gate's regularisation, by out-of-fold log-loss on its own task (both kinds of rows,
  weighted as in the fit);
- the gate's weight (:data:`GATE_WEIGHTS`), by the one-standard-error rule on the check-in
  replies' sentiment, with the gate's out-of-fold probabilities: the largest weight that costs
  check-in replies nothing measurable. The public rows never choose it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.domain_gate import LANGS, centred
from sentiment.fitting import fit_binary, folds

GATE_LAMBDAS = (0.003, 0.01, 0.03, 0.1)
GATE_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
"""How much of P(review-like) becomes the general head's weight (0: the gate is off)."""


def _centres(emb: Any, langs: Any, rows: Any) -> dict[str, Any]:
    return {g: emb[rows & (langs == g)].mean(axis=0) for g in LANGS}


def cell_weights(target: Any, langs: Any) -> Any:
    """Row weights giving every (class, language) cell present the same total weight."""
    w = np.zeros(len(target))
    cells = {(t, g) for t, g in zip(target.tolist(), langs.tolist(), strict=True)}
    for t, g in cells:
        mask = (target == t) & (langs == g)
        w[mask] = 1.0 / mask.sum()
    return w


def _fit(checkin: Any, c_langs: Any, review: Any, r_langs: Any, lam: float) -> dict[str, Any]:
    x = np.vstack([checkin, review])
    t = np.r_[np.zeros(len(checkin)), np.ones(len(review))]
    langs = np.r_[c_langs, r_langs]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    w, b = fit_binary((x - mean) / scale, t, cell_weights(t, langs), lam)
    return {"mean": mean, "scale": scale, "weights": w[:, 0], "bias": float(b[0])}


def _prob(fitted: dict[str, Any], x: Any) -> Any:
    z = (x - fitted["mean"]) / fitted["scale"]
    return 1.0 / (1.0 + np.exp(-(z @ fitted["weights"] + fitted["bias"])))


def train_gate(
    emb: Any, langs: Any, fold: Any, review: Any, review_langs: Any
) -> tuple[dict[str, Any], Any]:
    """The gate to store, and its out-of-fold P(review-like) on every check-in train row.

    ``emb``/``langs``/``fold``: the check-in train rows' embeddings, languages and folds;
    ``review``/``review_langs``: the review-prose rows' embeddings and languages.
    """
    emb, langs = np.asarray(emb), np.asarray(langs)
    review, review_langs = np.asarray(review), np.asarray(review_langs)
    rev_fold = folds(len(review), seed=1)
    losses: dict[float, float] = {}
    oofs: dict[float, Any] = {}
    eps = 1e-9
    for lam in GATE_LAMBDAS:
        oof, rev_oof = np.zeros(len(emb)), np.zeros(len(review))
        for k in range(int(fold.max()) + 1):
            fit, rfit = fold != k, rev_fold != k
            centres = _centres(emb, langs, fit)
            own = centred(emb, langs, centres)
            prose = centred(review, review_langs, centres)
            fitted = _fit(own[fit], langs[fit], prose[rfit], review_langs[rfit], lam)
            oof[fold == k] = _prob(fitted, own[fold == k])
            rev_oof[rev_fold == k] = _prob(fitted, prose[rev_fold == k])
        # weighted as in the fit: every (class, language) cell the same
        t = np.r_[np.zeros(len(emb)), np.ones(len(review))]
        p = np.clip(np.r_[oof, rev_oof], eps, 1 - eps)
        w = cell_weights(t, np.r_[langs, review_langs])
        losses[lam] = float(-np.sum(w * (t * np.log(p) + (1 - t) * np.log(1 - p))) / np.sum(w))
        oofs[lam] = oof
    lam = min(losses, key=lambda k: losses[k])
    centres = _centres(emb, langs, np.ones(len(emb), bool))
    fitted = _fit(
        centred(emb, langs, centres),
        langs,
        centred(review, review_langs, centres),
        review_langs,
        lam,
    )
    gate = {
        "trained_on": "check-in train replies against the general head's rows (the UCI and"
        " VADER train halves, the project's own review-style rows)",
        "rows": {
            "checkin": {g: int((langs == g).sum()) for g in LANGS},
            "review": {g: int((review_langs == g).sum()) for g in LANGS},
        },
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
    from sentiment.train_choices import f1_by_fold, one_se_weight

    labels = np.asarray(["negative", "neutral", "positive"])
    per_fold = {
        gamma: f1_by_fold(
            y,
            labels[blend(checkin, general, scored, weights, likeness, gamma).argmax(1)],
            fold,
            langs,
            guide,
        )
        for gamma in GATE_WEIGHTS
    }
    gamma, info = one_se_weight(per_fold)
    gated = guide & ~scored & (likeness >= 0.5)
    return {"weight": gamma, "cv": info, "guide_rows_gated": int(gated.sum())}
