"""Writes that many customers make at the same moment, done as one transaction.

When answers pour in, the bot handles several at once and each ends in the same few writes (the
answer, its score, the conversation's next step). A transaction costs far more than the row it
writes (0.25 ms against a few microseconds on SQLite here, several round trips on PostgreSQL), so
:class:`Coalescer` collects the calls made in one turn of the event loop and runs them as one
batch, and runs one batch of a kind at a time (a group commit): calls made while a batch is in
its transaction go together in the next. Under light load a batch is one call and nothing waits;
under heavy load more calls land in each batch, and the cost per call drops: throughput grows
with load. One batch at a time also bounds the connections the writes take (one per kind of
write), where a batch per turn took a pooled connection each and, on PostgreSQL, overflowed the
pool into connections opened and closed again under load.

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
    """Runs ``run_batch`` once for all calls made in the same turn of the loop, one batch at a
    time: calls made while a batch runs wait for it and go together in the next one.

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
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0
        self.calls = 0

    async def __call__(self, call: Call) -> Result:
        """Queue ``call`` for the next batch and wait for its committed result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._pending.append((call, future))
        if self._worker is None:  # starts next turn: calls made in this one join the batch
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Run batches one after another while calls keep coming, then stop."""
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._run(batch)
        except asyncio.CancelledError:  # shutting down: the waiting callers are cancelled too
            for _, future in self._pending:
                future.cancel()
            self._pending.clear()
            raise
        finally:
            self._worker = None

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
