"""Coalesced writes: one batch per turn of the loop, results in order, failures kept apart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from storage.coalesce import Coalescer


async def test_calls_made_together_run_as_one_batch_in_order() -> None:
    batches: list[list[int]] = []

    async def double(calls: Sequence[int]) -> list[int]:
        batches.append(list(calls))
        return [2 * c for c in calls]

    coalesce = Coalescer(double)
    assert await asyncio.gather(*(coalesce(i) for i in range(10))) == [2 * i for i in range(10)]
    assert batches == [list(range(10))]
    assert await coalesce(21) == 42  # alone: a batch of one, nothing waits for company
    assert batches[-1] == [21]


async def test_a_large_burst_is_split() -> None:
    sizes: list[int] = []

    async def count(calls: Sequence[int]) -> list[int]:
        sizes.append(len(calls))
        return list(calls)

    coalesce = Coalescer(count, max_batch=4)
    assert await asyncio.gather(*(coalesce(i) for i in range(10))) == list(range(10))
    assert sizes == [4, 4, 2]


async def test_a_failing_call_fails_alone() -> None:
    seen: list[list[int]] = []

    async def refuse_seven(calls: Sequence[int]) -> list[int]:
        seen.append(list(calls))
        if 7 in calls:
            raise ValueError("seven is refused")
        return list(calls)

    coalesce = Coalescer(refuse_seven)
    results = await asyncio.gather(*(coalesce(i) for i in range(5, 10)), return_exceptions=True)
    assert results[:2] == [5, 6] and results[3:] == [8, 9]
    assert isinstance(results[2], ValueError)
    assert seen[0] == [5, 6, 7, 8, 9] and [7] in seen[1:]


async def test_a_caller_that_gives_up_does_not_break_the_batch() -> None:
    release = asyncio.Event()

    async def slow(calls: Sequence[int]) -> list[int]:
        await release.wait()
        return list(calls)

    coalesce = Coalescer(slow)
    impatient = asyncio.ensure_future(coalesce(1))
    patient = asyncio.ensure_future(coalesce(2))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    assert await patient == 2
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_a_lost_database_fails_the_whole_batch_at_once() -> None:
    attempts: list[int] = []

    async def unreachable(calls: Sequence[int]) -> list[int]:
        attempts.append(len(calls))
        raise ConnectionError("the database is not reachable")

    coalesce = Coalescer(unreachable)
    results = await asyncio.gather(*(coalesce(i) for i in range(6)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert attempts == [6]  # not retried call by call
