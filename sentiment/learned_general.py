"""The learned backend's general sentiment head: the embeddings backend's recipe, one embedding.

The learned heads are fitted on check-in replies alone, where a score and the rules say much;
on text unlike a check-in reply (a product review, a tweet) they trail the embeddings backend,
whose head saw public review sentences. This head is that head again, over the embedding the
learned backend already computes (``"passage: "`` style, see :mod:`sentiment.learned_features`),
so it costs two dot products per reply, not a second model call:

- inputs: the embedding and four rule features read off the learned backend's rule vector
  (:func:`general_inputs`): polarity, negative and positive cue sums, a problem intent;
- two stages, as in :mod:`sentiment.embeddings`: P(takes a side) and P(positive | side);
- trained by :mod:`sentiment.train_general` on review prose only: the train halves of the UCI
  and VADER sets (:mod:`sentiment.splits`) and the project's own review-style rows in English
  and Dutch (``tests/data/reviews``); never on check-in replies, so its predictions on them are
  out of sample when :mod:`sentiment.train_learned` chooses its blend weight, and never on the
  held-out halves or bol.com, which stay out-of-domain checks.

:mod:`sentiment.learned` blends its probabilities into the sentiment head's, with a weight for
replies with a score and one for replies without, both chosen by cross-validation on the train
part of the check-in replies (:func:`blend`); for replies without a score the domain gate
(:mod:`sentiment.domain_gate`) may raise the weight where the text reads like a review.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.learned_features import names

INPUTS = ("rule_polarity", "cue_negative", "cue_positive")
NOT_PROBLEMS = ("intent_question", "intent_opt_out")


def _columns() -> tuple[list[int], list[int], int]:
    found = names()
    direct = [found.index(n) for n in INPUTS]
    problems = [j for j, n in enumerate(found) if n.startswith("intent_") and n not in NOT_PROBLEMS]
    return direct, problems, found.index("has_score")


def general_inputs(embeddings: Any, rule_vectors: Any) -> Any:
    """The general head's inputs: the embedding and four features of each rule vector."""
    rv = np.asarray(rule_vectors, dtype=np.float64).reshape(len(embeddings), -1)
    direct, problems, _score = _columns()
    problem = (rv[:, problems] > 0).any(axis=1, keepdims=True).astype(np.float64)
    return np.hstack([np.asarray(embeddings, dtype=np.float64), rv[:, direct], problem])


def has_score(rule_vectors: Any) -> Any:
    """True per reply where the rules saw an NPS/CSAT/CES score (the blend's two groups)."""
    rv = np.asarray(rule_vectors, dtype=np.float64)
    return rv.reshape(len(rv), -1)[:, _columns()[2]] > 0


def probabilities(head: dict[str, Any], inputs: Any) -> Any:
    """(negative, neutral, positive) probabilities of the two-stage head for each row."""
    z = (inputs - np.asarray(head["mean"])) / np.asarray(head["scale"])
    weights = np.stack([np.asarray(head[s]["weights"]) for s in ("polar", "direction")], axis=1)
    bias = np.asarray([head[s]["bias"] for s in ("polar", "direction")])
    stage = 1.0 / (1.0 + np.exp(-(z @ weights + bias)))
    polar, positive = stage[:, 0], stage[:, 1]
    return np.stack([polar * (1 - positive), 1 - polar, polar * positive], axis=1)


def blend(
    checkin: Any,
    general: Any,
    scored: Any,
    weights: tuple[float, float],
    likeness: Any = None,
    gate_weight: float = 0.0,
) -> Any:
    """Mix the check-in head's and the general head's probabilities per row.

    ``weights`` is (weight for replies with a score, weight for replies without one). For a
    reply without a score, the domain gate (:mod:`sentiment.domain_gate`) may raise its weight
    to ``gate_weight`` times ``likeness``, its P(review-like): text that reads like a review
    leans on the head fitted on reviews. A reply with a score is a check-in reply; the gate is
    not read for it.
    """
    beta = np.where(scored, weights[0], weights[1])
    if likeness is not None and gate_weight:
        gated = np.maximum(weights[1], gate_weight * np.asarray(likeness))
        beta = np.where(scored, beta, gated)
    beta = beta[:, None]
    return (1 - beta) * checkin + beta * general
