"""`mentorbot run` with operations on: /metrics on its own port counts the scheduler's real
runs, /readyz turns ready once Telegram polls, and a taken metrics port stops the start."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from bot.app import Mentorbot, WebServerFailed
from sandbox.local_servers.bot_api import LocalBotApi
from tests.bot.metrics_reading import Scrape
from tests.bot.test_serve import free_port


def _config(make_config, tg: LocalBotApi, port: int, metrics_port: int):  # type: ignore[no-untyped-def]
    return make_config(
        web={"port": port},
        metrics={"port": metrics_port},
        survey={"dispatch_every": 1},  # a dispatch round every second
        telegram={
            "token": "1:SERVE",
            "base_url": tg.base_url,
            "base_file_url": tg.base_file_url,
            "rate_limit": False,
        },
    )


async def test_the_metrics_port_counts_the_scheduler_runs(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    port, metrics_port = free_port(), free_port()
    async with LocalBotApi() as tg:
        bot = Mentorbot(_config(make_config, tg, port, metrics_port), db_schema=db_url[1])
        stop = asyncio.Event()
        task = asyncio.create_task(bot.serve(stop))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics_port}") as http:
                runs = 0.0
                for _ in range(300):
                    try:
                        scraped = await http.get("/metrics")
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
                        continue
                    s = Scrape(scraped.text)
                    runs = s.value("mentorbot_scheduler_job_runs_total", task="dispatch")
                    if runs >= 2:
                        break
                    await asyncio.sleep(0.1)
                assert runs >= 2
                assert s.value("mentorbot_scheduler_job_failures_total") == 0
                ready = await http.get("/readyz")
                assert ready.status_code == 200, ready.text
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as public:
                assert (await public.get("/metrics")).status_code == 404
                assert (await public.get("/readyz")).status_code == 200
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
    assert task.exception() is None


async def test_a_taken_metrics_port_stops_the_start(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics_port = int(taken.getsockname()[1])
        async with LocalBotApi() as tg:
            bot = Mentorbot(
                _config(make_config, tg, free_port(), metrics_port), db_schema=db_url[1]
            )
            with pytest.raises(WebServerFailed, match=r"metrics\.port"):
                await bot.serve(asyncio.Event())
            assert [c for c in tg.calls if c.method.lower() in ("getupdates", "setwebhook")] == []
