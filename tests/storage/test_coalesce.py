"""Coalesced writes: one batch per turn of the loop and one at a time, results in order,
failures kept apart."""

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


async def test_one_batch_at_a_time_and_calls_made_meanwhile_go_together() -> None:
    release = asyncio.Event()
    batches: list[list[int]] = []
    running = most = 0

    async def slow(calls: Sequence[int]) -> list[int]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        batches.append(list(calls))
        await release.wait()
        running -= 1
        return list(calls)

    coalesce = Coalescer(slow)
    first = asyncio.ensure_future(coalesce(0))
    for _ in range(3):
        await asyncio.sleep(0)  # the first batch is now in its transaction
    later = [asyncio.ensure_future(coalesce(i)) for i in range(1, 4)]
    for _ in range(3):
        await asyncio.sleep(0)  # other turns of the loop go by
    try:
        assert batches == [[0]]  # the later calls wait for the batch in flight
    finally:
        release.set()
    assert await asyncio.gather(first, *later) == [0, 1, 2, 3]
    assert batches == [[0], [1, 2, 3]] and most == 1


async def test_shutting_down_cancels_the_calls_still_waiting() -> None:
    async def never(calls: Sequence[int]) -> list[int]:
        await asyncio.Event().wait()
        return list(calls)

    before = asyncio.all_tasks()
    coalesce = Coalescer(never)
    in_flight = asyncio.ensure_future(coalesce(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(coalesce(2))
    await asyncio.sleep(0)
    (worker,) = asyncio.all_tasks() - before - {in_flight, waiting}
    worker.cancel()  # as asyncio.run does with tasks left at the end
    for caller in (in_flight, waiting):
        with pytest.raises(asyncio.CancelledError):
            await caller
