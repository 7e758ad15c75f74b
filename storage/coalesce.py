"""Writes that many customers make at the same moment, done as one transaction.

When answers pour in, the bot handles several at once and each ends in the same few writes (the
answer, its score, the conversation's next step). A transaction costs far more than the row it
writes (0.25 ms against a few microseconds on SQLite here, several round trips on PostgreSQL), so
:class:`Coalescer` collects the calls made in one turn of the event loop and runs them as one
batch. Under light load a batch is one call and nothing waits; under heavy load the loop's turns
get longer, more calls land in each, and the cost per call drops: throughput grows with load.

A caller gets its result only once the batch is committed, exactly as with a transaction of its
own. If a batch fails, each call in it is retried alone, so one bad row fails only its own call;
a lost database (a ``ConnectionError``, such as ``StorageUnavailable``) fails the whole batch at
once instead of once per call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer", "coalescer_of"]

log = logging.getLogger(__name__)
Call = TypeVar("Call")
Result = TypeVar("Result")


class Coalescer(Generic[Call, Result]):
    """Runs ``run_batch`` once for all calls made in the same turn of the loop.

    ``run_batch`` gets the calls in order and returns one result per call, in the same order.
    ``max_batch`` caps a batch (larger bursts are split). ``calls`` / ``batches`` is how many
    calls shared a batch on average (the replies benchmark reports it).
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[Call]], Awaitable[Sequence[Result]]],
        max_batch: int = 100,
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._pending: list[tuple[Call, asyncio.Future[Result]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.calls = 0

    async def __call__(self, call: Call) -> Result:
        """Queue ``call`` for this turn's batch and wait for its committed result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._start)
        self._pending.append((call, future))
        return await future

    def _start(self) -> None:
        pending, self._pending = self._pending, []
        for lo in range(0, len(pending), self._max_batch):
            task = asyncio.get_running_loop().create_task(
                self._run(pending[lo : lo + self._max_batch])
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[Call, asyncio.Future[Result]]]) -> None:
        self.batches += 1
        self.calls += len(batch)
        try:
            results = await self._run_batch([call for call, _ in batch])
        except asyncio.CancelledError:  # shutting down: the callers are cancelled too
            for _, future in batch:
                future.cancel()
            raise
        except BaseException as exc:
            if (
                len(batch) == 1
                or not isinstance(exc, Exception)
                or isinstance(exc, ConnectionError)
            ):
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            log.info("a batch of %d writes failed (%s); retrying each alone", len(batch), exc)
            for one in batch:
                await self._run([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


def coalescer_of(
    owner: object,
    name: str,
    run_batch: Callable[[Sequence[Call]], Awaitable[Sequence[Result]]],
) -> Coalescer[Call, Result]:
    """``owner``'s coalescer called ``name``, made on first use (the store's mixins have no
    ``__init__`` of their own)."""
    found = owner.__dict__.get(name)
    if found is None:
        found = owner.__dict__[name] = Coalescer(run_batch)
    return found
