"""Escalation latency: a customer's flagged answer arriving to its case card posted in Slack,
next to a bare slack_sdk ``chat.postMessage`` to the same local Slack server in the same run;
then cards delivered after a Slack outage (all of them, once each, in order).

Everything runs in one asyncio process against the local servers (``LocalBotApi`` for the
customers, ``LocalSlackApi`` for the desk), on real time. Setup (not timed): customers with a
purchase and a due usage check-in are seeded, the check-ins are dispatched (the NPS question
reaches each chat), then the bot's clock starts running in real time and its scheduler (outbox
retries every ``support.outbox_every``) is started as ``Mentorbot.serve`` does.

1. Latency: each customer presses NPS "2" (a hard-low score: flagged on its own). Latency =
   the press pushed to the local Telegram server (wall time) -> the local Slack server
   answering the ``chat.postMessage`` of that case's card (its call log time). Two paces,
   ``--sequential`` answers one at a time (the next ``--gap`` s after the previous card), then
   ``--answers`` at a steady ``--rate`` per second. Baseline "bare_post": as many sequential
   ``chat.postMessage`` calls with a plain ``AsyncWebClient`` (built as the bot builds its
   own) posting the same card blocks, each round trip timed.
2. Burst: ``--burst`` presses pushed at once; latency of each and time to the last card.
3. Outage: Slack answers 503 to everything for ``--outage`` s; ``--outage-answers`` flagged
   answers arrive spread over the first 3/4 of it; then Slack comes back. Reported: cards
   posted, duplicates (card posts vs distinct case ids), time from the outage ending to the
   first and last card, and whether the cards went out in case (outbox) order and in the order
   the answers arrived.

    python benchmarks/escalation.py [--quick] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fresh_database, pg_available
from benchmarks._escalation_setup import (
    CHAT_BASE,
    BenchClock,
    percentiles,
    seed_usage_checkins,
)
from bot.app import Mentorbot
from bot.config import Config
from bot.scheduler import build_scheduler
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import Call, LocalSlackApi
from storage.models import Case, OutboxMessage

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam, business hours
TOKEN = "xoxb-bench"
CHANNEL = "C0SUPPORT"
BARE_CHANNEL = "C0BARE"
ORDER = re.compile(r"ESC-(\d{7})")
FLAGGED = "2"  # NPS 2: hard-low, opens a case without any words


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_bot(url: str, schema: str | None, tg: LocalBotApi, slack: LocalSlackApi, clock: Any):
    """A bot on the benchmark database with Telegram and the Slack desk on the local servers."""
    config = Config.model_validate(
        {
            "database": {"url": url},
            "survey": {"dispatch_batch": 500},
            "telegram": {
                "token": "1:BENCH",
                "base_url": tg.base_url,
                "base_file_url": tg.base_file_url,
                "rate_limit": False,
            },
            "slack": {
                "bot_token": TOKEN,
                "signing_secret": "bench-signing-secret",
                "support_channel": CHANNEL,
                "base_url": slack.base_url,
            },
        }
    )
    bot = Mentorbot(config, clock=clock, db_schema=schema)
    assert bot.support is not None, "the support desk is not installed"
    bot.build_telegram()
    return bot


def card_of(call: Call) -> tuple[int, int] | None:
    """(case id, customer's chat) of a case card post (its buttons carry the case id, its order
    line the seeded order number), None for other posts."""
    if call.method != "chat.postMessage" or call.params.get("thread_ts"):
        return None
    if call.params.get("channel") != CHANNEL:
        return None
    case_id = None
    for block in call.params.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "actions":
            for element in block.get("elements") or []:
                value = element.get("value")
                if value and str(value).isdigit():
                    case_id = int(value)
    order = ORDER.search(json.dumps(call.params.get("blocks") or []))
    if case_id is None or order is None:
        return None
    return case_id, CHAT_BASE + int(order.group(1))


@dataclass(frozen=True)
class Post:
    """One successful case card post: its case, the customer's chat, the server's time."""

    case_id: int
    chat: int
    at: float


@dataclass
class CardLog:
    """Reads the local Slack server's call log as it grows: card posts in the order answered."""

    slack: LocalSlackApi
    index: int = 0
    posts: list[Post] = field(default_factory=list)
    first: dict[int, float] = field(default_factory=dict)  # chat -> its first card's time
    failed_posts: int = 0

    def scan(self) -> None:
        calls = self.slack.calls
        while self.index < len(calls):
            call = calls[self.index]
            self.index += 1
            card = card_of(call)
            if card is None:
                continue
            if call.ok:
                self.posts.append(Post(card[0], card[1], call.time))
                self.first.setdefault(card[1], call.time)
            else:
                self.failed_posts += 1

    def missing(self, chats: Iterable[int]) -> int:
        self.scan()
        return sum(1 for chat in chats if chat not in self.first)

    async def wait_for(self, chats: list[int], limit: float, quiet: bool = False) -> bool:
        """Until every chat in ``chats`` has its card posted; False when ``limit`` s pass."""
        start = time.monotonic()
        report = start + 10
        while missing := self.missing(chats):
            now = time.monotonic()
            if now > start + limit:
                progress(f"  gave up: {missing} of {len(chats)} cards not posted after {limit:g}s")
                return False
            if now > report and not quiet:
                progress(f"  waiting: {missing} of {len(chats)} cards still to be posted")
                report = now + 10
            await asyncio.sleep(0.005)
        return True

    def of(self, chats: Iterable[int]) -> list[Post]:
        """The card posts (duplicates included) for these customers' chats, in order."""
        self.scan()
        wanted = set(chats)
        return [p for p in self.posts if p.chat in wanted]


