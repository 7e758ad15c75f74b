"""Dispatch throughput: due check-ins through the whole dispatch path to the local Bot API.

1. Unlimited: N due check-ins (claim, fatigue rules, intro + first question sent, state saved,
   marked sent) next to a bare PTB ``send_message`` loop to the same server, same run, and
   next to the floor of one check-in in flight: the bot's own client sending the same message
   with one one-row commit after each send (``send_then_commit_loop``).
2. Telegram's limits enforced by the local server in its own process (rolling windows: 30 sends
   in any second, 1 per chat per second, 429 beyond) with the bot's pacing on: sustained rate,
   429s, and the most sends any rolling second held, per backend.
3. Several workers on PostgreSQL: 1 worker (the baseline), then 3 worker processes draining
   the same due check-ins, pacing each alone (``local``: how it was) and sharing the budget
   (``database``, ``redis``): combined rate, 429s, most sends in a rolling second.
4. Memory: peak RSS while dispatching with many more check-ins scheduled in the database.

    python benchmarks/dispatch.py [--checkins 100000] [--limited 600] [--workers-checkins 600]
                                  [--scheduled 1000000] [--in-flight 1]
    python benchmarks/dispatch.py --channel whatsapp ...   (benchmarks/dispatch_whatsapp.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fresh_database, peak_rss_mb, pg_available, rss_mb
from benchmarks._telegram_setup import CHAT_BASE, seed_due_checkins
from bot.app import Mentorbot
from bot.config import Config
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.bot_api_control import RemoteControl

REDIS_URL = "redis://127.0.0.1:6379/0"

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ServerAddress:
    """Where a Bot API server listens: all a bot needs to reach it."""

    base_url: str
    base_file_url: str

    @property
    def root(self) -> str:
        """``http://HOST:PORT``, where the ``/_local/`` control routes live."""
        return self.base_url.removesuffix("/bot")


def make_bot(
    url: str,
    schema: str | None,
    server: LocalBotApi | ServerAddress,
    rate_limit: bool,
    batch: int,
    concurrent_updates: int = 8,
    pacing: str = "auto",
    token: str = "1:BENCH",
    in_flight: int = 1,
) -> Mentorbot:
    """A bot on the benchmark database, pointed at ``server``, on a fixed clock; ``pacing``
    is ``telegram.rate_limit_backend`` (``token``: its id names the shared budget)."""
    config = Config.model_validate(
        {
            "database": {"url": url},
            "survey": {"dispatch_batch": batch, "checkins_in_flight": in_flight},
            "telegram": {
                "token": token,
                "base_url": server.base_url,
                "base_file_url": server.base_file_url,
                "rate_limit": rate_limit,
                "concurrent_updates": concurrent_updates,
                "rate_limit_backend": pacing,
                "redis_url": REDIS_URL if pacing == "redis" else None,
            },
        }
    )
    bot = Mentorbot(config, clock=lambda: NOW, db_schema=schema)
    bot.build_telegram()
    return bot


async def bare_loop(server: LocalBotApi | ServerAddress, count: int) -> float:
    """Messages per second for a plain sequential PTB send_message loop sending the same
    message the dispatcher sends (intro, first question, five buttons)."""
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(v), callback_data=f"a:1:0:{v}") for v in range(1, 6)]]
    )
    text = (
        "Hi Customer! Your order should have arrived by now.\n\nHow satisfied are you with "
        "the delivery? (1 = very unhappy, 5 = very happy)"
    )
    async with Bot("1:BENCH", base_url=server.base_url) as bot:
        start = time.perf_counter()
        for i in range(count):
            await bot.send_message(CHAT_BASE + i, text, reply_markup=keyboard)
        return count / (time.perf_counter() - start)


async def send_then_commit_loop(bot: Mentorbot, count: int) -> float:
    """Check-ins per second no design with one check-in in flight can beat: the bot's own
    Telegram client sends the same message, and after each send one one-row write is committed
    (the least a durable "sent" mark costs) before the next goes out. Nothing else: no claims,
    no rendering, no conversation state."""
    from sqlalchemy import text

    touch = text("UPDATE checkins SET attempt_count = attempt_count WHERE id = :id")
    text_ = (
        "Hi Customer! Your order should have arrived by now.\n\nHow satisfied are you with "
        "the delivery? (1 = very unhappy, 5 = very happy)"
    )
    markup = {
        "inline_keyboard": [[{"text": str(v), "callback_data": f"a:1:0:{v}"} for v in range(1, 6)]]
    }
    client = bot.telegram.bot
    await client.initialize()
    try:
        start = time.perf_counter()
        for i in range(count):
            data = {"chat_id": CHAT_BASE + i, "text": text_, "reply_markup": markup}
            await client.post_unparsed("sendMessage", data)
            if bot.db.dialect == "postgresql":  # autocommit: the statement commits itself
                async with bot.db.engine.connect() as conn:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(touch, {"id": i + 1})
            else:
                async with bot.db.engine.begin() as conn:
                    await conn.execute(touch, {"id": i + 1})
        return count / (time.perf_counter() - start)
    finally:
        await client.shutdown()


