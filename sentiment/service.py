"""The bot's view of the sentiment analysis: the configured backend, scored off the event loop.

The analyzer is built on first use (or by :meth:`Scoring.warm` at start-up), never at import.
The rules backend is fast enough to run inline (about 0.05 ms a reply); a model backend goes
through :class:`sentiment.batching.BatchScorer`, batched in a worker thread, which with
``processes`` >= 2 splits each batch across that many worker processes
(:mod:`sentiment.workers`), each with its own model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

from sentiment.base import Analyzer
from sentiment.batching import BatchScorer
from sentiment.history import History, HistoryLike, apply_history, history_can_matter
from sentiment.operating_point import OperatingPoint
from sentiment.result import Analysis
from sentiment.workers import Recipe, WorkerPool

log = logging.getLogger(__name__)


class Scoring:
    """An async ``analyze(text, lang, score, question, history)`` over the configured backend."""

    def __init__(
        self,
        backend: str = "auto",
        extra_data: str | Path | None = None,
        point: OperatingPoint | None = None,
        max_batch: int = 32,
        processes: int | str = 0,
    ) -> None:
        """Remember the choice; nothing loads until :meth:`warm` or the first reply.

        ``processes``: worker processes for a model backend (0 or 1: a worker thread in this
        process; ``auto``: see :func:`sentiment.workers.resolve_processes`).
        """
        self.backend = backend
        self.extra_data = extra_data
        self.point = point
        self.max_batch = max_batch
        self.processes = processes
        self._analyzer: Analyzer | None = None
        self._batcher: BatchScorer | None = None
        self._lock = threading.Lock()
        self._starting: asyncio.Lock | None = None

    def analyzer(self) -> Analyzer:
        """The analyzer in use (built on the first call; blocking: call it in a thread)."""
        from sentiment.registry import get_analyzer

        with self._lock:
            if self._analyzer is None:
                self._analyzer = get_analyzer(self.backend, self.extra_data, self.point)
            return self._analyzer

    async def warm(self) -> str:
        """Load lexicons, model and head (in a thread, or in the worker processes, which are
        started here); returns the backend actually in use."""
        analyzer = await asyncio.to_thread(self.analyzer)
        if analyzer.name == "rules":
            await asyncio.to_thread(analyzer.analyze_many, ["warm up"])
        else:
            batcher = await self._batcher_for(analyzer)
            if batcher.pool is None:
                await asyncio.to_thread(analyzer.analyze_many, ["warm up"])
        return analyzer.name

    async def _batcher_for(self, analyzer: Analyzer) -> BatchScorer:
        """The batch scorer of a model backend, its worker processes started (once)."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._batcher is None:
                self._batcher = BatchScorer(analyzer, self.max_batch, await self._start_pool())
            return self._batcher

    async def _start_pool(self) -> WorkerPool | None:
        """Start and warm the worker processes (None: score in this process)."""
        analyzer = self._analyzer
        assert analyzer is not None
        count = resolve_processes(self.processes, analyzer.name != "rules")
        if count == 0:
            return None
        recipe = Recipe(analyzer.name, extra_path(self.extra_data), self.point)
        pool = WorkerPool(recipe, count, getattr(analyzer, "rules", analyzer))
        try:
            await asyncio.to_thread(pool.start)
        except Exception:
            log.exception("sentiment worker processes did not start: scoring in this process")
            await asyncio.to_thread(pool.close)
            return None
        log.info("sentiment: %d worker processes (pids %s)", count, pool.pids())
        return pool

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
        batcher = self._batcher or await self._batcher_for(analyzer)
        return await batcher(text, lang=lang, score=score, question=question, history=history)

    def history_can_matter(self, analysis: Analysis) -> bool:
        """Whether the customer's history could still escalate ``analysis`` (see
        :meth:`with_history`); False for a positive reply or an opt-out."""
        return history_can_matter(analysis)

    def with_history(self, analysis: Analysis, history: HistoryLike | None) -> Analysis:
        """``analysis`` (made without history) as it would have been with ``history``: the
        configured ``sentiment.escalation.history`` policy applied, as every backend applies
        it last. Lets a caller look the customer up only when it can matter."""
        policy = (self.point or OperatingPoint()).history
        return apply_history(analysis, History.from_obj(history), policy)

    def worker_pids(self) -> list[int]:
        """The process ids of the running worker processes (empty without any)."""
        if self._batcher is None or self._batcher.pool is None:
            return []
        return self._batcher.pool.pids()

    def close(self) -> None:
        """Stop the worker thread and processes of a model backend (if any were started)."""
        if self._batcher is not None:
            self._batcher.close()


def resolve_processes(setting: int | str, model_backend: bool) -> int:
    """How many worker processes ``sentiment.processes`` means here.

    ``auto``: 2 when a model backend is in use and this process may run on two cores or more
    (one process per core, measured: see the README's sentiment speed), else 0; 0 or 1: the
    in-process worker thread.
    """
    if not model_backend:
        return 0
    if setting == "auto":
        return 2 if len(os.sched_getaffinity(0)) >= 2 else 0
    count = int(setting)
    return count if count >= 2 else 0


def extra_path(extra: str | Path | None) -> str | None:
    """The operator's extra data file as a string a worker process can receive."""
    return str(Path(extra).resolve()) if extra is not None else None
