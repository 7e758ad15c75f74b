"""Reply handling: simulated customers press buttons and type answers; answers handled per second
end to end (stored, scored, state advanced, next question sent), next to a bare PTB echo handler
on the same local Bot API server in the same run.

The server runs in its own process (the real Telegram is on another machine), so its CPU is not
in the figures. The baseline is PTB as it comes (its stock httpx transport). Two more figures show
where the rest goes: the echo on the bot's aiohttp transport, and a bare PTB handler that makes the
same Bot API calls an answer costs the bot (two or three) and stores nothing.

    python benchmarks/replies.py [--customers 5000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import BaseRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fresh_database, pg_available
from benchmarks._telegram_setup import CHAT_BASE, seed_due_checkins
from benchmarks.dispatch import ServerAddress, make_bot, server_process
from bot.channels.aiohttp_request import AiohttpRequest
from sandbox.local_servers.bot_api_control import RemoteControl
from sentiment import get_analyzer
from storage.coalesce import Coalescer

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NEXT_QUESTION = "undamaged and complete"


async def wait_until(predicate, limit: float = 600) -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it holds (a benchmark's finish line)."""
    deadline = time.perf_counter() + limit
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.01)


async def poll_until_done(app: Application, finished: Callable[[], bool], count: int) -> float:
    """Start ``app`` polling the updates already queued; ``count`` per second until finished."""
    await app.start()
    start = time.perf_counter()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await wait_until(finished)
    elapsed = time.perf_counter() - start
    await app.updater.stop()
    await app.stop()
    return count / elapsed


