"""Should review-like replies also hear the embeddings backend's head? Chosen on train rows only.

Issue 18's last criterion asks the learned backend to be at least as good as the embeddings
backend on review prose too. The learned backend's review expert is its general head
(:mod:`sentiment.learned_general`); the embeddings backend's head is a second, differently
trained expert over a differently prompted embedding. This benchmark asks, on development rows
only, whether a mixture ``(1 - a) * general + a * embeddings_head`` reads review prose better
than the general head alone, and so which ``a`` the learned backend should use.

The rule was written down and committed before this script was first run:

- **Rows** (review prose the heads may train on; no held-out half, no bol.com row and no
  check-in test row is read): the train halves of the UCI sentences (2-class) and the VADER
  snippets (3-class), and the project's own review-style rows in English and Dutch (3-class).
- **Folds**: five. The UCI and VADER rows by a seeded permutation; the own review rows grouped
  by ``kind`` (four kinds of product per fold), so each fold's reviews are about things the fit
  never saw, the nearest this data comes to a set of reviews from elsewhere.
- **Experts**, both refitted in every fold on the other four, each by its own recipe:
  the general head (:func:`sentiment.train_general.train_general`'s rows and recipe, the
  learned backend's ``"passage: "`` embedding) and the embeddings backend's head
  (:mod:`sentiment.train_embeddings`'s rows and recipe: the UCI and VADER rows of the other
  folds and the older check-in replies at weight 2, never a review row, its own
  ``"passage: query: "`` embedding).
- **Scores**, as the learned backend decides (most probable class; 2-class sets by the sign of
  P(positive) - P(negative)): UCI by sign, VADER 3-class, own reviews 3-class per language.
  The summary is the mean of these four macro-F1s, per fold.
- **Choice**: ``a`` in 0, 0.25, 0.5, 0.75, 1; the smallest ``a`` whose mean summary over the
  folds is within one standard error of the best (:func:`sentiment.train_choices.one_se_weight`
  picks the largest weight, so it is given ``1 - a``): any ``a`` above 0 costs a second
  encoder pass on review-like replies, so it must earn it.

Run: ``.venv/bin/python -m benchmarks.sentiment_review_expert_choice`` (a few minutes the first
time: both embeddings of about 3,000 rows; cached on disk after that). Prints one JSON document:
the choice and, for reporting only, each expert's 3-class figures by its own neutral band (as
the embeddings backend labels a reply).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
FOLDS = 5
PARTS = ("uci", "vader", "reviews_en", "reviews_nl")


def dev_rows() -> list[dict[str, str]]:
    """The development rows: UCI/VADER train halves and the own review rows, with a group."""
    import csv

    from sentiment.dataset import DATA, LANGS
    from sentiment.train_general import public_rows

    rows = [
        {"text": t, "lang": g, "label": lab, "part": s, "group": ""}
        for t, g, lab, s in public_rows(SHARED)
    ]
    for lang in LANGS:
        path = DATA / "reviews" / f"{lang}_reviews_train.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows += [
                {
                    "text": r["text"],
                    "lang": r["lang"],
                    "label": r["sentiment"],
                    "part": f"reviews_{lang}",
                    "group": r["kind"],
                }
                for r in csv.DictReader(fh)
            ]
    return rows


def assign_folds(rows: list[dict[str, str]]) -> Any:
    """Fold per row: public rows by a seeded permutation, own reviews by kind of product."""
    import numpy as np

    fold = np.zeros(len(rows), dtype=int)
    public = [i for i, r in enumerate(rows) if not r["group"]]
    fold[public] = np.random.default_rng(0).permutation(len(public)) % FOLDS
    kinds = sorted({r["group"] for r in rows if r["group"]})
    order = {k: j % FOLDS for j, k in enumerate(np.random.default_rng(1).permutation(kinds))}
    for i, r in enumerate(rows):
        if r["group"]:
            fold[i] = order[r["group"]]
    return fold


def fit_head(x: Any, labels: Any, source: Any, base: Any) -> dict[str, Any]:
    """A two-stage head (:func:`sentiment.train_embeddings.fit_two_stage`) on raw inputs."""
    from sentiment.train_embeddings import fit_two_stage

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    chosen, (wp, bp), (wd, bd) = fit_two_stage((x - mean) / scale, labels, source, base)
    return {
        "mean": mean,
        "scale": scale,
        "polar": {"weights": wp, "bias": bp},
        "direction": {"weights": wd, "bias": bd},
        "neutral_band": chosen["neutral_band"],
    }


def band_labels(p: Any, band: float) -> Any:
    """3-class labels by a head's own neutral band on P(positive) - P(negative), as the
    embeddings backend decides (reporting only: the learned backend takes the most probable)."""
    import numpy as np

    polarity = p[:, 2] - p[:, 0]
    return np.where(
        np.abs(polarity) < band, "neutral", np.where(polarity > 0, "positive", "negative")
    )


def out_of_fold(rows: list[dict[str, str]], fold: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Out-of-fold (negative, neutral, positive) probabilities of both experts, and each
    expert's labels by its own neutral band (reporting only)."""
    import numpy as np

    from sentiment.embeddings import Encoder, encode_cached
    from sentiment.learned_features import ENCODER_STYLE, cut, rules_view
    from sentiment.learned_general import general_inputs, probabilities
    from sentiment.rules import RulesAnalyzer
    from sentiment.train_embeddings import OWN, OWN_WEIGHT, training_rows

    rules = RulesAnalyzer()
    item = {"score": None, "question": None}
    texts = [r["text"] for r in rows]
    labels = np.asarray([r["label"] for r in rows])
    # the general head's source names: "uci", "vader", "reviews" (as train_general gives them)
    g_source = np.asarray([r["part"].split("_")[0] for r in rows])
    vectors = [rules_view(rules, {**item, "text": r["text"], "lang": r["lang"]})[2] for r in rows]
    g_x = general_inputs(encode_cached(Encoder(ENCODER_STYLE), [cut(t) for t in texts]), vectors)

    older = [r for r in training_rows(SHARED, ROOT / "tests" / "data") if r[3] == "own"]
    assert OWN and older, "the older check-in replies are missing"
    legacy = Encoder()

    def e_inputs(items: list[tuple[str, str]]) -> Any:
        feats = np.asarray([rules.features(t, g)[2] for t, g in items])
        return np.hstack([encode_cached(legacy, [t for t, _g in items]), feats])

    e_x = e_inputs([(r["text"], r["lang"]) for r in rows])
    o_x = e_inputs([(t, g) for t, g, _l, _s in older])
    o_labels = np.asarray([r[2] for r in older])
    public = g_source != "reviews"

    general = np.zeros((len(rows), 3))
    embeddings = np.zeros((len(rows), 3))
    by_band = {name: np.empty(len(rows), dtype=object) for name in ("general", "embeddings")}
    for k in range(FOLDS):
        fit, held = fold != k, fold == k
        g_head = fit_head(g_x[fit], labels[fit], g_source[fit], np.ones(int(fit.sum())))
        general[held] = probabilities(g_head, g_x[held])
        by_band["general"][held] = band_labels(general[held], g_head["neutral_band"])
        e_fit = fit & public
        e_head = fit_head(
            np.vstack([e_x[e_fit], o_x]),
            np.concatenate([labels[e_fit], o_labels]),
            np.concatenate([g_source[e_fit], np.full(len(older), "own")]),
            np.concatenate([np.ones(int(e_fit.sum())), np.full(len(older), OWN_WEIGHT)]),
        )
        embeddings[held] = probabilities(e_head, e_x[held])
        by_band["embeddings"][held] = band_labels(embeddings[held], e_head["neutral_band"])
    return general, embeddings, by_band


