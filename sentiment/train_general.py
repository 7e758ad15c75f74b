"""Train the learned backend's general sentiment head (:mod:`sentiment.learned_general`).

Called by :mod:`sentiment.train_learned`, which stores the result inside the learned head.
Rows: the "train" halves (:mod:`sentiment.splits`) of the UCI sentences and the VADER
snippets, exactly the public rows the embeddings backend's head is trained on, and the
project's own review-style rows in English and Dutch (``tests/data/reviews``), and nothing
else: no check-in reply (so the blend weight can be chosen on them out of sample), never a
held-out half and never bol.com (those remain the out-of-domain checks).
The recipe, regularisation and its cross-validation are :mod:`sentiment.train_embeddings`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sentiment.dataset import review_rows
from sentiment.embeddings import Encoder, encode_cached
from sentiment.learned_features import ENCODER_STYLE, cut, rules_view
from sentiment.learned_general import general_inputs
from sentiment.rules import RulesAnalyzer
from sentiment.train_embeddings import TRAINABLE, fit_two_stage, training_rows


def public_rows(shared: Path) -> list[tuple[str, str, str, str]]:
    """(text, lang, label, source) of the UCI and VADER train halves; [] if the files are away."""
    if not all((shared / name).exists() for name in TRAINABLE):
        return []
    return [r for r in training_rows(shared, None) if r[3] != "own"]


def review_prose_rows(shared: Path) -> list[tuple[str, str, str, str]]:
    """The rows that stand for review prose: the public train halves (English) and the
    project's own review-style rows (English and Dutch, :func:`sentiment.dataset.review_rows`).
    """
    return public_rows(shared) + review_rows()


def train_general(
    shared: Path, rules: RulesAnalyzer, style: str = ENCODER_STYLE
) -> dict[str, Any] | None:
    """Fit the two-stage head; None when there is no review prose to train on."""
    rows = review_prose_rows(shared)
    if not rows:
        return None
    vectors = [
        rules_view(rules, {"text": t, "lang": g, "score": None, "question": None})[2]
        for t, g, _l, _s in rows
    ]
    emb = encode_cached(Encoder(style), [cut(r[0]) for r in rows])
    x = general_inputs(emb, vectors)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    labels = np.asarray([r[2] for r in rows])
    source = np.asarray([r[3] for r in rows])
    base = np.ones(len(rows))
    chosen, (wp, bp), (wd, bd) = fit_two_stage(z, labels, source, base)
    return {
        "trained_on": "train halves of the UCI sentences and VADER snippets (sentiment.splits)"
        " and the project's own review-style rows (tests/data/reviews)",
        "train_rows": len(rows),
        **chosen,
        "mean": np.round(mean, 6).tolist(),
        "scale": np.round(scale, 6).tolist(),
        "polar": {"weights": np.round(wp, 6).tolist(), "bias": round(bp, 6)},
        "direction": {"weights": np.round(wd, 6).tolist(), "bias": round(bd, 6)},
    }


BETAS = tuple(round(0.1 * i, 1) for i in range(11))
"""The general head's blend weights tried, per group (replies with and without a score)."""


def choose_blend(
    checkin: Any, general: Any, y: Any, fold: Any, langs: Any, guide: Any, scored: Any
) -> dict[str, Any]:
    """The general head's weight for replies with a score and for replies without one.

    Out-of-fold probabilities of the check-in head (``checkin``) against the general head's
    (never trained on a check-in reply); per group, the largest weight whose mean macro-F1
    over folds (each fold the mean over languages, on the label guide's rows of that group)
    is within one standard error of the best (:func:`sentiment.train_choices.one_se_weight`).
    """
    from sentiment.train_choices import f1_by_fold, one_se_weight

    labels = np.asarray(["negative", "neutral", "positive"])
    out: dict[str, Any] = {}
    for group, mask in (("scored", scored), ("unscored", ~scored)):
        per_fold = {
            beta: f1_by_fold(
                y, labels[((1 - beta) * checkin + beta * general).argmax(1)], fold, langs,
                guide, mask,
            )
            for beta in BETAS
        }  # fmt: skip
        beta, info = one_se_weight(per_fold)
        out[group] = {"weight": beta, "cv": info, "rows": int((guide & mask).sum())}
    return out
