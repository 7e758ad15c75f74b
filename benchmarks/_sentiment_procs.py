"""Speed of a model backend in worker processes (part of ``benchmarks/sentiment_eval.py``).

Both through :class:`sentiment.batching.BatchScorer` on an event loop, in the same run, on the
same distinct short replies (the encoders' memories emptied first):

- ``baseline_thread``: the named baseline, today's in-process worker thread (the model in this
  process, ``OMP_NUM_THREADS`` as the benchmark set it);
- ``processes_N``: the batch split across N worker processes (``sentiment.processes``), each
  with its own model and ``OMP_NUM_THREADS=1``.

For each: ``burst`` (all replies handed over at once: the wall rate, CPU per reply of this
process plus the workers, and cores used) and ``arriving`` (replies arriving at 20/s: p50/p95
latency, the longest the loop was held up, CPU per reply), ``repeats`` (256 replies of one or
two words drawn with repeats, handed over at once: how often an encoder's memory answered;
in processes each worker remembers what it embedded). ``memory``: RSS and PSS (shared
pages split between the processes sharing them) of a fresh process that imports the bot's
command as ``mentorbot`` does and warms scoring as the bot does, without and with workers (the
bot's process does not load the model when workers do).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._sentiment_speed import arriving

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pids: list[int]) -> float:
    """CPU seconds used so far by this process and the given (living) children."""
    total = time.process_time()
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def _left(pids: list[int]) -> int:
    """How many of these processes still exist."""
    return sum(os.path.exists(f"/proc/{pid}") for pid in pids)


async def _burst(scorer: Any, texts: list[str], pids: list[int]) -> dict[str, Any]:
    c0, t0 = _cpu(pids), time.perf_counter()
    await asyncio.gather(*(scorer(t) for t in texts))
    wall, cpu = time.perf_counter() - t0, _cpu(pids) - c0
    return {
        "replies": len(texts),
        "replies_per_second": round(len(texts) / wall, 1),
        "cpu_ms_per_reply": round(1000 * cpu / len(texts), 2),
        "cores_used": round(cpu / wall, 2),
    }


async def _one_setting(
    analyzer: Any,
    count: int,
    burst: list[str],
    later: list[str],
    tiny: list[str],
    seconds: float,
) -> dict:
    from sentiment.batching import BatchScorer
    from sentiment.workers import Recipe, WorkerPool

    pool = None
    if count >= 2:
        pool = WorkerPool(Recipe(analyzer.name), count, analyzer.rules)
        t0 = time.perf_counter()
        await asyncio.to_thread(pool.start)
        started = time.perf_counter() - t0
    analyzer.encoder.forget()
    scorer = BatchScorer(analyzer, 32, pool)
    pids = pool.pids() if pool else []
    # the arriving replies are others than the burst's: no memory answers them
    out: dict[str, Any] = {"burst": await _burst(scorer, burst, pids)}
    out["arriving"] = await arriving(scorer, later, 20.0, seconds, cpu=lambda: _cpu(pids))
    if tiny:
        # both memories hold what this setting embedded so far (the same replies)
        before = pool.memory() if pool else {"hits": analyzer.encoder.hits}
        burst_found = await _burst(scorer, tiny, pids)
        after = pool.memory() if pool else {"hits": analyzer.encoder.hits}
        burst_found["answered_from_memory"] = after["hits"] - before["hits"]
        out["repeats"] = burst_found
    if pool is not None:
        out["start_seconds"] = round(started, 2)
        out["restarts"] = sum(w.restarts for w in pool.workers)
    scorer.close()
    if pool is not None:
        out["children_left_after_close"] = _left(pids)
    analyzer.encoder.forget()
    return out


MEMORY = """
import asyncio, json, os, sys
import bot.cli  # as the mentorbot command does: spawned workers import the main module again
from sentiment.service import Scoring

def mem(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                out[key.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return out

async def main():
    scoring = Scoring("learned", processes=int(sys.argv[1]))
    await scoring.warm()
    await scoring("the parcel never arrived")
    kids = scoring.worker_pids()
    found = {"parent": mem(os.getpid()), "children": [mem(p) for p in kids]}
    every = [found["parent"], *found["children"]]
    found["rss_mb_total"] = round(sum(m["rss_mb"] for m in every), 1)
    found["pss_mb_total"] = round(sum(m["pss_mb"] for m in every), 1)
    scoring.close()
    print(json.dumps(found))

if __name__ == "__main__":
    asyncio.run(main())
"""


def _memory(count: int) -> dict[str, Any]:
    """RSS/PSS of a fresh process warmed as the bot warms it, and of its workers.

    Run from a file that imports ``bot.cli`` at the top, like the ``mentorbot`` command: a
    spawned worker imports its parent's main module again, so this is what the bot's workers
    hold, not only the model's share.
    """
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "warm_bot.py"
        script.write_text(MEMORY)
        done = subprocess.run(
            [sys.executable, str(script), str(count)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
    return json.loads(done.stdout)


def processes_report(analyzer: Any, short: list[str], count: int, quick: bool) -> dict:
    """The in-process thread (baseline) beside ``count`` worker processes, in one run."""
    size = 256 if quick else 1024
    burst, later = short[:size], short[size:] or short
    seconds = 5.0 if quick else 20.0
    words = [t for t in short if 0 < len(t.split()) <= 2]
    rng = random.Random(11)
    tiny = [rng.choice(words) for _ in range(256)] if words else []
    load = [round(x, 2) for x in os.getloadavg()]
    return {
        "baseline_thread": asyncio.run(_one_setting(analyzer, 0, burst, later, tiny, seconds)),
        f"processes_{count}": asyncio.run(
            _one_setting(analyzer, count, burst, later, tiny, seconds)
        ),
        "memory": {"baseline_thread": _memory(0), f"processes_{count}": _memory(count)},
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_before_after": [load, [round(x, 2) for x in os.getloadavg()]],
    }