def scores(rows: list[dict[str, str]], fold: Any, p: Any) -> dict[str, Any]:
    """Macro-F1 per part and fold, as the learned backend decides, and the summary per fold."""
    import numpy as np

    from sentiment.metrics import macro_f1

    names = np.asarray(["negative", "neutral", "positive"])
    gold = np.asarray([r["label"] for r in rows])
    part = np.asarray([r["part"] for r in rows])
    argmax = names[p.argmax(axis=1)]
    sign = np.where(p[:, 2] >= p[:, 0], "positive", "negative")
    per_fold: dict[str, list[float]] = {name: [] for name in PARTS}
    for k in range(FOLDS):
        for name in PARTS:
            m = (part == name) & (fold == k)
            pred = sign if name == "uci" else argmax
            per_fold[name].append(macro_f1(list(gold[m]), list(pred[m])))
    whole = {
        name: round(
            macro_f1(
                list(gold[part == name]),
                list((sign if name == "uci" else argmax)[part == name]),
            ),
            4,
        )
        for name in PARTS
    }
    summary = [float(np.mean([per_fold[n][k] for n in PARTS])) for k in range(FOLDS)]
    return {"pooled": whole, "summary_by_fold": summary}


def main() -> int:
    """Score the mixtures out of fold, apply the committed rule, print JSON."""
    import numpy as np

    from sentiment.train_choices import one_se_weight

    rows = dev_rows()
    fold = assign_folds(rows)
    general, embeddings, by_band = out_of_fold(rows, fold)
    report: dict[str, Any] = {
        "rows": {n: sum(r["part"] == n for r in rows) for n in PARTS},
        "mixtures": {},
    }
    per_fold = {}
    for a in ALPHAS:
        found = scores(rows, fold, (1 - a) * general + a * embeddings)
        per_fold[round(1 - a, 2)] = found["summary_by_fold"]
        report["mixtures"][str(a)] = {
            **found["pooled"],
            "summary_mean": round(float(np.mean(found["summary_by_fold"])), 4),
        }
    from sentiment.metrics import macro_f1

    gold = np.asarray([r["label"] for r in rows])
    part = np.asarray([r["part"] for r in rows])
    report["each_by_its_own_band_3class"] = {
        expert: {
            name: round(macro_f1(list(gold[part == name]), list(labels[part == name])), 4)
            for name in PARTS
            if name != "uci"
        }
        for expert, labels in by_band.items()
    }  # reporting only: how the embeddings backend itself labels neutral
    keep, info = one_se_weight(per_fold)
    report["chosen_a"] = round(1 - keep, 2)
    report["choice"] = info
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
