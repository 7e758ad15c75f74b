"""The bot's view of the sentiment analysis: the configured backend, scored off the event loop.

The analyzer is built on first use (or by :meth:`Scoring.warm` at start-up), never at import.
The rules backend is fast enough to run inline (about 0.05 ms a reply); a model backend goes
through :class:`sentiment.batching.BatchScorer`, batched in a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sentiment.base import Analyzer
from sentiment.batching import BatchScorer
from sentiment.history import HistoryLike
from sentiment.operating_point import OperatingPoint
from sentiment.result import Analysis


class Scoring:
    """An async ``analyze(text, lang, score, question, history)`` over the configured backend."""

    def __init__(
        self,
        backend: str = "auto",
        extra_data: str | Path | None = None,
        point: OperatingPoint | None = None,
        max_batch: int = 32,
    ) -> None:
        """Remember the choice; nothing loads until :meth:`warm` or the first reply."""
        self.backend = backend
        self.extra_data = extra_data
        self.point = point
        self.max_batch = max_batch
        self._analyzer: Analyzer | None = None
        self._batcher: BatchScorer | None = None
        self._lock = threading.Lock()

    def analyzer(self) -> Analyzer:
        """The analyzer in use (built on the first call; blocking: call it in a thread)."""
        from sentiment.registry import get_analyzer

        with self._lock:
            if self._analyzer is None:
                self._analyzer = get_analyzer(self.backend, self.extra_data, self.point)
            return self._analyzer

    async def warm(self) -> str:
        """Load lexicons, model and head in a thread; returns the backend actually in use."""
        analyzer = await asyncio.to_thread(self.analyzer)
        await asyncio.to_thread(analyzer.analyze_many, ["warm up"])
        return analyzer.name

    async def __call__(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
        history: HistoryLike | None = None,
    ) -> Analysis:
        """Analyse one reply without holding up the event loop (``history``: the customer's
        past as the caller found it, an escalation input)."""
        analyzer = self._analyzer or await asyncio.to_thread(self.analyzer)
        if analyzer.name == "rules":
            return analyzer.analyze(
                text, lang=lang, score=score, question=question, history=history
            )
        if self._batcher is None:
            self._batcher = BatchScorer(analyzer, self.max_batch)
        return await self._batcher(text, lang=lang, score=score, question=question, history=history)

    def close(self) -> None:
        """Stop the worker thread of a model backend (if one was started)."""
        if self._batcher is not None:
            self._batcher.close()