def summary(log: CardLog, pushed: dict[int, float]) -> dict[str, Any]:
    """Cards, duplicates and latencies (push -> first card) for the pushed chats."""
    posts = log.of(pushed)
    cases = Counter(p.case_id for p in posts)
    latencies = [log.first[chat] - at for chat, at in pushed.items() if chat in log.first]
    return {
        "cards_posted": len(posts),
        "distinct_cases": len(cases),
        "duplicates": len(posts) - len(cases),
        "latency_ms": percentiles(latencies),
    }


async def setup(bot: Mentorbot, tg: LocalBotApi, count: int) -> dict[int, tuple[int, str]]:
    """Dispatch every due check-in; per chat, the NPS question's message id and "2" data."""
    await bot.start_telegram(poll_interval=0)
    while (await bot.dispatch()).sent:
        pass
    buttons: dict[int, tuple[int, str]] = {}
    for i in range(count):
        chat = CHAT_BASE + i
        for message in reversed(tg.messages(chat)):
            markup = message.get("reply_markup", {}).get("inline_keyboard", [])
            keys = [b for row in markup for b in row]
            data = next((b["callback_data"] for b in keys if b["text"] == FLAGGED), None)
            if data is not None:
                buttons[chat] = (message["message_id"], data)
                break
    assert len(buttons) == count, f"only {len(buttons)} of {count} chats got the NPS question"
    return buttons


def press(tg: LocalBotApi, buttons: dict[int, tuple[int, str]], chat: int) -> float:
    """The customer presses NPS "2"; returns the wall time the update was pushed."""
    message_id, data = buttons[chat]
    at = time.time()
    tg.push_callback(chat, message_id, data)
    return at


