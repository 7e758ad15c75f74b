"""`mentorbot run` as a whole: the web server, Telegram polling, the Slack endpoint and the
scheduler start together and stop cleanly."""

from __future__ import annotations

import asyncio
import gc
import socket

import httpx
import pytest

from bot.app import Mentorbot
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import post_signed, url_verification

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
        for _ in range(200):  # started: what start-up made is kept out of collector passes
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.01)
        assert gc.get_freeze_count() > 10_000
        stop.set()
        await asyncio.wait_for(task, 15)
        assert task.exception() is None
        assert gc.get_freeze_count() == 0  # given back on stop


def _webhook_config(make_config, port: int, tg: LocalBotApi):  # type: ignore[no-untyped-def]
    return make_config(
        web={"port": port, "public_url": "https://bot.example.test"},
        telegram={
            "token": "1:SERVE",
            "base_url": tg.base_url,
            "base_file_url": tg.base_file_url,
            "rate_limit": False,
            "mode": "webhook",
            "webhook_secret": "s3cret-token",
        },
    )


async def test_a_port_in_use_fails_before_the_webhook_is_set(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    from bot.app import WebServerFailed

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        async with LocalBotApi() as tg:
            bot = Mentorbot(_webhook_config(make_config, port, tg), db_schema=db_url[1])
            heard: list[str] = []
            try:
                await bot.serve(asyncio.Event(), on_listening=heard.append)
            except WebServerFailed as exc:
                assert f"127.0.0.1:{port}" in str(exc)
            else:
                raise AssertionError("serve started on a port in use")
            assert heard == []
            assert [c for c in tg.calls if c.method.lower() == "setwebhook"] == []


async def test_the_webhook_is_set_once_the_server_listens(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    async with LocalBotApi() as tg:
        bot = Mentorbot(_webhook_config(make_config, port, tg), db_schema=db_url[1])
        stop = asyncio.Event()
        heard: list[str] = []
        task = asyncio.create_task(bot.serve(stop, on_listening=heard.append))
        try:
            call = await tg.wait_for("setWebhook", timeout=10)
            assert heard == [f"http://127.0.0.1:{port}"]
            assert call.params["url"] == "https://bot.example.test/telegram/webhook"
            # it listened before Telegram was told where to send updates
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def test_a_worker_started_while_postgresql_is_away_starts_once_it_is_back(
    make_config, pg_schema, caplog
) -> None:  # type: ignore[no-untyped-def]
    """The database away at start (an outage, a restart of PostgreSQL): the worker waits for it
    and migrates once it is back, instead of exiting (a chaos run lost a restarted worker so)."""
    from tests.db_proxy import database_proxy

    async with database_proxy() as proxy:
        proxy.cut()
        bot = Mentorbot(make_config(database={"url": proxy.url()}), db_schema=pg_schema)
        try:
            started = asyncio.create_task(bot.migrate_when_reachable(patience=30))
            await asyncio.sleep(1.5)
            assert not started.done()
            proxy.restore()
            async with asyncio.timeout(20):
                revision = await started
        finally:
            await bot.close()
    assert revision is not None
    assert any("database not reachable at start" in r.message for r in caplog.records)


async def test_a_worker_gives_up_on_a_database_that_stays_away(make_config, pg_schema) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    from tests.db_proxy import database_proxy

    async with database_proxy() as proxy:
        proxy.cut()
        bot = Mentorbot(make_config(database={"url": proxy.url()}), db_schema=pg_schema)
        try:
            with pytest.raises(OperationalError):  # a database that never comes back
                await bot.migrate_when_reachable(patience=1.0)
        finally:
            await bot.close()
