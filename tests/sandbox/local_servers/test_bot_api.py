"""The local Bot API server, driven by the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from sandbox.local_servers.bot_api import LocalBotApi
from tests.local_http import serve

TOKEN = "123456:TEST-token"
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def seconds(value: float | dtm.timedelta) -> float:
    """RetryAfter.retry_after as seconds (an int today, a timedelta in later PTB versions)."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ]
    ]
)


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    """A started local Bot API server."""
    async with LocalBotApi(username="mentorbot_demo_bot", first_name="Mentorbot") as srv:
        yield srv


@pytest.fixture
async def bot(server: LocalBotApi) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the local server."""
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


async def test_get_me_returns_configured_identity(server: LocalBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.username, me.first_name, me.is_bot) == ("mentorbot_demo_bot", "Mentorbot", True)
    assert server.base_url == f"http://127.0.0.1:{server.port}/bot"
    assert [c.method for c in server.calls] == ["getMe", "getMe"]  # initialize() + get_me()


async def test_send_message_keeps_keyboard_and_edit_removes_it(
    server: LocalBotApi, bot: Bot
) -> None:
    sent = await bot.send_message(
        42, "<b>How</b> was it?", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert sent.text == "How was it?"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 3
    assert sent.reply_markup == KEYBOARD
    assert sent.chat.type == "private" and sent.from_user.username == "mentorbot_demo_bot"
    kept = server.messages(42)
    assert kept[-1]["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"

    edited = await bot.edit_message_text("How was it? You chose: Yes", 42, sent.message_id)
    assert edited.reply_markup is None
    assert server.messages(42)[-1]["text"] == "How was it? You chose: Yes"
    assert "reply_markup" not in server.messages(42)[-1]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("How was it? You chose: Yes", 42, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 42, 999)


async def test_bad_html_is_rejected_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(42, "price < 5 <br> ok", parse_mode="HTML")


async def test_answer_callback_query_is_recorded_once(server: LocalBotApi, bot: Bot) -> None:
    sent = await bot.send_message(7, "Rate us", reply_markup=KEYBOARD)
    update = server.push_callback(7, sent.message_id, "yes")
    query_id = update["callback_query"]["id"]
    updates = await bot.get_updates(timeout=0)
    assert updates[0].callback_query.data == "yes"
    assert updates[0].callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Thanks!") is True
    assert server.answered_callbacks[query_id]["text"] == "Thanks!"
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query(query_id)


async def test_commands_per_language(server: LocalBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("stop", "Stop check-ins")], language_code="en")
    await bot.set_my_commands([BotCommand("stop", "Stop met vragen")], language_code="nl")
    assert server.get_commands("nl")[0]["description"] == "Stop met vragen"
    assert (await bot.get_my_commands(language_code="en"))[0].description == "Stop check-ins"
    assert await bot.get_my_commands() == ()
    await bot.delete_my_commands(language_code="nl")
    assert server.get_commands("nl") == []


async def test_send_document_keeps_bytes_and_serves_download(server: LocalBotApi, bot: Bot) -> None:
    message = await bot.send_document(9, b'{"name": "Ann"}', filename="mydata.json", caption="Data")
    assert message.document.file_name == "mydata.json" and message.document.file_size == 15
    [upload] = server.documents(9)
    assert (upload.filename, upload.size, upload.data) == ("mydata.json", 15, b'{"name": "Ann"}')
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b'{"name": "Ann"}'


async def test_blocked_chat_raises_forbidden(server: LocalBotApi, bot: Bot) -> None:
    server.block(5)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(5, "hello")
    assert server.messages(5) == []
    server.unblock(5)
    assert (await bot.send_message(5, "hello")).text == "hello"


async def test_injected_429_raises_retry_after(server: LocalBotApi, bot: Bot) -> None:
    server.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(5, "hello")
    assert seconds(caught.value.retry_after) == 7
    assert (await bot.send_message(5, "again")).text == "again"  # only once


async def test_enforced_limits_answer_429_above_one_per_second_per_chat(
    server: LocalBotApi, bot: Bot
) -> None:
    server.set_limits(True)
    await bot.send_message(1, "first")
    await bot.send_message(2, "other chat is fine")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "second, too soon")
    assert seconds(caught.value.retry_after) >= 1
    assert server.stats.rejected_429 == 1 and server.stats.sent == 2
    assert server.stats.by_method["sendMessage"] == 3


async def test_overall_limit_of_thirty_per_second(server: LocalBotApi, bot: Bot) -> None:
    server.set_limits(True)
    results = await asyncio.gather(
        *(bot.send_message(1000 + i, "hi") for i in range(60)), return_exceptions=True
    )
    rejected = sum(isinstance(r, RetryAfter) for r in results)
    assert rejected == server.stats.rejected_429 > 0
    assert server.stats.sent == 60 - rejected >= 30
    assert server.send_windows.max_in_window(1.0) == 30  # never more in a rolling second


async def test_unavailable_server_raises_network_error(server: LocalBotApi, bot: Bot) -> None:
    server.set_unavailable(True)
    with pytest.raises(NetworkError):
        await bot.send_message(5, "hello")
    server.set_unavailable(True, mode="reset")
    with pytest.raises(NetworkError):
        await bot.send_message(5, "hello")
    server.set_unavailable(False)
    assert (await bot.send_message(5, "hello")).text == "hello"


async def test_unknown_method_and_wrong_token(server: LocalBotApi) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.base_url}{TOKEN}/fooBar", data={"a": "1"})
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    async with LocalBotApi(token="1:right") as strict, httpx.AsyncClient() as client:
        response = await client.post(f"{strict.base_url}1:wrong/getMe")
    assert response.status_code == 401


async def test_get_updates_offset_confirms_and_long_poll_wakes(
    server: LocalBotApi, bot: Bot
) -> None:
    first = server.push_message(3, "hi")
    second = server.push_message(3, "/start abc")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert updates[1].message.entities[0].type == "bot_command"
    assert updates[1].message.entities[0].length == len("/start")
    updates = await bot.get_updates(offset=second["update_id"], timeout=0)
    assert [u.update_id for u in updates] == [second["update_id"]]

    async def push_later() -> dict[str, Any]:
        await asyncio.sleep(0.1)
        return server.push_message(3, "late")

    polled, late = await asyncio.gather(
        bot.get_updates(offset=second["update_id"] + 1, timeout=3), push_later()
    )
    assert [u.update_id for u in polled] == [late["update_id"]]


async def test_application_polling_handles_start_and_button(server: LocalBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(
            f"Welcome {update.effective_user.first_name}, token {context.args[0]}",
            reply_markup=KEYBOARD,
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Noted")
        await query.edit_message_text(f"You chose {query.data}")

    async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"echo {update.effective_message.text}")

    app: Application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .get_updates_read_timeout(5)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            server.push_message(77, "/start tok123", first_name="Ann", language_code="nl")
            welcome = await server.wait_for_message(77, contains="Welcome")
            assert welcome["text"] == "Welcome Ann, token tok123"
            assert welcome["reply_markup"] == KEYBOARD.to_dict()

            server.push_callback(77, welcome["message_id"], "yes")
            edit = await server.wait_for("editMessageText")
            assert edit.result["text"] == "You chose yes"
            assert "reply_markup" not in server.message(77, welcome["message_id"])
            assert next(iter(server.answered_callbacks.values()))["text"] == "Noted"

            server.push_message(77, "all good")
            assert (await server.wait_for_message(77))["text"] == "echo all good"
        finally:
            await app.updater.stop()
            await app.stop()


async def test_webhook_delivery_carries_secret_header(server: LocalBotApi, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def receive(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cret" else 403)

    app = web.Application()
    app.router.add_post("/hook", receive)
    async with serve(app) as port:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        assert (await bot.get_webhook_info()).url == f"http://127.0.0.1:{port}/hook"
        with pytest.raises(Exception, match="Conflict"):
            await bot.get_updates()
        update = server.push_message(11, "hello hook")
        record = await server.wait_for_webhook_delivery(update["update_id"])
        assert record["status"] == 200
        secret, body = received[0]
        assert secret == "s3cret"
        assert Update.de_json(body, bot).message.text == "hello hook"

        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="wrong")
        update = server.push_message(11, "forged")
        assert (await server.wait_for_webhook_delivery(update["update_id"]))["status"] == 403
        await bot.delete_webhook()
        late = server.push_message(11, "back to polling")
        assert [u.update_id for u in await bot.get_updates(timeout=0)] == [late["update_id"]]


async def test_ptb_stock_rate_limiter_draws_429s_from_a_rolling_window(
    server: LocalBotApi,
) -> None:
    """PTB's AIORateLimiter (a leaky bucket: 30 at once, then 30/s) sends a 31st message within
    a second of the first: Telegram's rolling window refuses it. Why the bot has its own."""
    server.set_limits(True)
    limited = ExtBot(TOKEN, base_url=server.base_url, rate_limiter=AIORateLimiter(max_retries=0))
    async with limited:
        results = await asyncio.gather(
            *(limited.send_message(2000 + i, "check-in") for i in range(45)),
            return_exceptions=True,
        )
    assert sum(isinstance(r, RetryAfter) for r in results) == server.stats.rejected_429 > 0
    assert server.send_windows.max_in_window(1.0) <= 30


