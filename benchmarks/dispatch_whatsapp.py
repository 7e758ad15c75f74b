"""``benchmarks/dispatch.py --channel whatsapp``: due check-ins through the whole dispatch path
to the local WhatsApp Cloud API server, which enforces the number's throughput in its own
process, next to the bare client send loop (benchmarks/whatsapp_send.py, the named baseline)
in the same run.

Each check-in is opened the WhatsApp way: the customer's window is closed, so the dispatcher
checks the daily tier, sends the touchpoint's template (two parameters, two quick replies),
records the message and marks the check-in sent; the bot's pacer keeps under the throughput.
Reported: check-ins per second, CPU ms per check-in (this process), throttle errors (0 is the
goal), the most messages the server saw in any rolling second, what waited for the pacer.

    python benchmarks/dispatch.py --channel whatsapp [--checkins 800] [--throughput 80]
                                  [--in-flight 1,8] [--backends sqlite,postgresql]
                                  [--workers 1,3] [--redis-url redis://127.0.0.1:6379/0]

With ``--workers 3`` three bots (each its own engine, in this process) dispatch side by side
on PostgreSQL, sharing the number's send budget (PostgreSQL, or Redis with ``--redis-url``)
and counting the daily tier in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert

from benchmarks._common import fresh_database, pg_available
from benchmarks._telegram_setup import customer_rows
from benchmarks.whatsapp_send import (
    PHONE_NUMBER_ID,
    TEMPLATE,
    TOKEN,
    bare_send_loop,
    server_process,
)
from bot.app import Mentorbot
from bot.config import Config
from handlers.chat_address import whatsapp_chat
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl
from storage.db import configure_engine, engine_options, sync_url
from storage.models import ChannelLink, CheckIn, Customer

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NUMBER_BASE = 31_650_000_000


def seed(url: str, schema: str | None, count: int) -> None:
    """``count`` customers opted in on WhatsApp (never wrote: the window is closed), each with
    one due delivery check-in."""
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, schema))
    configure_engine(engine, target)
    with engine.begin() as conn:
        ids = range(count)
        conn.execute(insert(Customer), customer_rows(ids, NOW, lambda i: "nl" if i % 2 else "en"))
        conn.execute(insert(ChannelLink), [
            {"customer_id": i + 1, "channel": "whatsapp", "token": f"w{i}",
             "token_expires_at": NOW, "chat_id": whatsapp_chat(str(NUMBER_BASE + i)),
             "user_id": whatsapp_chat(str(NUMBER_BASE + i)), "linked_at": NOW}
            for i in ids
        ])  # fmt: skip
        conn.execute(insert(CheckIn), [
            {"customer_id": i + 1, "journey": "standard", "touchpoint": "delivery",
             "due_at": NOW - timedelta(minutes=1), "status": "scheduled", "attempt_count": 0,
             "created_at": NOW}
            for i in ids
        ])  # fmt: skip
    engine.dispose()


def make_bot(
    url: str,
    schema: str | None,
    root: str,
    throughput: float,
    in_flight: int,
    *,
    daily_tier: int = 10**9,
    pair_interval: float = 6.0,
    redis_url: str | None = None,
    dispatch_batch: int = 500,
    budget: str = "auto",
) -> Mentorbot:
    """A bot with WhatsApp pointed at the server at ``root`` (Telegram built, never started);
    its send budget in Redis with ``redis_url``, else in PostgreSQL there, else its own."""
    name = TEMPLATE[0]
    config = Config.model_validate({
        "database": {"url": url},
        "survey": {"dispatch_batch": dispatch_batch, "checkins_in_flight": in_flight},
        "telegram": {"token": "1:BENCH", "base_url": "http://127.0.0.1:9/bot",
                     "redis_url": redis_url, "rate_limit_backend": budget},
        "whatsapp": {"enabled": True, "token": TOKEN, "phone_number_id": PHONE_NUMBER_ID,
                     "app_secret": "s", "verify_token": "v", "base_url": root,
                     "throughput": throughput, "daily_tier": daily_tier,
                     "pair_interval": pair_interval,
                     "templates": {"delivery": name, "usage": name, "recovery": name}},
    })  # fmt: skip
    bot = Mentorbot(config, clock=lambda: NOW, db_schema=schema)
    bot.build_telegram()
    return bot


async def _dispatch_until_done(bot: Mentorbot) -> tuple[int, int]:
    """One worker's dispatch loop: until a round sends and fails nothing; (sent, failed)."""
    sent = failed = 0
    while True:
        report = await bot.dispatch()
        if not report.sent and not report.failed:
            return sent, failed
        sent, failed = sent + report.sent, failed + report.failed


