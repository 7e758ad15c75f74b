"""Speed of the sentiment backends (part of ``benchmarks/sentiment_eval.py``).

- rules: replies per second on one thread (one core) and the p95 of one reply;
- model backends (embeddings, learned), model loaded before the clock starts:
  ``batched``: replies per second through ``analyze_many`` in batches of 32;
  ``arriving``: replies arriving at 20/s (Poisson) into :class:`sentiment.batching.BatchScorer`
  on an event loop; per-reply latency p50/p95 and the longest the loop was held up (a 5 ms
  ticker's lateness);
  ``long_reply``: one 3,000-word rant, cut to what the model reads, then scored.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from typing import Any


def _p95(values: list[float]) -> float:
    return round(1000 * statistics.quantiles(values, n=20)[18], 2)


def rules_speed(texts: list[str], seconds: float) -> dict[str, Any]:
    """Replies per second and p95 per reply of the rules backend on one thread."""
    from sentiment import get_analyzer

    analyzer = get_analyzer("rules")
    lat = []
    for text in texts[:500]:
        t0 = time.perf_counter()
        analyzer.analyze(text)
        lat.append(time.perf_counter() - t0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for text in texts:
            analyzer.analyze(text)
        n += len(texts)
    rate = n / (time.perf_counter() - t0)
    return {"replies_per_second": round(rate, 1), "p95_ms": _p95(lat), "threads": 1}


async def _arriving(analyzer: Any, texts: list[str], rate: float, seconds: float) -> dict:
    from sentiment.batching import BatchScorer

    scorer = BatchScorer(analyzer)
    lags: list[float] = []
    stop = False

    async def ticker() -> None:
        while not stop:
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t0 - 0.005)

    async def one(text: str) -> float:
        t0 = time.perf_counter()
        await scorer(text)
        return time.perf_counter() - t0

    tick = asyncio.create_task(ticker())
    rng = random.Random(7)
    tasks = []
    t_end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < t_end:
        tasks.append(asyncio.create_task(one(texts[i % len(texts)])))
        i += 1
        await asyncio.sleep(rng.expovariate(rate))
    lat = await asyncio.gather(*tasks)
    stop = True
    await tick
    scorer.close()
    return {
        "arrival_rate": rate,
        "replies": len(lat),
        "p50_ms": round(1000 * statistics.median(lat), 2),
        "p95_ms": _p95(list(lat)),
        "max_loop_lag_ms": round(1000 * max(lags), 2),
    }


def model_speed(backend: str, texts: list[str], quick: bool) -> dict[str, Any] | None:
    """Batched throughput, latency under arriving load, and a long reply, of a model backend."""
    from sentiment import get_analyzer

    analyzer = get_analyzer(backend)
    if analyzer.name != backend:
        return None
    short = [t for t in texts if len(t.split()) <= 30] or texts
    analyzer.analyze_many(short[:32])  # load the model and the head before the clock
    batch = short[: 256 if quick else 1024]
    t0 = time.perf_counter()
    analyzer.analyze_many(batch)
    out: dict[str, Any] = {
        "batched": {
            "replies": len(batch),
            "replies_per_second": round(len(batch) / (time.perf_counter() - t0), 1),
        },
        "threads": int(os.environ.get("OMP_NUM_THREADS", "1")),
    }
    out["arriving"] = asyncio.run(_arriving(analyzer, short, 20.0, 5.0 if quick else 20.0))
    rant = " ".join(["the delivery was late and the box was damaged and nobody called"] * 250)
    t0 = time.perf_counter()
    analyzer.analyze(rant)
    out["long_reply"] = {"words": len(rant.split()), "ms": round(1000 * (time.perf_counter() - t0))}
    return out


def speed_report(backends: list[str], texts: list[str], quick: bool) -> dict[str, Any]:
    """Speed of every backend asked for."""
    out: dict[str, Any] = {}
    for backend in backends:
        if backend == "rules":
            out["mentorbot_rules"] = rules_speed(texts, 1.0 if quick else 3.0)
        else:
            found = model_speed(backend, texts, quick)
            if found is not None:
                out[f"mentorbot_{backend}"] = found
    return out
