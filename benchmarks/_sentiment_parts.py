"""Where the learned backend's figure on a public set comes from: the gate and each head alone.

Reporting only (nothing is chosen from it): for each public set, how often the domain gate
finds the text review-like, and macro-F1 of the check-in head alone (no general head), of the
general head alone, and of the backend as shipped. It tells a gate that does not fire apart
from a head that does not know the text.
"""

from __future__ import annotations

from typing import Any


def learned_parts(learned: Any, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Gate and per-head figures of the learned backend on (text, lang, label) rows."""
    import numpy as np

    from sentiment.domain_gate import review_likeness
    from sentiment.learned_features import cut, rules_view
    from sentiment.learned_general import general_inputs, probabilities
    from sentiment.metrics import macro_f1

    head = learned.head()
    item = {"score": None, "question": None}
    views = [rules_view(learned.rules, {**item, "text": t, "lang": g}) for t, g, _l in rows]
    emb = learned.encoder.encode([cut(t) for t, _g, _l in rows])
    vectors, langs = [v[2] for v in views], [v[1].lang for v in views]
    labels = [r[2] for r in rows]
    names = np.asarray(["negative", "neutral", "positive"])

    def f1(p: Any) -> float:
        if len(set(labels)) == 2:  # as the benchmark scores 2-class sets: by the sign
            found = np.where(p[:, 2] >= p[:, 0], "positive", "negative")
        else:
            found = names[p.argmax(1)]
        return round(macro_f1(labels, list(found)), 4)

    shipped = learned.predict(emb, vectors, langs)["sentiment"]
    out: dict[str, Any] = {"as_shipped": f1(shipped)}
    if head["general"] is not None:
        out["general_head_alone"] = f1(probabilities(head["general"], general_inputs(emb, vectors)))
        # the check-in head alone: the same backend over a copy of the head with no general head
        alone = type(learned)(learned.rules, head=learned.head_file)
        alone.encoder = learned.encoder
        alone.head()["general"] = None
        out["checkin_head_alone"] = f1(alone.predict(emb, vectors, langs)["sentiment"])
    if head["gate"] is not None:
        like = review_likeness(head["gate"], emb, langs)
        out["gate_mean"] = round(float(like.mean()), 3)
        out["gate_over_half"] = round(float((like > 0.5).mean()), 3)
    return out
