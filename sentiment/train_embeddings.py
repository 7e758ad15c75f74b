"""Train the embeddings backend's head; writes ``sentiment/data/embeddings_head.json``.

Run: ``python -m sentiment.train_embeddings [--shared ../shared/data/sentiment]``.
Training rows: the "train" part (see :mod:`sentiment.splits`) of the UCI and VADER-snippet
sets (their terms allow it) and of our own check-in replies (tests/data). The bol.com set
is never used for training, tuning or choosing anything (its terms say personal use only).
The held-out parts are what ``benchmarks/sentiment_eval.py`` reports on.

The head has two stages over the standardised features (e5 embedding + rule features):

- ``polar``: is the reply neutral or does it take a side? (VADER snippets and our replies,
  the only sets with a neutral class);
- ``direction``: positive or negative, given that it takes a side (every polar row).

Both are class-weighted L2 logistic regressions fitted by Newton's method (numpy only); their
regularisation and the neutral band on ``polarity = P(polar) * (2 P(positive|polar) - 1)`` are
chosen by 5-fold cross-validation on the training rows.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from sentiment.embeddings import CLASSES, HEAD_FILE, Encoder, encode_cached
from sentiment.rules import RulesAnalyzer
from sentiment.splits import split_of

ROOT = Path(__file__).resolve().parent.parent
TRAINABLE = ("en_uci_amazon_yelp_sentences.csv", "en_vader_amazon_snippets.csv")
OWN = ("checkin_replies_en.csv", "checkin_replies_nl.csv")
OWN_WEIGHT = 2.0
LAMBDAS = (0.03, 0.1, 0.3, 1.0, 3.0)
BANDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(15))
FOLDS = 5


def training_rows(shared: Path, own: Path | None) -> list[tuple[str, str, str, str]]:
    """(text, lang, label, source) for every training row (no own replies if ``own`` is None)."""
    rows = []
    for name in TRAINABLE:
        with (shared / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if split_of(r["text"]) == "train":
                    rows.append((r["text"], r["language"], r["label"], name.split("_")[1]))
    for name in OWN if own is not None else ():
        with (own / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if split_of(r["text"]) == "train":
                    rows.append((r["text"], r["lang"], r["sentiment"], "own"))
    return rows


def fit_logistic(x, y, weights, lam: float, iters: int = 40):
    """Weighted L2-regularised binary logistic regression (Newton's method); (w, b)."""
    import numpy as np

    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    sw = weights / weights.sum()
    reg = np.full(d + 1, lam)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ beta)))
        grad = xb.T @ (sw * (p - y)) + reg * beta
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-7:
            break
    return beta[:-1], float(beta[-1])


def sigmoid(z):
    """The logistic function."""
    import numpy as np

    return 1.0 / (1.0 + np.exp(-z))


def balanced(y, base):
    """Sample weights that give both classes the same total weight."""
    w = base.astype(float).copy()
    for c in (0.0, 1.0):
        mask = y == c
        if mask.any():
            w[mask] *= base.sum() / (2 * base[mask].sum())
    return w


def macro_f1(gold, pred) -> float:
    """Macro-F1 over the classes present in ``gold`` (numpy arrays of labels)."""
    import numpy as np

    scores = []
    for c in np.unique(gold):
        tp = np.sum((gold == c) & (pred == c))
        fp = np.sum((gold != c) & (pred == c))
        fn = np.sum((gold == c) & (pred != c))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(scores))


def three_way(p_polar, p_pos, band: float):
    """Labels from the two stages: neutral inside the band, else by direction."""
    import numpy as np

    polarity = p_polar * (2 * p_pos - 1)
    return np.where(
        np.abs(polarity) < band, "neutral", np.where(polarity >= 0, "positive", "negative")
    )


def out_of_fold(z, y, base, mask, lam: float, fold):
    """Out-of-fold probabilities of a stage trained on the rows in ``mask``."""
    import numpy as np

    out = np.zeros(len(y))
    for k in range(FOLDS):
        fit_rows = mask & (fold != k)
        w, b = fit_logistic(z[fit_rows], y[fit_rows], balanced(y[fit_rows], base[fit_rows]), lam)
        out[fold == k] = sigmoid(z[fold == k] @ w + b)
    return out


