"""How sure is a difference in macro-F1 between two systems on the same rows? A paired bootstrap.

Reporting only: the rows are drawn with replacement, the same draw for both systems, and the
difference of their macro-F1 recomputed each time. It tells a gap of 0.004 on 786 sentences
(noise) apart from one the data can carry; nothing is chosen from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DRAWS = 2000


def _macro_f1(gold: Any, pred: Any, classes: int, draws: Any) -> Any:
    """Macro-F1 per draw (rows of ``draws`` index the rows), over the classes in ``gold``."""
    import numpy as np

    g, p = gold[draws], pred[draws]
    scores = []
    for c in range(classes):
        tp = ((g == c) & (p == c)).sum(axis=1)
        fp = ((g != c) & (p == c)).sum(axis=1)
        fn = ((g == c) & (p != c)).sum(axis=1)
        scores.append(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0))
    return np.mean(scores, axis=0)


def paired_difference(
    gold: Sequence[str],
    first: Sequence[str],
    second: Sequence[str],
    draws: int = DRAWS,
    seed: int = 0,
) -> dict[str, Any]:
    """Macro-F1 of ``first`` minus ``second`` on these rows, its 95 % interval over paired
    bootstrap draws, and the share of draws in which ``first`` is at least as good."""
    import numpy as np

    classes = sorted(set(gold))
    code = {c: i for i, c in enumerate(classes)}
    g = np.asarray([code[x] for x in gold])
    a = np.asarray([code.get(x, -1) for x in first])
    b = np.asarray([code.get(x, -1) for x in second])
    whole = np.arange(len(g))[None, :]
    diff = float((_macro_f1(g, a, len(classes), whole) - _macro_f1(g, b, len(classes), whole))[0])
    rng = np.random.default_rng(seed)
    sample = rng.integers(0, len(g), size=(draws, len(g)))
    spread = _macro_f1(g, a, len(classes), sample) - _macro_f1(g, b, len(classes), sample)
    low, high = np.quantile(spread, [0.025, 0.975])
    return {
        "difference": round(diff, 4),
        "interval_95": [round(float(low), 4), round(float(high), 4)],
        "share_at_least_as_good": round(float((spread >= 0).mean()), 3),
        "draws": draws,
    }
