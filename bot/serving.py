"""Serving one bot: migrations at start, the web app on its port, then the channels, the
scheduler and Slack's Socket Mode, until told to stop; and stopping all of it again."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette

from bot.http_api import purchase_routes
from bot.scheduler import build_scheduler
from handlers.jobs import Job

if TYPE_CHECKING:
    from bot.app import Mentorbot

log = logging.getLogger(__name__)
START_PATIENCE = 60.0  # seconds a starting worker waits for a database that is away


class WebServerFailed(RuntimeError):
    """The web server could not start (e.g. its port is taken); nothing was registered."""


def web_app(bot: Mentorbot) -> Starlette:
    """The one web server: purchase API and health check (channels add their routes)."""
    api_keys = [k.get_secret_value() for k in bot.config.api.keys]
    if not api_keys:
        log.warning("api.keys is empty: POST /api/purchases refuses every request")
    routes = purchase_routes(bot.ingest, bot.health, api_keys, bot.config.web.max_body_bytes)
    return Starlette(routes=[*routes, *bot.assembly.web_routes, *bot.channel_routes])


async def migrate_when_reachable(bot: Mentorbot, patience: float = START_PATIENCE) -> str | None:
    """``bot.migrate()``, waiting up to ``patience`` seconds for a database that cannot be
    reached (a worker started while the database is away starts once it is back, instead
    of exiting); then the error is raised."""
    loop = asyncio.get_running_loop()
    deadline, wait = loop.time() + patience, 0.5
    while True:
        try:
            return await bot.migrate()
        except OperationalError as exc:
            if loop.time() + wait > deadline:
                raise
            first_line = str(exc.orig or exc).strip().splitlines()[0]
            log.warning("database not reachable at start (%s); retrying in %.1fs", first_line, wait)
            await asyncio.sleep(wait)
            wait = min(2 * wait, 5.0)


async def serve(
    bot: Mentorbot,
    stop: asyncio.Event | None = None,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Apply migrations, serve the web app, then start the channels and the scheduler, until
    ``stop``. The webhook is registered only once the web server listens: a worker that
    cannot bind its port raises :class:`WebServerFailed` before telling Telegram anything
    (a webhook set by a failed start would silently stop a running poller)."""
    import uvicorn

    await bot.migrate_when_reachable()
    bot.build_channels()
    web = bot.config.web
    try:
        sock = socket.create_server((web.host, web.port))
    except OSError as exc:
        await bot.close()
        raise WebServerFailed(
            f"could not listen on {web.host}:{web.port}: {exc.strerror or exc}"
        ) from None
    server = uvicorn.Server(
        uvicorn.Config(
            bot.web_app(), log_level="info", lifespan="off", access_log=False, log_config=None
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    scheduler, frozen = None, False
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise WebServerFailed(f"the web server on {web.host}:{web.port} stopped")
            await asyncio.sleep(0.02)
        try:
            await bot.ops.start_server()  # metrics.port, when set
        except OSError as exc:
            raise WebServerFailed(f"metrics.port: {exc.strerror or exc}") from None
        if on_listening is not None:
            on_listening(f"http://{web.host}:{web.port}")
        await bot.start_channels(poll_interval=0.5)
        timed = bot.ops.metrics.job
        scheduler = build_scheduler(
            timed("dispatch", bot.dispatch),
            bot.config.survey.dispatch_every,
            timed("housekeeping", bot.housekeeping),
            [Job(j.name, timed(j.name, j.run), j.trigger, j.args) for j in bot.jobs],
        )
        scheduler.start()
        await bot.start_socket_mode()
        # What start-up made (modules, the sentiment model) lives as long as the process: keep
        # it out of the collector's full passes, each of which stops the process (113 ms of a
        # started bot, benchmarks/gc_pause.py) and can make a paced send reach Telegram late.
        # One full pass first, so that start-up's garbage is freed rather than kept for good.
        gc.collect()
        gc.freeze()
        frozen = True
        if stop is None:
            await task
        else:
            await stop.wait()
    finally:
        server.should_exit = True
        await asyncio.wait([task], timeout=10)
        sock.close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await bot.stop_socket_mode()
        await bot.ops.stop_server()
        await bot.stop_channels()
        await bot.close()
        if frozen:
            gc.unfreeze()  # a process that serves again (tests do) collects what it left


async def start_socket_mode(bot: Mentorbot) -> Any:
    """Connect the support desk over Slack's Socket Mode when configured; returns the
    handler (kept as ``bot.socket_mode``; :func:`stop_socket_mode` closes it), or None."""
    slack = bot.config.slack
    if bot.support is None or not slack.socket_mode or slack.app_token is None:
        return None
    from bot.channels.slack_adapter import start_socket_mode as connect

    bot.socket_mode = await connect(
        bot.support.bolt, slack.app_token.get_secret_value(), slack.socket_ping_interval
    )
    return bot.socket_mode


async def stop_socket_mode(bot: Mentorbot) -> None:
    """Close the Socket Mode connection, if one was started."""
    if bot.socket_mode is not None:
        handler, bot.socket_mode = bot.socket_mode, None
        await handler.close_async()
