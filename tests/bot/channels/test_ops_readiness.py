"""GET /readyz: 200 only when the database answers at the newest migration and the channels
have started; a worker whose database goes away turns unready and comes back by itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Config
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from storage.migrate import upgrade
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock, Harness
from tests.bot.metrics_reading import Scrape
from tests.bot.support.desk_harness import CHANNEL, TOKEN
from tests.conftest import PG_URL
from tests.tcp_proxy import TcpProxy


def client(h: Harness) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=h.bot.web_app())
    return httpx.AsyncClient(transport=transport, base_url="http://bot.local")


async def test_ready_only_once_the_channels_started_and_migrations_are_at_head(
    tg: Harness,
) -> None:
    async with client(tg) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "database": "ok", "channels": "started"}
        await tg.bot.stop_telegram()
        stopped = await http.get("/readyz")
        assert stopped.status_code == 503 and stopped.json()["channels"] == "not started"
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
        async with tg.bot.db.session() as s:
            await s.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        behind = await http.get("/readyz")
        assert behind.json()["database"] == "at 0001, not at head"


async def test_metrics_need_the_token_when_one_is_set(tg_config, db_url) -> None:  # type: ignore[no-untyped-def]
    token = "scrape-token-0123456789"
    async with LocalBotApi() as server:
        h = await start_harness(
            server, tg_config(server, metrics={"token": token}), db_url[1], FakeClock()
        )
        try:
            async with client(h) as http:
                assert (await http.get("/metrics")).status_code == 401
                wrong = {"Authorization": "Bearer not-the-token-at-all"}
                assert (await http.get("/metrics", headers=wrong)).status_code == 401
                # The purchase API key does not open it either.
                key = {"Authorization": "Bearer test-api-key-0123456789"}
                assert (await http.get("/metrics", headers=key)).status_code == 401
                good = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
                assert good.status_code == 200
                assert Scrape(good.text).value("mentorbot_database_up") == 1
        finally:
            await stop_harness(h)


async def test_metrics_on_a_port_of_their_own(tg_config, db_url) -> None:  # type: ignore[no-untyped-def]
    async with LocalBotApi() as server:
        config = tg_config(server, metrics={"port": 1})
        config.metrics.port = 0  # any free port (the config itself asks for 1..65535)
        h = await start_harness(server, config, db_url[1], FakeClock())
        try:
            address = await h.bot.ops.start_server()
            assert address is not None
            async with httpx.AsyncClient(base_url=address) as http:
                assert (await http.get("/metrics")).status_code == 200
                assert (await http.get("/readyz")).status_code == 200
            async with client(h) as main:  # not on the public web server
                assert (await main.get("/metrics")).status_code == 404
                assert (await main.get("/readyz")).status_code == 200
        finally:
            await h.bot.ops.stop_server()
            await stop_harness(h)


@pytest.fixture
async def proxied(pg_schema: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, TcpProxy]]:
    """A running bot whose PostgreSQL is reached through a proxy the test can cut."""
    upgrade(PG_URL, pg_schema)
    real = make_url(PG_URL)
    proxy = await TcpProxy(real.host or "127.0.0.1", real.port or 5432).start()
    through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with LocalBotApi() as server:
        config = Config.model_validate(
            {
                "data_dir": str(tmp_path),
                "database": {"url": through},
                "telegram": {
                    "token": "123:TEST",
                    "base_url": server.base_url,
                    "base_file_url": server.base_file_url,
                    "rate_limit": False,
                },
            }
        )
        h = await start_harness(server, config, pg_schema, FakeClock())
        try:
            yield h, proxy
        finally:
            if not proxy.listening:
                await proxy.restore()
            await stop_harness(h)
            await proxy.close()


async def test_a_worker_that_loses_its_database_goes_unready_and_comes_back(
    proxied: tuple[Harness, TcpProxy],
) -> None:
    h, proxy = proxied
    async with client(h) as http:
        assert (await http.get("/readyz")).status_code == 200
        await proxy.cut()
        lost = await http.get("/readyz")
        assert lost.status_code == 503
        assert lost.json()["database"] == "unreachable"
        assert lost.headers["retry-after"] == "5"
        h.bot.ops.collector.max_age = 0
        scraped = await http.get("/metrics")  # metrics still answer, and say so
        assert scraped.status_code == 200
        down = Scrape(scraped.text)
        assert down.value("mentorbot_database_up") == 0
        assert down.value("mentorbot_database_errors_total", kind="connection") >= 1
        await proxy.restore()
        for _ in range(50):  # the pool reconnects on its own, nobody restarts the worker
            back = await http.get("/readyz")
            if back.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert back.status_code == 200, back.text
        assert Scrape((await http.get("/metrics")).text).value("mentorbot_database_up") == 1


async def test_socket_mode_desk_counts_for_readiness_and_reconnects(tg_config, db_url) -> None:  # type: ignore[no-untyped-def]
    """With the desk on Socket Mode, /readyz waits for the WebSocket, turns 503 while Slack
    is away, and comes back when the SDK reconnects by itself."""
    async with LocalBotApi() as server, LocalSlackApi(TOKEN, app_token="xapp-test") as slack:
        slack_cfg = {
            "bot_token": TOKEN,
            "app_token": "xapp-test",
            "socket_mode": True,
            "socket_ping_interval": 0.2,
            "support_channel": CHANNEL,
            "base_url": slack.base_url,
        }
        h = await start_harness(server, tg_config(server, slack=slack_cfg), db_url[1], FakeClock())
        try:
            async with client(h) as http:
                before = await http.get("/readyz")
                assert before.status_code == 503
                assert before.json()["slack"] == "not connected"
                assert before.json()["channels"] == "started"
                await h.bot.start_socket_mode()
                await slack.socket.wait_connected()
                up = await http.get("/readyz")
                assert up.status_code == 200, up.text
                assert up.json()["slack"] == "connected"
                slack.set_outage(True)  # apps.connections.open fails: no way back in
                assert await slack.socket.drop_all() == 1
                away = await poll_readyz(http, 503)
                assert away.json()["slack"] == "not connected"
                assert away.json()["database"] == "ok"
                slack.set_outage(False)
                back = await poll_readyz(http, 200)  # nobody restarts the worker
                assert back.json()["slack"] == "connected"
        finally:
            await stop_harness(h)
        assert h.bot.socket_mode is None  # closed with the bot


async def poll_readyz(http: httpx.AsyncClient, status: int) -> httpx.Response:
    """/readyz until it answers ``status`` (at most 15 s)."""
    for _ in range(150):
        answer = await http.get("/readyz")
        if answer.status_code == status:
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"/readyz never answered {status}: {answer.text}")
