"""Reply handling: simulated customers press buttons and type answers; answers handled per second
end to end (stored, scored, state advanced, next question sent), next to a bare PTB echo handler
on the same local Bot API server in the same run.

    python benchmarks/replies.py [--customers 5000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fresh_database, pg_available
from benchmarks._telegram_setup import CHAT_BASE, seed_due_checkins
from benchmarks.dispatch import make_bot
from bot.local_servers.bot_api import LocalBotApi

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NEXT_QUESTION = "undamaged and complete"


async def wait_until(predicate, limit: float = 600) -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it holds (a benchmark's finish line)."""
    deadline = time.perf_counter() + limit
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.01)


async def echo_rate(server: LocalBotApi, count: int, concurrency: int) -> float:
    """Updates per second for a bare PTB application that echoes every text message, with
    the same update concurrency and connection pool as the bot."""
    app = (
        Application.builder()
        .token("2:ECHO")
        .base_url(server.base_url)
        .concurrent_updates(concurrency)
        .connection_pool_size(max(8, 2 * concurrency))
        .build()
    )
    done = 0

    async def echo(update: object, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal done
        assert isinstance(update, Update) and update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")
        done += 1

    app.add_handler(TypeHandler(Update, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        start = time.perf_counter()
        for i in range(count):
            server.push_message(CHAT_BASE + i, "4")
        await wait_until(lambda: done >= count)
        elapsed = time.perf_counter() - start
        await app.updater.stop()
        await app.stop()
    return count / elapsed


async def bot_rate(
    url: str, schema: str | None, server: LocalBotApi, count: int, concurrency: int
) -> dict:
    """Answers per second through the bot: half tap a button, half type the score."""
    bot = make_bot(url, schema, server, False, 500, concurrent_updates=concurrency)
    await bot.telegram.initialize()
    while (await bot.dispatch()).sent:
        pass
    await bot.telegram.shutdown()
    bot.build_telegram()
    await bot.start_telegram(poll_interval=0)
    questions = {
        m["chat"]["id"]: m for i in range(count) for m in server.messages(CHAT_BASE + i)[-1:]
    }
    assert len(questions) == count, len(questions)

    def handled() -> int:
        return server.stats.by_method.get("sendMessage", 0) - sent_before

    sent_before = server.stats.by_method.get("sendMessage", 0)
    start = time.perf_counter()
    for i in range(count):
        chat = CHAT_BASE + i
        message = questions[chat]
        if i % 2:
            data = message["reply_markup"]["inline_keyboard"][0][3]["callback_data"]  # "4"
            server.push_callback(chat, message["message_id"], data)
        else:
            server.push_message(chat, "4")
    await wait_until(lambda: handled() >= count)
    elapsed = time.perf_counter() - start
    await bot.stop_telegram()
    await bot.close()
    assert NEXT_QUESTION in server.messages(CHAT_BASE)[-1]["text"]
    return {"answers": count, "answers_per_s": round(count / elapsed)}


async def measure(url: str, schema: str | None, count: int, concurrency: int) -> dict:
    async with LocalBotApi() as server:
        echo = await echo_rate(server, count, concurrency)
        ours = await bot_rate(url, schema, server, count, concurrency)
    return {
        **ours,
        "concurrent_updates": concurrency,
        "bare_ptb_echo_per_s": round(echo),
        "ratio": round(ours["answers_per_s"] / echo, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--concurrency", type=int, default=8, help="PTB concurrent_updates")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b != "postgresql" or pg_available()]
    report: dict = {
        "benchmark": "replies",
        "goals": {"answers_per_s": 500, "ratio_vs_echo": 0.5},
        "results": {},
    }
    for backend in backends:
        with fresh_database(backend) as (url, schema):
            seed_due_checkins(url, schema, args.customers, NOW)
            report["results"][backend] = asyncio.run(
                measure(url, schema, args.customers, args.concurrency)
            )
        print(f"{backend}: done", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
