"""Which review expert reads review prose better: the learned backend's general head or the
embeddings backend (the named baseline)? Measured on the project's own review-style rows.

The rows (``tests/data/reviews``, English and Dutch) are training rows of the general head, so
it is scored out of fold: refitted five times, each time without a fifth of them (the UCI and
VADER train halves always in the fit), and scored on that fifth. The embeddings backend never
trained on them. No public held-out half, no bol.com row and no test row is read.

Prints one JSON document per language: 3-class macro-F1 (the general head by its most probable
class, as the learned backend uses it, and by its own neutral band), and 2-class macro-F1 by
the sign of the polarity on the rows that take a side.

Run: ``.venv/bin/python -m benchmarks.sentiment_review_experts`` (about a minute; embeddings
are cached on disk).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "sentiment"


def general_out_of_fold(rows: list[tuple[str, str, str, str]]) -> tuple[Any, Any, Any]:
    """(labels by argmax, labels by the head's band, polarity) of the general head, out of
    fold over the project's own review rows (``source == "reviews"``)."""
    import numpy as np

    from benchmarks.sentiment_review_expert_choice import fit_head
    from sentiment.embeddings import Encoder, encode_cached
    from sentiment.fitting import folds
    from sentiment.learned_features import ENCODER_STYLE, cut, rules_view
    from sentiment.learned_general import general_inputs, probabilities
    from sentiment.rules import RulesAnalyzer
    from sentiment.train_embeddings import three_way

    rules = RulesAnalyzer()
    item = {"score": None, "question": None}
    vectors = [rules_view(rules, {**item, "text": t, "lang": g})[2] for t, g, _l, _s in rows]
    x = general_inputs(encode_cached(Encoder(ENCODER_STYLE), [cut(r[0]) for r in rows]), vectors)
    labels = np.asarray([r[2] for r in rows])
    source = np.asarray([r[3] for r in rows])
    own = source == "reviews"
    fold = np.full(len(rows), -1)
    fold[own] = folds(int(own.sum()), seed=2)
    names = np.asarray(["negative", "neutral", "positive"])
    by_argmax = np.empty(len(rows), dtype=object)
    by_band = np.empty(len(rows), dtype=object)
    polarity = np.zeros(len(rows))
    for k in range(5):
        fit, held = fold != k, fold == k
        head = fit_head(x[fit], labels[fit], source[fit], np.ones(int(fit.sum())))
        p = probabilities(head, x[held])
        by_argmax[held] = names[p.argmax(axis=1)]
        polar = 1 - p[:, 1]
        positive = np.where(polar > 0, p[:, 2] / np.maximum(polar, 1e-12), 0.5)
        by_band[held] = three_way(polar, positive, head["neutral_band"])
        polarity[held] = p[:, 2] - p[:, 0]
    return by_argmax[own], by_band[own], polarity[own]


def main() -> int:
    """Score both experts on the own review rows and print the figures as JSON."""
    import numpy as np

    from sentiment import get_analyzer
    from sentiment.dataset import review_rows
    from sentiment.metrics import macro_f1
    from sentiment.train_general import public_rows

    own = review_rows()
    if not own:
        print(json.dumps({"error": "no review rows in tests/data/reviews"}))
        return 1
    by_argmax, by_band, polarity = general_out_of_fold(public_rows(SHARED) + own)
    found = get_analyzer("embeddings").analyze_many([{"text": t, "lang": g} for t, g, *_ in own])
    base_labels = np.asarray([a.label for a in found])
    base_polarity = np.asarray([a.polarity for a in found])
    langs = np.asarray([r[1] for r in own])
    gold = np.asarray([r[2] for r in own])

    def f1(y: Any, pred: Any) -> float:
        return round(macro_f1(list(y), list(pred)), 4)

    def sign(values: Any) -> Any:
        return np.where(values >= 0, "positive", "negative")

    report: dict[str, Any] = {"public_train_halves_in_every_fit": bool(public_rows(SHARED))}
    for lang in ("en", "nl"):
        m = langs == lang
        polar = m & (gold != "neutral")
        report[lang] = {
            "rows": int(m.sum()),
            "three_class": {
                "general_head_argmax": f1(gold[m], by_argmax[m]),
                "general_head_band": f1(gold[m], by_band[m]),
                "baseline_embeddings_backend": f1(gold[m], base_labels[m]),
            },
            "two_class_by_sign": {
                "rows": int(polar.sum()),
                "general_head": f1(gold[polar], sign(polarity[polar])),
                "baseline_embeddings_backend": f1(gold[polar], sign(base_polarity[polar])),
            },
        }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
