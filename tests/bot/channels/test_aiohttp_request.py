"""PTB's Bot on the aiohttp transport, against the local Bot API server and broken servers."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.aiohttp_request import AiohttpRequest
from sandbox.local_servers.bot_api import LocalBotApi
from tests.local_http import serve


async def test_sends_reads_and_uploads_through_the_local_server() -> None:
    async with (
        LocalBotApi() as server,
        Bot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot,
    ):
        sent = await bot.send_message(42, "Hoe was de bezorging? ✔")
        assert sent.message_id > 0
        assert server.messages(42)[-1]["text"] == "Hoe was de bezorging? ✔"
        await bot.send_document(42, InputFile(b"a,b\n1,2\n", filename="mydata.csv"), caption="x")
        upload = server.documents(42)[-1]
        assert upload.filename == "mydata.csv" and upload.data == b"a,b\n1,2\n"


async def test_telegram_errors_arrive_as_ptb_errors() -> None:
    async with (
        LocalBotApi() as server,
        Bot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot,
    ):
        server.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(Forbidden):
            await bot.send_message(42, "hi")
        server.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "hi")
        server.fail_next("sendMessage", 400, "Bad Request: chat not found")
        with pytest.raises(BadRequest):
            await bot.send_message(42, "hi")


async def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AiohttpRequest(connect_timeout=1) as request:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot1:T/getMe")


async def test_a_server_that_does_not_answer_times_out() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot1:T/getMe", slow)
    async with serve(app) as port, AiohttpRequest(read_timeout=0.2) as request:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:T/getMe")


async def test_initialize_again_after_shutdown_and_refuse_before() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    async with LocalBotApi() as server:
        bot = Bot("1:T", base_url=server.base_url, request=request)
        async with bot:
            assert (await bot.get_me()).first_name
        await request.shutdown()  # a second shutdown is harmless
        async with bot:
            assert (await bot.get_me()).first_name