async def echo_rate(
    server: ServerAddress, count: int, concurrency: int, request: BaseRequest | None = None
) -> float:
    """Updates per second for a bare PTB application that echoes every text message, handling
    ``concurrency`` updates at once with a pool of twice as many connections; PTB's own
    transport unless ``request`` is given."""
    builder = Application.builder().token("2:ECHO").base_url(server.base_url)
    if request is None:
        builder = builder.connection_pool_size(max(8, 2 * concurrency))
    else:
        builder = builder.request(request)
    app = builder.concurrent_updates(concurrency).build()
    done = 0

    async def echo(update: object, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal done
        assert isinstance(update, Update) and update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")
        done += 1

    app.add_handler(TypeHandler(Update, echo))
    async with app, RemoteControl(server.root) as control:
        await control.push(messages=[(CHAT_BASE + i, "4") for i in range(count)])
        return await poll_until_done(app, lambda: done >= count, count)


async def same_calls_rate(server: ServerAddress, count: int, concurrency: int) -> float:
    """Answers per second for a bare PTB handler (the bot's transport and concurrency) that makes
    the Bot API calls an answer costs the bot (answerCallbackQuery for a button, editMessageText,
    sendMessage with the next question's buttons) and stores nothing: what storage may add to."""
    app = (
        Application.builder()
        .token("3:CALLS")
        .base_url(server.base_url)
        .request(AiohttpRequest(max(8, 2 * concurrency)))
        .concurrent_updates(concurrency)
        .build()
    )
    buttons = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(v), callback_data=f"a:1:1:{v}") for v in range(1, 6)]]
    )
    questions: dict[int, int] = {}
    done = 0

    async def answer(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal done
        assert isinstance(update, Update) and update.effective_chat is not None
        chat = update.effective_chat.id
        if update.callback_query is not None:
            await update.callback_query.answer()
        await ctx.bot.edit_message_text("4 ✔", chat_id=chat, message_id=questions[chat])
        await ctx.bot.send_message(chat, NEXT_QUESTION, reply_markup=buttons)
        done += 1

    app.add_handler(TypeHandler(Update, answer))
    async with app, RemoteControl(server.root) as control:
        for i in range(count):
            chat = CHAT_BASE + i
            questions[chat] = (
                await app.bot.send_message(chat, "?", reply_markup=buttons)
            ).message_id
        await control.push(
            messages=[(CHAT_BASE + i, "4") for i in range(0, count, 2)],
            callbacks=[
                (CHAT_BASE + i, questions[CHAT_BASE + i], "a:1:0:4") for i in range(1, count, 2)
            ],
        )
        return await poll_until_done(app, lambda: done >= count, count)


async def bot_rate(
    url: str, schema: str | None, server: ServerAddress, count: int, concurrency: int
) -> dict:
    """Answers per second through the bot: half tap a button, half type the score."""
    bot = make_bot(url, schema, server, False, 500, concurrent_updates=concurrency)
    await bot.telegram.initialize()
    while (await bot.dispatch()).sent:
        pass
    await bot.telegram.shutdown()
    async with RemoteControl(server.root) as control:
        questions = await control.last_messages(CHAT_BASE, count)
        assert len(questions) == count, len(questions)
        messages, callbacks = [], []
        for i in range(count):
            chat = CHAT_BASE + i
            if i % 2:
                question = questions[chat]
                data = question["reply_markup"]["inline_keyboard"][0][3]["callback_data"]  # "4"
                callbacks.append((chat, question["message_id"], data))
            else:
                messages.append((chat, "4"))
        sent_before = await control.calls("sendMessage")
        await control.push(messages, callbacks)
        bot.build_telegram()
        # The sentiment lexicons load once per process as the bot starts (start_telegram waits
        # for them, about a second): start-up, not answer handling, so not in the figures.
        get_analyzer()
        start, cpu_start = time.perf_counter(), time.process_time()
        await bot.start_telegram(poll_interval=0)
        handled = 0
        while handled < count:  # each answer ends with the next question sent
            await asyncio.sleep(0.05)
            handled = await control.calls("sendMessage") - sent_before
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        await bot.stop_telegram()
        await bot.close()
        last = await control.last_messages(CHAT_BASE, 1)
    assert NEXT_QUESTION in last[CHAT_BASE]["text"]
    batches = {  # how many answers shared each transaction, per kind of write
        name.lstrip("_"): round(c.calls / c.batches, 2)
        for name, c in vars(bot.repos).items()
        if isinstance(c, Coalescer) and c.batches
    }
    return {
        "answers": count,
        "answers_per_s": round(count / elapsed),
        "bot_cpu_ms_per_answer": round(1000 * cpu / count, 2),
        "answers_per_transaction": batches,
    }


async def measure(url: str, schema: str | None, count: int, concurrency: int) -> dict:
    """One backend: the stock PTB echo, the echo on the bot's transport, then the bot."""
    with server_process(history=2, control=True) as server:
        # The stock echo is slower with many updates at once; the baseline is its better figure.
        echo_by_concurrency = {
            n: round(await echo_rate(server, count, n)) for n in sorted({8, concurrency})
        }
        echo = max(echo_by_concurrency.values())
        echo_aiohttp = await echo_rate(
            server, count, concurrency, AiohttpRequest(max(8, 2 * concurrency))
        )
    with server_process(history=2, control=True) as server:
        no_storage = await same_calls_rate(server, count, concurrency)
    with server_process(history=2, control=True) as server:
        ours = await bot_rate(url, schema, server, count, concurrency)
    return {
        **ours,
        "concurrent_updates": concurrency,
        "bare_ptb_echo_per_s": round(echo),
        "bare_ptb_echo_by_concurrency": echo_by_concurrency,
        "ratio": round(ours["answers_per_s"] / echo, 3),
        "echo_on_aiohttp_transport_per_s": round(echo_aiohttp),
        "ratio_vs_echo_on_same_transport": round(ours["answers_per_s"] / echo_aiohttp, 3),
        "same_calls_no_storage_per_s": round(no_storage),
        "ratio_vs_same_calls_no_storage": round(ours["answers_per_s"] / no_storage, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="PTB concurrent_updates (the config default)"
    )
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