def select(z, labels, source, base) -> dict[str, Any]:
    """Choose both stages' regularisation and the neutral band by cross-validation."""
    import numpy as np

    fold = np.random.default_rng(0).permutation(len(labels)) % FOLDS
    polar_y = (labels != "neutral").astype(float)
    pos_y = (labels == "positive").astype(float)
    polar_rows = labels != "neutral"
    has_neutral = source != "uci"
    cv_dir = {}
    pos_oof = {}
    for lam in LAMBDAS:
        p = out_of_fold(z, pos_y, base, polar_rows, lam, fold)
        pos_oof[lam] = p
        right = (p >= 0.5) == (pos_y == 1)
        cv_dir[lam] = float(np.average(right[polar_rows], weights=base[polar_rows]))
    lam_dir = max(LAMBDAS, key=lambda lam: cv_dir[lam])
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    cv_three = {}
    for lam in LAMBDAS:
        p = out_of_fold(z, polar_y, base, has_neutral, lam, fold)
        for band in BANDS:
            pred = three_way(p, pos_oof[lam_dir], band)
            f1 = np.mean(
                [
                    macro_f1(labels[source == s], pred[source == s])
                    for s in ("vader", "own", "reviews")
                    if (source == s).any()
                ]
            )
            cv_three[(lam, band)] = float(f1)
            if f1 > best[0]:
                best = (float(f1), lam, band)
    return {
        "lambda_direction": lam_dir,
        "cv_direction_accuracy": round(cv_dir[lam_dir], 4),
        "lambda_polar": best[1],
        "neutral_band": best[2],
        "cv_macro_f1_3class": round(best[0], 4),
    }


def fit_two_stage(z, labels, source, base) -> tuple[dict[str, Any], Any, Any]:
    """The two-stage head on standardised inputs ``z``: its settings chosen by CV
    (:func:`select`), then "any sentiment?" fitted on the rows that can be neutral (not UCI's)
    and "positive?" on the polar rows. Returns (chosen, (w, b) polar, (w, b) direction)."""
    chosen = select(z, labels, source, base)
    polar_y = (labels != "neutral").astype(float)
    pos_y = (labels == "positive").astype(float)
    has_neutral = source != "uci"
    polar_rows = labels != "neutral"
    polar = fit_logistic(
        z[has_neutral],
        polar_y[has_neutral],
        balanced(polar_y[has_neutral], base[has_neutral]),
        chosen["lambda_polar"],
    )
    direction = fit_logistic(
        z[polar_rows],
        pos_y[polar_rows],
        balanced(pos_y[polar_rows], base[polar_rows]),
        chosen["lambda_direction"],
    )
    return chosen, polar, direction


def main(argv: list[str] | None = None) -> int:
    """Embed the training rows, choose and fit the head and write it as JSON."""
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data/sentiment")
    parser.add_argument("--own", type=Path, default=ROOT / "tests/data")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / HEAD_FILE)
    args = parser.parse_args(argv)
    rows = training_rows(args.shared, args.own)
    rules = RulesAnalyzer()
    rule_feats = np.asarray([rules.features(t, g)[2] for t, g, _l, _s in rows])
    emb = encode_cached(Encoder(), [r[0] for r in rows])
    x = np.hstack([emb, rule_feats])
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    labels = np.asarray([r[2] for r in rows])
    source = np.asarray([r[3] for r in rows])
    base = np.where(source == "own", OWN_WEIGHT, 1.0)
    chosen, (wp, bp), (wd, bd) = fit_two_stage(z, labels, source, base)
    pred = three_way(sigmoid(z @ wp + bp), sigmoid(z @ wd + bd), chosen["neutral_band"])
    head = {
        "version": 2,
        "classes": list(CLASSES),
        "features": "e5-small query embedding (384) + rule features (polarity, neg, pos, problem)",
        "trained_on": "train split of UCI sentences, VADER snippets, tests/data check-in replies",
        "train_rows": len(rows),
        "train_accuracy": round(float(np.mean(pred == labels)), 4),
        **chosen,
        "mean": np.round(mean, 6).tolist(),
        "scale": np.round(scale, 6).tolist(),
        "polar": {"weights": np.round(wp, 6).tolist(), "bias": round(bp, 6)},
        "direction": {"weights": np.round(wd, 6).tolist(), "bias": round(bd, 6)},
    }
    args.out.write_text(json.dumps(head), encoding="utf-8")
    print(
        json.dumps(
            {k: v for k, v in head.items() if k not in ("mean", "scale", "polar", "direction")}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
