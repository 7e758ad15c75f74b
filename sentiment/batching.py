"""Scoring off the event loop: replies are gathered into batches and analysed in a worker thread.

The learned backend embeds text with a C engine that releases the GIL, so a batch scored in
a thread leaves the event loop free. Replies that arrive while a batch is being scored wait
for the next batch (at most ``max_batch``), so under load the model works on full batches and
at a trickle each reply is scored on its own, at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sentiment.base import Analyzer
from sentiment.history import HistoryLike
from sentiment.result import Analysis


class BatchScorer:
    """An async ``analyze`` that batches replies and scores them in one worker thread."""

    def __init__(self, analyzer: Analyzer, max_batch: int = 32) -> None:
        """Wrap an analyzer; nothing runs until the first call."""
        self.analyzer = analyzer
        self.max_batch = max_batch
        self._pending: list[tuple[dict[str, Any], asyncio.Future[Analysis]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentiment")

    async def __call__(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
        history: HistoryLike | None = None,
    ) -> Analysis:
        """Analyse one reply off the event loop (errors such as a bad score are raised here)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Analysis] = loop.create_future()
        item = {"text": text, "lang": lang, "score": score, "question": question}
        if history is not None:
            item["history"] = history
        self._pending.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = (
                self._pending[: self.max_batch],
                self._pending[self.max_batch :],
            )
            items = [item for item, _f in batch]
            try:
                results = await loop.run_in_executor(self._pool, self._score, items)
            except Exception as exc:  # a failure in the batch call: each reply gets it
                for _item, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_item, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    def _score(self, items: list[dict[str, Any]]) -> list[Analysis | Exception]:
        """Score a batch; if one reply is invalid, score the others one by one."""
        try:
            return list(self.analyzer.analyze_many(items))
        except ValueError:
            out: list[Analysis | Exception] = []
            for item in items:
                try:
                    out.append(self.analyzer.analyze_many([item])[0])
                except ValueError as exc:
                    out.append(exc)
            return out

    def close(self) -> None:
        """Stop the worker thread (pending replies are still scored)."""
        self._pool.shutdown(wait=False)
