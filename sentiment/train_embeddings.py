"""Train the embeddings backend's head; writes ``sentiment/data/embeddings_head.json``.

Run: ``python -m sentiment.train_embeddings [--shared ../shared/data/sentiment]``.
Training rows: the "train" part (see :mod:`sentiment.splits`) of the UCI and VADER-snippet
sets (their terms allow it) and of our own check-in replies (tests/data). The bol.com set
is never used for training (its terms say personal use only). The held-out parts are what
``benchmarks/sentiment_eval.py`` reports on.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from sentiment.embeddings import CLASSES, HEAD_FILE, Encoder
from sentiment.rules import RulesAnalyzer
from sentiment.splits import split_of

ROOT = Path(__file__).resolve().parent.parent
TRAINABLE = ("en_uci_amazon_yelp_sentences.csv", "en_vader_amazon_snippets.csv")
OWN = ("checkin_replies_en.csv", "checkin_replies_nl.csv")


def training_rows(shared: Path, own: Path) -> list[tuple[str, str, str, float]]:
    """(text, lang, label, weight) for every training row; our own replies weigh more."""
    rows = []
    for name in TRAINABLE:
        with (shared / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if split_of(r["text"]) == "train":
                    rows.append((r["text"], r["language"], r["label"], 1.0))
    for name in OWN:
        with (own / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if split_of(r["text"]) == "train":
                    rows.append((r["text"], r["lang"], r["sentiment"], 4.0))
    return rows


def train(x, y, w, l2: float = 1e-3, steps: int = 600, lr: float = 0.5):
    """Weighted softmax regression by full-batch gradient descent (numpy only)."""
    import numpy as np

    _n, d = x.shape
    k = len(CLASSES)
    weights = np.zeros((k, d), dtype=np.float64)
    bias = np.zeros(k, dtype=np.float64)
    onehot = np.eye(k)[y]
    w = w / w.sum()
    for _ in range(steps):
        logits = x @ weights.T + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * w[:, None]
        weights -= lr * (g.T @ x + l2 * weights)
        bias -= lr * g.sum(axis=0)
    return weights, bias


def main(argv: list[str] | None = None) -> int:
    """Embed the training rows, fit the head and write it as JSON."""
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data/sentiment")
    parser.add_argument("--own", type=Path, default=ROOT / "tests/data")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / HEAD_FILE)
    args = parser.parse_args(argv)
    rows = training_rows(args.shared, args.own)
    rules = RulesAnalyzer()
    rule_feats = np.asarray([rules.features(t, g)[2] for t, g, _l, _w in rows])
    emb = np.vstack([Encoder().encode([r[0] for r in rows[i : i + 64]])
                     for i in range(0, len(rows), 64)])
    rule_scale = 2.0
    x = np.hstack([emb, rule_feats * rule_scale])
    y = np.asarray([CLASSES.index(r[2]) for r in rows])
    w = np.asarray([r[3] for r in rows])
    weights, bias = train(x, y, w)
    acc = float(((x @ weights.T + bias).argmax(axis=1) == y).mean())
    head = {
        "classes": list(CLASSES),
        "features": "e5-small query embedding (384) + rule features (polarity, neg, pos, problem)",
        "rule_scale": rule_scale,
        "trained_on": "train split of UCI sentences, VADER snippets, tests/data check-in replies",
        "train_rows": len(rows),
        "train_accuracy": round(acc, 4),
        "weights": np.round(weights, 5).tolist(),
        "bias": np.round(bias, 5).tolist(),
    }
    args.out.write_text(json.dumps(head), encoding="utf-8")
    print(json.dumps({k: v for k, v in head.items() if k not in ("weights", "bias")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