async def steady(
    tg: LocalBotApi, log: CardLog, chats: list[int], buttons: dict, rate: float
) -> dict:
    pushed: dict[int, float] = {}
    cpu = time.process_time()
    start = time.monotonic()
    for n, chat in enumerate(chats):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pushed[chat] = press(tg, buttons, chat)
        if (n + 1) % 200 == 0:
            done = len(chats[: n + 1]) - log.missing(chats[: n + 1])
            progress(f"  steady: {n + 1}/{len(chats)} answers sent, {done} cards posted")
    sending = time.monotonic() - start
    cpu_sending = time.process_time() - cpu
    cards_sending = len(chats) - log.missing(chats)
    complete = await log.wait_for(chats, 600)
    last = max(log.first.values(), default=0.0)
    return {
        "answers": len(chats),
        "pace": f"steady, {rate:g} answers/s (one NPS '2' button press every {1000 / rate:g} ms)",
        "sending_s": round(sending, 2),
        "cards_posted_while_sending": cards_sending,
        "cards_per_s_while_sending": round(cards_sending / sending, 1),
        "process_cpu_pct_while_sending": round(100 * cpu_sending / sending),
        "first_push_to_last_card_s": round(last - min(pushed.values()), 2),
        **summary(log, pushed),
        "all_posted": complete,
    }


async def sequential(
    tg: LocalBotApi, log: CardLog, chats: list[int], buttons: dict, gap: float
) -> dict:
    """One answer at a time: the next is pushed ``gap`` s after the previous card is posted."""
    pushed: dict[int, float] = {}
    cpu, start = time.process_time(), time.monotonic()
    for n, chat in enumerate(chats):
        pushed[chat] = press(tg, buttons, chat)
        if not await log.wait_for([chat], 30, quiet=True):
            break
        await asyncio.sleep(gap)
        if (n + 1) % 100 == 0:
            progress(f"  sequential: {n + 1}/{len(chats)} cards posted")
    wall = time.monotonic() - start
    return {
        "answers": len(chats),
        "pace": f"sequential: next answer {gap * 1000:g} ms after the previous card is posted",
        "duration_s": round(wall, 1),
        "process_cpu_pct": round(100 * (time.process_time() - cpu) / wall),
        **summary(log, pushed),
    }


async def bare_posts(slack: LocalSlackApi, count: int, blocks: list, text: str) -> dict:
    """``count`` sequential chat.postMessage calls with a plain AsyncWebClient, each timed."""
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url, timeout=10)
    times: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        response = await client.chat_postMessage(channel=BARE_CHANNEL, text=text, blocks=blocks)
        times.append(time.perf_counter() - start)
        assert response["ok"]
    return {
        "posts": count,
        "how": "sequential AsyncWebClient(token, base_url).chat_postMessage with the same card "
        "blocks and text, round trip timed (client built as the bot builds its own)",
        "latency_ms": percentiles(times),
    }


async def burst(tg: LocalBotApi, log: CardLog, chats: list[int], buttons: dict) -> dict:
    pushed = {chat: press(tg, buttons, chat) for chat in chats}
    await log.wait_for(chats, 300)
    last = max((log.first[chat] for chat in chats if chat in log.first), default=0.0)
    return {
        "answers": len(chats),
        "pace": "all pushed at once",
        **summary(log, pushed),
        "first_push_to_last_card_s": round(last - min(pushed.values()), 3),
    }


