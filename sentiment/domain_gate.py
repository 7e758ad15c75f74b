"""Does this text read like a check-in reply? The gate between the learned backend's two heads.

The learned backend's check-in head is much better than its general head on check-in replies
and much worse on text unlike them (review sentences, tweets, long book reviews), where the
general head, fitted on review prose, is at home. One fixed blend weight has to
choose between the two kinds of text; the gate lets the text choose:

- a logistic regression over the reply's embedding gives P(review-like): trained by
  :mod:`sentiment.train_gate` on check-in train replies (0) against the rows the general head
  is fitted on (1): the train halves of the UCI and VADER sets and the project's own
  review-style rows in English and Dutch;
- the embedding is first centred on its language's mean check-in reply, and inside each class
  the two languages weigh the same in the fit, so the gate asks "how does this differ from a
  check-in reply in its own language" and the language itself says nothing;
- it is read only for replies without an NPS/CSAT/CES score: a reply that comes with a score
  is a check-in reply whatever its words, and keeps the check-in head's blend.

:func:`sentiment.learned_general.blend` turns P(review-like) into the general head's weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LANGS = ("en", "nl")


def centred(embeddings: Any, langs: Sequence[str], centres: dict[str, Any]) -> Any:
    """Each embedding minus its language's mean check-in reply (English where unknown)."""
    emb = np.asarray(embeddings, dtype=np.float64)
    means = np.stack([np.asarray(centres.get(g, centres["en"])) for g in langs])
    return emb - means.reshape(len(emb), -1)


def review_likeness(gate: dict[str, Any], embeddings: Any, langs: Sequence[str]) -> Any:
    """P(the text reads like review prose rather than a check-in reply), one per row."""
    z = (centred(embeddings, langs, gate["centres"]) - gate["mean"]) / gate["scale"]
    return 1.0 / (1.0 + np.exp(-(z @ gate["weights"] + gate["bias"])))


def prepared(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored gate as numpy arrays (None stays None: a head trained without a gate)."""
    if not raw:
        return None
    return {
        "centres": {g: np.asarray(v) for g, v in raw["centres"].items()},
        "mean": np.asarray(raw["mean"]),
        "scale": np.asarray(raw["scale"]),
        "weights": np.asarray(raw["weights"]),
        "bias": float(raw["bias"]),
    }