async def drain(bot: Mentorbot, rss: list[float] | None = None) -> int:
    await bot.telegram.initialize()
    sent = 0
    try:
        while True:
            report = await bot.dispatch()
            sent += report.sent
            if rss is not None:
                rss.append(rss_mb())
            if report.sent + report.rescheduled + report.failed + report.cancelled == 0:
                return sent
    finally:
        await bot.telegram.shutdown()
        await bot.close()


@contextmanager
def server_process(
    history: int = 0, control: bool = False, limits: bool = False
) -> Iterator[ServerAddress]:
    """The local Bot API server in its own process, as the real one is on another machine.

    ``history``: bot messages kept per chat; ``control``: mount the ``/_local/`` routes;
    ``limits``: enforce Telegram's send limits.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.local_servers.bot_api",
            "--port",
            str(port),
            "--quiet",
            "--history",
            str(history),
            *(["--control"] if control else []),
            *(["--enforce-limits"] if limits else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield ServerAddress(f"http://127.0.0.1:{port}/bot", f"http://127.0.0.1:{port}/file/bot")
    finally:
        proc.terminate()
        proc.wait(5)


async def unlimited(
    url: str, schema: str | None, count: int, batch: int, in_flight: int = 1
) -> dict:
    with server_process() as server:
        base = await bare_loop(server, count)
        floor_bot = make_bot(url, schema, server, rate_limit=False, batch=batch)
        try:
            floor = await send_then_commit_loop(floor_bot, min(count, 2000))
        finally:
            await floor_bot.close()
        bot = make_bot(url, schema, server, rate_limit=False, batch=batch, in_flight=in_flight)
        start, cpu = time.perf_counter(), time.process_time()
        sent = await drain(bot)
        rate = sent / (time.perf_counter() - start)
        cpu_ms = (time.process_time() - cpu) * 1000 / max(sent, 1)  # the server's is elsewhere
    assert sent == count, (sent, count)
    return {
        "checkins": count,
        "checkins_in_flight": in_flight,
        "dispatch_checkins_per_s": round(rate),
        "bare_ptb_send_loop_per_s": round(base),
        "ratio": round(rate / base, 3),
        # the ceiling for one in flight: a send, then a commit, nothing else
        "bot_cpu_ms_per_checkin": round(cpu_ms, 3),  # steadier than rates on a loaded machine
        "send_then_commit_loop_per_s": round(floor),
        "ratio_to_send_then_commit": round(rate / floor, 3),
    }


async def server_figures(server: ServerAddress) -> dict:
    """From the server: 429s, accepted sends, the most in any rolling second, and the sustained
    rate (sends per second from the first accepted send to the last)."""
    async with RemoteControl(server.root) as control:
        stats = await control.stats()
    span = stats["first_to_last_send_s"]
    return {
        "http_429s": stats["rejected_429"],
        "accepted_sends": stats["accepted_sends"],
        "max_sends_in_rolling_second": stats["max_sends_in_rolling_second"],
        "max_attempts_in_rolling_second": stats["max_attempts_in_rolling_second"],
        "sustained_msgs_per_s": round((stats["accepted_sends"] - 1) / span, 2) if span else None,
    }


async def limited(url: str, schema: str | None, count: int) -> dict:
    with server_process(control=True, limits=True) as server:
        bot = make_bot(url, schema, server, rate_limit=True, batch=100)
        start = time.perf_counter()
        sent = await drain(bot)
        elapsed = time.perf_counter() - start
        return {
            "checkins": sent,
            "end_to_end_msgs_per_s": round(sent / elapsed, 2),  # start and shutdown included
            **await server_figures(server),
        }


def _worker(
    url: str, schema: str | None, server: ServerAddress, pacing: str, token: str, start_at: float
) -> dict:
    """One worker process: wait for the common start, drain due check-ins, say when done."""

    async def run() -> dict:
        bot = make_bot(url, schema, server, rate_limit=True, batch=100, pacing=pacing, token=token)
        await bot.telegram.initialize()
        await bot.telegram.bot.get_me()  # connected before the clock starts
        await asyncio.sleep(max(0.0, start_at - time.time()))
        sent = 0
        try:
            while True:
                report = await bot.dispatch()
                sent += report.sent
                if report.sent + report.rescheduled + report.failed + report.cancelled == 0:
                    break
        finally:
            finished = time.time()
            await bot.telegram.shutdown()
            await bot.close()
        return {"sent": sent, "finished": finished}

    return asyncio.run(run())


def workers_run(url: str, schema: str | None, workers: int, pacing: str) -> dict:
    """``workers`` processes draining the same due check-ins against one limited server."""
    token = f"{int(time.time() * 1000) % 10**9}:BENCH"  # a fresh shared budget per run
    with server_process(control=True, limits=True) as server:
        start_at = time.time() + 4 + workers
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [
                pool.submit(_worker, url, schema, server, pacing, token, start_at)
                for _ in range(workers)
            ]
            results = [f.result() for f in futures]
        elapsed = max(r["finished"] for r in results) - start_at
        sent = sum(r["sent"] for r in results)
        return {
            "workers": workers,
            "pacing": pacing,
            "checkins_sent": sent,
            "sent_per_worker": [r["sent"] for r in results],
            "end_to_end_msgs_per_s": round(sent / elapsed, 2),
            **asyncio.run(server_figures(server)),
        }


async def memory(url: str, schema: str | None, due: int, batch: int) -> dict:
    samples: list[float] = []
    async with LocalBotApi(history_per_chat=0) as server:
        bot = make_bot(url, schema, server, rate_limit=False, batch=batch)
        before = rss_mb()
        sent = await drain(bot, samples)
    return {
        "dispatched": sent,
        "rss_before_mb": round(before, 1),
        "rss_during_max_mb": round(max(samples), 1),
        "peak_rss_process_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--limited", type=int, default=600)
    parser.add_argument("--workers-checkins", type=int, default=600)
    parser.add_argument("--worker-pacings", default="local,database,redis")
    parser.add_argument("--scheduled", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1,
        help="survey.checkins_in_flight for the unlimited run (also the most a crash repeats)",
    )
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b != "postgresql" or pg_available()]
    report: dict = {
        "benchmark": "dispatch",
        "goals": {
            "ratio_vs_bare_loop": 0.5,
            "limited_sustained_msgs_per_s": 29,
            "limited_429s": 0,
            "limited_max_sends_in_rolling_second": 30,
            "three_workers_sharing_429s": 0,
            "three_workers_max_sends_in_rolling_second": 30,
            "rss_with_1M_scheduled_mb": 200,
        },
        "results": {},
    }
    for backend in backends:
        result: dict = {}
        if args.checkins:
            with fresh_database(backend) as (url, schema):
                seed_due_checkins(url, schema, args.checkins, NOW)
                result["unlimited"] = asyncio.run(
                    unlimited(url, schema, args.checkins, args.batch, args.in_flight)
                )
            print(f"{backend}: unlimited done", file=sys.stderr)
        with fresh_database(backend) as (url, schema):
            seed_due_checkins(url, schema, args.limited, NOW)
            result["telegram_limits"] = asyncio.run(limited(url, schema, args.limited))
        print(f"{backend}: limited done", file=sys.stderr)
        report["results"][backend] = result
    if args.workers_checkins and "postgresql" in backends:
        runs = [(1, "database")]
        runs += [(3, p) for p in args.worker_pacings.split(",") if p]
        report["workers_postgresql"] = {}
        for workers, pacing in runs:
            with fresh_database("postgresql") as (url, schema):
                seed_due_checkins(url, schema, args.workers_checkins, NOW)
                name = f"{workers}_workers_{pacing}" if workers > 1 else "1_worker_baseline"
                report["workers_postgresql"][name] = workers_run(url, schema, workers, pacing)
            print(f"postgresql: {workers} worker(s), {pacing} pacing done", file=sys.stderr)
    if args.scheduled:
        with fresh_database("sqlite") as (url, schema):
            seed_due_checkins(url, schema, 5000, NOW, future=args.scheduled)
            report["memory_sqlite"] = {
                "scheduled_checkins": args.scheduled,
                **asyncio.run(memory(url, schema, 5000, args.batch)),
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if "--channel" in sys.argv and sys.argv[sys.argv.index("--channel") + 1 :][:1] == ["whatsapp"]:
        from benchmarks.dispatch_whatsapp import main as whatsapp_main

        whatsapp_main()
    else:
        main()
