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
    url: str, schema: str | None, root: str, throughput: float, in_flight: int
) -> Mentorbot:
    """A bot with WhatsApp pointed at the server at ``root`` (Telegram built, never started)."""
    name = TEMPLATE[0]
    config = Config.model_validate({
        "database": {"url": url},
        "survey": {"dispatch_batch": 500, "checkins_in_flight": in_flight},
        "telegram": {"token": "1:BENCH", "base_url": "http://127.0.0.1:9/bot"},
        "whatsapp": {"enabled": True, "token": TOKEN, "phone_number_id": PHONE_NUMBER_ID,
                     "app_secret": "s", "verify_token": "v", "base_url": root,
                     "throughput": throughput, "daily_tier": 10**9,
                     "templates": {"delivery": name, "usage": name, "recovery": name}},
    })  # fmt: skip
    bot = Mentorbot(config, clock=lambda: NOW, db_schema=schema)
    bot.build_telegram()
    return bot


async def dispatch_run(url: str, schema: str | None, root: str, count: int, throughput: float,
                       in_flight: int) -> dict:  # fmt: skip
    """Dispatch ``count`` due check-ins to the server at ``root``; the figures."""
    bot = make_bot(url, schema, root, throughput, in_flight)
    wiring = bot.whatsapp
    assert wiring is not None
    await wiring.client.start()
    sent = failed = 0
    start, cpu = time.perf_counter(), time.process_time()
    try:
        while sent + failed < count:
            report = await bot.dispatch()
            if not report.sent and not report.failed:
                break
            sent, failed = sent + report.sent, failed + report.failed
    finally:
        wall = time.perf_counter() - start
        cpu_s = time.process_time() - cpu
        await wiring.client.close()
        await bot.close()
    pace = wiring.pacer.report
    return {
        "checkins": count,
        "in_flight": in_flight,
        "sent": sent,
        "failed": failed,
        "checkins_per_s": round(sent / wall, 1),
        "cpu_ms_per_checkin": round(cpu_s * 1000 / max(sent, 1), 3),
        "pacer_waits": {
            "throughput": pace.throughput_waits,
            "pair": pace.pair_waits,
            "waited_s": round(pace.waited_s, 2),
        },
        "daily_tier_waits": wiring.wd.waiting.get("daily_tier", 0),
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


async def run(backends: list[str], count: int, throughput: int, flights: list[int]) -> dict:
    """The bare paced loop, then the dispatcher per backend and check-ins in flight."""
    results: dict = {
        "bare_client_paced_baseline": await with_server(
            throughput,
            lambda root: bare_send_loop(root, count, 16, pace=throughput - 1, pace_window=1.2),
        )
    }
    for backend in backends:
        for in_flight in flights:
            with fresh_database(backend) as (url, schema):
                seed(url, schema, count)
                results[f"{backend}_in_flight_{in_flight}"] = await with_server(
                    throughput,
                    lambda root, url=url, schema=schema, n=in_flight: dispatch_run(
                        url, schema, root, count, throughput - 2, n
                    ),
                )
            print(f"{backend} in flight {in_flight} done", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> None:
    """Run and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default="whatsapp")
    parser.add_argument("--checkins", type=int, default=800)
    parser.add_argument("--throughput", type=int, default=80)
    parser.add_argument("--in-flight", default="1,8")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b != "postgresql" or pg_available()]
    flights = [int(f) for f in args.in_flight.split(",")]
    results = asyncio.run(run(backends, args.checkins, args.throughput, flights))
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
