"""Scoring with a model never holds up the event loop: batches run in a worker thread."""

import asyncio
import time

from sentiment.batching import BatchScorer
from sentiment.rules import RulesAnalyzer


class CountingRules(RulesAnalyzer):
    """The real rules backend, counting the batches it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def analyze_many(self, items):
        items = list(items)
        self.batches.append(len(items))
        return super().analyze_many(items)


async def test_concurrent_replies_are_batched_and_an_invalid_one_fails_alone():
    analyzer = CountingRules()
    scorer = BatchScorer(analyzer, max_batch=8)
    texts = [f"reply {i}: the parcel never arrived" for i in range(20)]
    calls = [scorer(t, score=2) for t in texts]
    calls.append(scorer("fine", score=11))  # outside the NPS scale
    found = await asyncio.gather(*calls, return_exceptions=True)
    scorer.close()
    assert all(a.escalate for a in found[:20])
    assert isinstance(found[20], ValueError) and "0-10" in str(found[20])
    assert max(analyzer.batches) <= 8
    assert len(analyzer.batches) < 21  # batched, not one call per reply


async def test_scoring_a_batch_with_the_model_leaves_the_loop_free(learned):
    """A 5 ms ticker keeps ticking on time while 64 replies are embedded and scored."""
    from sentiment.service import Scoring

    scoring = Scoring("learned", max_batch=32)
    await scoring.warm()
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t0 - 0.005)

    tick = asyncio.create_task(ticker())
    texts = [f"De stoel nummer {i} kwam kapot aan, ik wil mijn geld terug" for i in range(64)]
    t0 = time.perf_counter()
    found = await asyncio.gather(*(scoring(t, score=3) for t in texts))
    took = time.perf_counter() - t0
    done.set()
    await tick
    scoring.close()
    assert all(a.backend == "learned" and a.escalate for a in found)
    # The ticker kept ticking through the batch: no tick came anywhere near as late as the
    # batch took (on the loop it would have been held up for all of it). The bound is loose
    # because the suite shares two cores with the model's threads; the benchmark measures the
    # real lag (a few ms on an idle machine).
    assert len(lags) >= 5
    assert max(lags) < min(0.25, took / 3), f"loop held up {1000 * max(lags):.1f} ms"


async def test_rules_scoring_runs_without_a_model():
    from sentiment.service import Scoring

    scoring = Scoring("rules")
    assert await scoring.warm() == "rules"
    found = await scoring("Het pakket is nog steeds niet binnen", score=3)
    assert found.escalate and found.backend == "rules"
    scoring.close()