async def dispatch_run(url: str, schema: str | None, root: str, count: int, throughput: float,
                       in_flight: int, workers: int = 1, **options: Any) -> dict:  # fmt: skip
    """Dispatch ``count`` due check-ins to the server at ``root`` from ``workers`` bots, each
    with its own engine, side by side (their send budget shared through PostgreSQL or Redis);
    the figures."""
    if workers > 1:
        options.setdefault("dispatch_batch", 25)  # so that every worker claims a share
    bots = [make_bot(url, schema, root, throughput, in_flight, **options) for _ in range(workers)]
    wirings = [bot.whatsapp for bot in bots]
    for wiring in wirings:
        assert wiring is not None
        await wiring.client.start()
        await wiring.pacer.initialize()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        done = await asyncio.gather(*(_dispatch_until_done(bot) for bot in bots))
    finally:
        wall = time.perf_counter() - start
        cpu_s = time.process_time() - cpu
        for bot, wiring in zip(bots, wirings, strict=True):
            assert wiring is not None
            await wiring.client.close()
            await wiring.pacer.close()
            await bot.close()
    sent, failed = sum(d[0] for d in done), sum(d[1] for d in done)
    paces = [w.pacer.report for w in wirings if w is not None]
    return {
        "checkins": count,
        "workers": workers,
        "in_flight": in_flight,
        "sent": sent,
        "sent_per_worker": [d[0] for d in done],
        "failed": failed,
        "checkins_per_s": round(sent / wall, 1),
        "cpu_ms_per_checkin": round(cpu_s * 1000 / max(sent, 1), 3),
        "pacer_waits": {
            "throughput": sum(p.throughput_waits for p in paces),
            "pair": sum(p.pair_waits for p in paces),
            "waited_s": round(sum(p.waited_s for p in paces), 2),
        },
        "daily_tier_waits": sum(w.waits()["daily_tier"] for w in wirings if w is not None),
    }


async def with_server(throughput: int, work: Callable[[str], Awaitable[dict]]) -> dict:
    """Run ``work(root)`` against a fresh server process (its counters its own), and add the
    server's throttle refusals and the most messages it accepted in any rolling second."""
    with server_process(throughput, limits=True) as root:
        async with WhatsAppControl(root) as control:
            for lang in ("en", "nl"):
                await control.add_template(TEMPLATE[0], lang, *TEMPLATE[2:])
            figures = await work(root)
            stats = await control.stats()
    figures["server_throttled"] = stats["throttled"]
    figures["server_max_in_rolling_second"] = stats["max_in_rolling_second"]
    return figures


async def run(
    backends: list[str], count: int, throughput: int, flights: list[int], workers: list[int],
    redis_url: str | None = None,
) -> dict:  # fmt: skip
    """The bare paced loop, then the dispatcher per backend, check-ins in flight and number of
    workers (more than one on PostgreSQL only: its budget shared there, and in Redis too
    with ``redis_url``)."""
    results: dict = {
        "bare_client_paced_baseline": await with_server(
            throughput,
            lambda root: bare_send_loop(root, count, 16, pace=throughput - 1, pace_window=1.2),
        )
    }
    runs = [(b, n, w, None) for b in backends for w in workers for n in flights
            if w == 1 or b == "postgresql"]  # fmt: skip
    if redis_url and "postgresql" in backends:
        runs += [("postgresql", n, w, redis_url) for w in workers if w > 1 for n in flights]
    for backend, in_flight, n_workers, redis in runs:
        name = f"{backend}_in_flight_{in_flight}"
        if n_workers > 1:
            name += f"_workers_{n_workers}_budget_{'redis' if redis else 'database'}"
        with fresh_database(backend) as (url, schema):
            seed(url, schema, count)
            results[name] = await with_server(
                throughput,
                lambda root, url=url, schema=schema, n=in_flight, w=n_workers, r=redis: (
                    dispatch_run(url, schema, root, count, throughput - 2, n, w, redis_url=r)
                ),
            )
        print(f"{name} done", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> None:
    """Run and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default="whatsapp")
    parser.add_argument("--checkins", type=int, default=800)
    parser.add_argument("--throughput", type=int, default=80)
    parser.add_argument("--in-flight", default="1,8")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,3", help="3: three bots side by side (PG)")
    parser.add_argument("--redis-url", default=None, help="also share the budget in Redis")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b != "postgresql" or pg_available()]
    flights = [int(f) for f in args.in_flight.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    results = asyncio.run(
        run(backends, args.checkins, args.throughput, flights, workers, args.redis_url)
    )
    print(json.dumps({
        "benchmark": "dispatch --channel whatsapp",
        "goals": {"server_throttled": 0, "server_max_in_rolling_second": args.throughput},
        "throughput_limit": args.throughput,
        "bot_pacer_rate": args.throughput - 2,
        "results": results,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
