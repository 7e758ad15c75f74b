"""What one full pass of Python's cyclic garbage collector costs a started bot, with and without
``gc.freeze()`` after start-up (as ``bot/serving.py`` does once it is serving).

A full pass stops the whole process. While it lasts, a send that already passed the pacer's
check waits, reaches Telegram late beside the next window's sends, and can draw a 429 (the pacer
retries it). Freezing moves what start-up made (modules, classes, the sentiment model's objects)
out of the collector's scans, so a pass walks only what was made since.

The bot is the benchmarks' usual one (``benchmarks.dispatch.make_bot``): Telegram channel started
against the local Bot API server, one dispatch round of check-ins sent, the configured sentiment
backend warmed. The baseline is timed unfrozen after one dispatch round; then ``gc.freeze()``,
a second round, and the same passes again. Both come from the same process in the same run.

    python -m benchmarks.gc_pause [--passes 15] [--checkins 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fresh_database, rss_mb
from benchmarks._telegram_setup import seed_due_checkins
from benchmarks.dispatch import NOW, make_bot
from sandbox.local_servers.bot_api import LocalBotApi
from sentiment.service import Scoring


def full_pass_ms(passes: int) -> dict[str, float]:
    """Median and worst wall time of ``passes`` full collections, in ms (the objects tracked
    and not frozen are walked each time)."""
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 3), "max_ms": round(max(times), 3)}


async def started_bot_figures(passes: int, checkins: int) -> dict[str, object]:
    """Start a bot, then time full passes unfrozen (the baseline) and after ``gc.freeze()``."""
    with fresh_database("sqlite") as (url, schema):
        seed_due_checkins(url, schema, checkins, NOW)
        async with LocalBotApi() as server:
            bot = make_bot(url, schema, server, rate_limit=False, batch=100)
            await bot.start_telegram()
            backend = await Scoring().warm()
            first = await bot.dispatch()
            try:
                tracked = len(gc.get_objects())
                baseline = full_pass_ms(passes)  # (its passes also free start-up's garbage)
                gc.freeze()
                frozen_count = gc.get_freeze_count()
                second = await bot.dispatch()  # work after the freeze makes objects of its own
                tracked_after = len(gc.get_objects())
                frozen = full_pass_ms(passes)
                gc.unfreeze()
            finally:
                await bot.stop_telegram()
                await bot.close()
    return {
        "sentiment_backend": backend,
        "checkins_sent": [first.sent, second.sent],
        "tracked_objects_at_freeze": tracked,
        "frozen_objects": frozen_count,
        "tracked_objects_after_second_round": tracked_after,
        "rss_mb": round(rss_mb(), 1),
        "baseline_unfrozen": baseline,
        "after_gc_freeze": frozen,
        "median_pause_saved_ms": round(baseline["median_ms"] - frozen["median_ms"], 2),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=15)
    parser.add_argument("--checkins", type=int, default=200)
    args = parser.parse_args()
    figures = asyncio.run(started_bot_figures(args.passes, args.checkins))
    print(json.dumps({"benchmark": "gc_pause", **figures}, indent=2))


if __name__ == "__main__":
    main()
