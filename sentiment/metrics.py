"""Figures shared by the training script and the benchmark: macro-F1, precision/recall."""

from __future__ import annotations

from collections.abc import Sequence


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Macro-averaged F1 over the classes present in ``gold``."""
    scores = []
    for c in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c == p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == c != g)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == c != p)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def precision_recall(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    """Precision, recall and counts of a yes/no decision."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    return {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "positives": tp + fn,
        "flagged": tp + fp,
    }


def theme_scores(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], themes: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Precision and recall per theme (rows are sets of themes)."""
    return {t: precision_recall([t in g for g in gold], [t in p for p in pred]) for t in themes}