async def test_photo_raw_update_history_cap_and_malformed_params() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big")
    png += (480).to_bytes(4, "big") + b"\x00" * 16
    async with LocalBotApi(history_per_chat=2) as server:
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            photo = await bot.send_photo(4, png, caption="chart")
            assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
            assert server.documents(4)[0].kind == "photo"
            for text in ("a", "b"):
                await bot.send_message(4, text)
            assert [m.get("text") for m in server.messages(4)] == ["a", "b"]
            server.push_raw_update({"update_id": 5, "garbage": True})
            assert [u.update_id for u in await bot.get_updates(timeout=0)] == [5]
        async with httpx.AsyncClient() as client:
            url = f"{server.base_url}{TOKEN}"
            response = await client.post(f"{url}/getUpdates", data={"offset": "x"})
            assert response.status_code == 400 and response.json()["ok"] is False
            response = await client.post(f"{url}/sendMessage", json={"chat_id": 4, "text": "js"})
            assert response.json()["result"]["text"] == "js"


def test_standalone_main_serves_get_me() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.local_servers.bot_api", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"Bot API on (\S+)", line)
        assert match, line
        response = httpx.get(f"{match.group(1)}{TOKEN}/getMe", timeout=5)
        assert response.json()["result"]["username"] == "mentorbot_demo_bot"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
