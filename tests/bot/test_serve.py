"""`mentorbot run` as a whole: the web server, Telegram polling, the Slack endpoint and the
scheduler start together and stop cleanly."""

from __future__ import annotations

import asyncio
import socket

import httpx

from bot.app import Mentorbot
from bot.local_servers.bot_api import LocalBotApi
from bot.local_servers.slack_api import LocalSlackApi
from bot.local_servers.slack_signing import post_signed, url_verification

SECRET = "serve-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_runs_everything_and_stops(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    async with LocalBotApi() as tg, LocalSlackApi("xoxb-serve") as slack:
        config = make_config(
            web={"port": port},
            telegram={
                "token": "1:SERVE",
                "base_url": tg.base_url,
                "base_file_url": tg.base_file_url,
                "rate_limit": False,
            },
            slack={
                "bot_token": "xoxb-serve",
                "signing_secret": SECRET,
                "support_channel": "C0SUPPORT",
                "base_url": slack.base_url,
            },
        )
        bot = Mentorbot(config, db_schema=db_url[1])
        stop = asyncio.Event()
        task = asyncio.create_task(bot.serve(stop))
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            for _ in range(200):  # until uvicorn listens
                try:
                    health = await http.get("/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert health.status_code == 200
            assert health.json()["database"] in ("sqlite", "postgresql")
            challenge = await post_signed(
                f"{base}/slack/events", url_verification("hello"), secret=SECRET, client=http
            )
            assert challenge.json()["challenge"] == "hello"
            since = tg.last_seq
            tg.push_message(77, "/help")
            reply = await tg.wait_for_message(77, since=since)
            assert reply["text"].startswith("I check in after your purchase")
        stop.set()
        await asyncio.wait_for(task, 15)
        assert task.exception() is None