async def outage(
    bot: Mentorbot,
    tg: LocalBotApi,
    slack: LocalSlackApi,
    log: CardLog,
    chats: list[int],
    buttons: dict,
    seconds: float,
) -> dict:
    log.scan()
    failed_before = log.failed_posts
    pushed: dict[int, float] = {}
    slack.set_outage(True)
    on = time.monotonic()
    spread = seconds * 0.75
    for n, chat in enumerate(chats):
        delay = on + spread * n / max(len(chats), 1) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pushed[chat] = press(tg, buttons, chat)
    progress(f"  outage: {len(chats)} answers sent during the outage")
    await asyncio.sleep(max(0.0, on + seconds - time.monotonic()))
    during = len(log.of(chats))
    slack.set_outage(False)
    off = time.time()
    progress(f"  outage over after {seconds:g}s; waiting for the cards")
    timed_out = not await log.wait_for(chats, seconds + 300)
    await asyncio.sleep(3)  # a late duplicate would show up here
    posts = log.of(chats)
    cases = Counter(p.case_id for p in posts)
    posted_ids = list(dict.fromkeys(p.case_id for p in posts))
    posted_chats = list(dict.fromkeys(p.chat for p in posts))
    arrival = [c for c in chats if c in set(posted_chats)]
    async with bot.db.session() as s:
        opened = (
            await s.execute(
                select(Case.id).where(Case.customer_id.in_([c - CHAT_BASE + 1 for c in chats]))  # type: ignore[attr-defined]
            )
        ).scalars()
        case_ids = list(opened)
        rows = await s.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).where(
                OutboxMessage.case_id.in_(case_ids)  # type: ignore[union-attr]
            )
        )
        outbox = rows.all()
    return {
        "outage_s": seconds,
        "answers_during_outage": len(chats),
        "pace": f"spread evenly over the first {spread:g} s of the outage",
        "cases_opened": len(case_ids),
        "cards_posted": len(posts),
        "distinct_cases_posted": len(cases),
        "duplicates": len(posts) - len(cases),
        "delivered_pct": round(100 * len(cases) / len(chats), 2),
        "cards_posted_during_outage": during,
        "card_posts_refused_by_outage": log.failed_posts - failed_before,
        "outbox_status": dict(Counter(str(status) for status, _ in outbox)),
        "outbox_max_attempts": max((attempts for _, attempts in outbox), default=0),
        "outage_end_to_first_card_s": round(min(p.at for p in posts) - off, 3) if posts else None,
        "outage_end_to_last_card_s": round(max(p.at for p in posts) - off, 3) if posts else None,
        "in_case_order": posted_ids == sorted(posted_ids),
        "in_arrival_order": posted_chats == arrival,
        "arrival_order_note": "cases are numbered when the bot opens them; answers handled "
        "concurrently (PTB concurrent_updates) may open cases out of arrival order",
        "cards_overtaken_by_a_later_answer": sum(
            1 for i, chat in enumerate(posted_chats) if any(a > chat for a in posted_chats[:i])
        ),
        "timed_out": timed_out,
    }


def ratios(ours: dict, base: dict) -> dict:
    return {
        f"{p}_ratio": round(ours[p] / base[p], 2) if base.get(p) else None
        for p in ("p50", "p95", "p99")
    }


