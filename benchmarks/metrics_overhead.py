"""What metrics cost on the answer path: ``benchmarks/replies.py``'s bot figure (answers handled
per second end to end) with ``metrics.enabled`` true and false, alternating in the same run, plus
the cost of one scrape of ``/metrics`` on the database the run left and a micro-benchmark of the
instruments a single answer moves.

    python benchmarks/metrics_overhead.py [--customers 1000] [--rounds 2] [--backends sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import replies
from benchmarks._common import fresh_database, pg_available
from benchmarks._telegram_setup import seed_due_checkins
from benchmarks.dispatch import make_bot
from bot.metrics import BotMetrics
from handlers.messages import IncomingUpdate, OutgoingMessage, SentMessage


@contextmanager
def metrics_enabled(enabled: bool) -> Iterator[list]:
    """replies.bot_rate builds its bot with ``make_bot``; this builds it with metrics on/off
    and keeps the bots for a scrape afterwards."""
    bots: list = []

    def build(*args, **kwargs):  # type: ignore[no-untyped-def]
        bot = make_bot(*args, **kwargs)
        # bot_rate builds the customer channel again before it measures, so the seams follow.
        bot.ops.metrics.enabled = enabled
        bots.append(bot)
        return bot

    original = replies.make_bot
    replies.make_bot = build
    try:
        yield bots
    finally:
        replies.make_bot = original


async def scrape_ms(url: str, schema: str | None, server: object) -> dict:
    """One /metrics scrape (database gauges read + text rendered) on the benchmark database."""
    from prometheus_client import generate_latest

    bot = make_bot(url, schema, server, False, 500)  # type: ignore[arg-type]
    try:
        times = []
        for _ in range(5):
            bot.ops.collector.figures = None  # read the database every time
            start = time.perf_counter()
            await bot.ops.collector.refresh()
            body = generate_latest(bot.ops.metrics.registry)
            times.append(1000 * (time.perf_counter() - start))
        return {"scrape_ms_median": round(statistics.median(times), 2), "bytes": len(body)}
    finally:
        await bot.close()


class _Quiet:
    async def send(self, message: OutgoingMessage) -> SentMessage:
        return SentMessage(message.chat_id, 1)


async def instruments_us(n: int = 20000) -> dict:
    """Microseconds the instruments add to one answer: a timed update, two counted sends and a
    timed scoring step, against the same calls unwrapped."""
    metrics = BotMetrics()
    bare = _Quiet()
    counted = metrics.channel(bare, "telegram")  # type: ignore[arg-type]
    update = IncomingUpdate("telegram", 1, "button", 1, 1)
    message = OutgoingMessage(1, "x")

    async def plain() -> None:
        await bare.send(message)
        await bare.send(message)

    async def instrumented() -> None:
        with metrics.timed_update(update):
            await counted.send(message)
            await counted.send(message)
            metrics.scoring_seconds.observe(0.001)

    out = {}
    for name, fn in (("plain", plain), ("instrumented", instrumented)):
        start = time.perf_counter()
        for _ in range(n):
            await fn()
        out[name] = 1e6 * (time.perf_counter() - start) / n
    return {
        "plain_us": round(out["plain"], 2),
        "instrumented_us": round(out["instrumented"], 2),
        "added_us_per_answer": round(out["instrumented"] - out["plain"], 2),
    }


def paired(figures: dict[str, list]) -> dict:
    """on/off per round, with their median, lowest and highest."""
    ratios = [
        on / off for on, off in zip(figures["metrics_on"], figures["metrics_off"], strict=True)
    ]
    return {
        "ratios": [round(r, 3) for r in ratios],
        "median": round(statistics.median(ratios), 3),
        "min": round(min(ratios), 3),
        "max": round(max(ratios), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b != "postgresql" or pg_available()]
    report: dict = {
        "benchmark": "metrics_overhead",
        "baseline": "metrics_off",
        "goal": "metrics_on within 5% of metrics_off",
        "instruments": asyncio.run(instruments_us()),
        "results": {},
    }
    for backend in backends:
        rates: dict[str, list[int]] = {"metrics_off": [], "metrics_on": []}
        # The bot's own CPU per answer: far less swayed by other work on the machine than the
        # answers per second are.
        cpu: dict[str, list[float]] = {"metrics_off": [], "metrics_on": []}
        scrape: dict = {}
        for round_no in range(args.rounds):
            # ABBA order: a drift in the machine's speed over the run falls on both settings.
            order = (False, True) if round_no % 2 == 0 else (True, False)
            for enabled in order:
                with fresh_database(backend) as (url, schema):
                    seed_due_checkins(url, schema, args.customers, replies.NOW)
                    with replies.server_process(history=2, control=True) as server:
                        with metrics_enabled(enabled):
                            got = asyncio.run(
                                replies.bot_rate(
                                    url, schema, server, args.customers, args.concurrency
                                )
                            )
                        if enabled and not scrape:
                            scrape = asyncio.run(scrape_ms(url, schema, server))
                key = "metrics_on" if enabled else "metrics_off"
                rates[key].append(got["answers_per_s"])
                cpu[key].append(got["bot_cpu_ms_per_answer"])
                print(
                    f"{backend} {key}: {got['answers_per_s']}/s, "
                    f"{got['bot_cpu_ms_per_answer']} ms CPU per answer",
                    file=sys.stderr,
                )
        off = statistics.median(rates["metrics_off"])
        on = statistics.median(rates["metrics_on"])
        report["results"][backend] = {
            "customers": args.customers,
            "answers_per_s": rates,
            "median_off": off,
            "median_on": on,
            "on_vs_off": round(on / off, 3),
            "bot_cpu_ms_per_answer": cpu,
            "cpu_on_vs_off": round(
                statistics.median(cpu["metrics_on"]) / statistics.median(cpu["metrics_off"]), 3
            ),
            # Each round's on/off pair, taken minutes apart at most: the ratios' median and
            # range say whether the difference is real or the machine's noise.
            "paired_cpu_ratios": paired(cpu),
            "paired_rate_ratios": paired(rates),
            "scrape": scrape,
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