async def measure(url: str, schema: str | None, args: argparse.Namespace) -> dict:
    total = args.sequential + args.answers + args.burst + args.outage_answers
    clock = BenchClock(NOW)
    async with LocalBotApi() as tg, LocalSlackApi(TOKEN) as slack:
        bot = make_bot(url, schema, tg, slack, clock)
        scheduler = None
        try:
            progress(f"  setup: dispatching {total} usage check-ins")
            buttons = await setup(bot, tg, total)
            clock.run()
            scheduler = build_scheduler(
                bot.dispatch, bot.config.survey.dispatch_every, None, bot.jobs
            )
            scheduler.start()
            log = CardLog(slack)
            chats = [CHAT_BASE + i for i in range(total)]
            cut = list(accumulate((args.sequential, args.answers, args.burst)))
            seq_chats, steady_chats = chats[: cut[0]], chats[cut[0] : cut[1]]
            burst_chats, outage_chats = chats[cut[1] : cut[2]], chats[cut[2] :]
            result: dict[str, Any] = {}
            if seq_chats:
                progress(f"  sequential: {len(seq_chats)} flagged answers one at a time")
                result["sequential"] = await sequential(tg, log, seq_chats, buttons, args.gap)
            progress(f"  steady: {len(steady_chats)} flagged answers at {args.rate:g}/s")
            result["steady"] = await steady(tg, log, steady_chats, buttons, args.rate)
            sample = next(c for c in slack.calls if card_of(c) is not None and c.ok)
            posts = max(args.answers, args.sequential)
            progress(f"  bare_post: {posts} plain chat.postMessage calls")
            result["bare_post"] = await bare_posts(
                slack, posts, sample.params["blocks"], sample.params.get("text") or ""
            )
            base = result["bare_post"]["latency_ms"]
            result["vs_bare_post"] = {"baseline": "bare_post"}
            for name in ("sequential", "steady"):
                if name in result:
                    result["vs_bare_post"][name] = ratios(result[name]["latency_ms"], base)
            if burst_chats:
                progress(f"  burst: {len(burst_chats)} flagged answers at once")
                result["burst"] = await burst(tg, log, burst_chats, buttons)
            if outage_chats:
                progress(f"  outage: Slack down for {args.outage:g}s")
                result["outage"] = await outage(
                    bot, tg, slack, log, outage_chats, buttons, args.outage
                )
            log.scan()
            all_counts = Counter(p.case_id for p in log.posts)
            result["whole_run"] = {
                "card_posts": len(log.posts),
                "distinct_cases": len(all_counts),
                "duplicates": len(log.posts) - len(all_counts),
            }
            out = result.get("outage", {})
            result["goals_met"] = {
                f"{name}_p95_under_1s": result[name]["latency_ms"].get("p95", 1e9) < 1000
                for name in ("sequential", "steady")
                if name in result
            }
            result["goals_met"]["no_duplicate_cards_whole_run"] = len(log.posts) == len(all_counts)
            if out:
                result["goals_met"]["outage_all_delivered_once_in_order"] = (
                    out["delivered_pct"] == 100 and out["duplicates"] == 0 and out["in_case_order"]
                )
            return result
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await bot.stop_telegram()
            await bot.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 answers, a 10 s outage")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--answers", type=int, help="steady flagged answers (default 1000)")
    parser.add_argument("--rate", type=float, default=20.0, help="steady answers per second")
    parser.add_argument(
        "--sequential", type=int, help="answers sent one at a time first (default 1000)"
    )
    parser.add_argument(
        "--gap", type=float, default=0.02, help="sequential: seconds after each card"
    )
    parser.add_argument("--burst", type=int, help="answers pushed at once (default 100)")
    parser.add_argument("--outage", type=float, help="Slack outage seconds (default 60)")
    parser.add_argument("--outage-answers", type=int, help="answers during the outage (300)")
    args = parser.parse_args()
    defaults = (100, 100, 20, 10.0, 50) if args.quick else (1000, 1000, 100, 60.0, 300)
    names = ("sequential", "answers", "burst", "outage", "outage_answers")
    for name, value in zip(names, defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, value)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not pg_available():
        raise SystemExit("PostgreSQL is not reachable (MENTORBOT_TEST_PG_URL)")
    report: dict[str, Any] = {
        "benchmark": "escalation",
        "mode": "quick" if args.quick else "full",
        "goals": {
            "flagged_answer_to_card_p95_ms": 1000,
            "outage_delivered_pct": 100,
            "outage_duplicates": 0,
        },
        "setup": {
            "servers": "LocalBotApi and LocalSlackApi in the benchmark's own process and loop",
            "flagged_answer": "NPS 2 button press on the usage check-in (a new customer each)",
            "latency": "update pushed to the local Telegram server -> local Slack server "
            "answers the card's chat.postMessage (wall clock, same process)",
            "outbox_every_s": 2,
            "process_cpu_pct": "CPU time of this one process (bot, both local servers, driver) "
            "over wall time: near 100 means the process is saturated",
        },
        "results": {},
    }
    for backend in backends:
        progress(f"{backend}:")
        with fresh_database(backend) as (url, schema):
            total = args.sequential + args.answers + args.burst + args.outage_answers
            seed_usage_checkins(url, schema, total, NOW)
            report["results"][backend] = asyncio.run(measure(url, schema, args))
        progress(f"{backend}: done")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
