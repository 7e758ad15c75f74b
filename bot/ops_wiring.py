"""Plugs operations into a Mentorbot: ``GET /metrics``, ``GET /readyz``, the counting seams,
the database-error hook and the daily retention sweep (``bot.ops``).

``/metrics`` reads the database's gauges at scrape time (at most every few seconds, see
:data:`DB_FIGURES_MAX_AGE`) next to the in-process counters of :mod:`bot.metrics`. It is never
behind the purchase API key; ``metrics.token`` may require a token of its own, and
``metrics.port`` serves it (with ``/readyz``) on a port of its own, kept internal.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import BotMetrics
from storage.migrate import head_revision
from storage.ops_figures import OpsFigures, ops_figures

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.assembly import Plugs

log = logging.getLogger(__name__)
DB_FIGURES_MAX_AGE = 5.0  # seconds: two scrapers (or a reload storm) cost one set of queries


class DatabaseCollector(Collector):
    """The gauges read from the database; ``refresh`` (async) reads, ``collect`` reports."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.figures: OpsFigures | None = None
        self.max_age = DB_FIGURES_MAX_AGE
        self.read_at = 0.0
        self.read_seconds = 0.0
        self.database_up = 0

    async def refresh(self) -> None:
        """Read the figures unless the last read is recent; a lost database reports 0 up."""
        if self.figures is not None and time.monotonic() - self.read_at < self.max_age:
            return
        start = time.perf_counter()
        try:
            self.figures = await ops_figures(self.bot.db, self.bot.clock())
            self.database_up = 1
        except ConnectionError:
            self.figures, self.database_up = None, 0
        except Exception:  # a bug in a query: say so once per scrape, keep serving the rest
            log.exception("metrics: reading the database gauges failed")
            self.figures, self.database_up = None, 0
        self.read_seconds = time.perf_counter() - start
        self.read_at = time.monotonic()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The last figures read, as Prometheus gauges."""
        up = GaugeMetricFamily(
            "mentorbot_database_up", "1 when the last scrape could read the database."
        )
        up.add_metric([], self.database_up)
        yield up
        took = GaugeMetricFamily(
            "mentorbot_metrics_database_read_seconds", "Time the last read of the gauges took."
        )
        took.add_metric([], self.read_seconds)
        yield took
        f = self.figures
        if f is None:
            return
        now = self.bot.clock().timestamp()
        yield from _checkin_gauges(f)
        customers = GaugeMetricFamily(
            "mentorbot_customers", "Customers by opt-in state.", labels=["opt_in_state"]
        )
        for state, n in sorted(f.customers.items()):
            customers.add_metric([state], n)
        yield customers
        cases = GaugeMetricFamily("mentorbot_cases", "Support cases by status.", labels=["status"])
        for status, n in sorted(f.cases.items()):
            cases.add_metric([status], n)
        yield cases
        escalated = GaugeMetricFamily(
            "mentorbot_cases_escalated_open", "Open cases that were escalated to the leads."
        )
        escalated.add_metric([], f.cases_escalated_open)
        yield escalated
        yield from _outbox_gauges(f, now)
        held = GaugeMetricFamily(
            "mentorbot_lease_held",
            "1 for each lease (one-worker-at-a-time job) this worker holds now, else 0.",
            labels=["lease"],
        )
        for name, holder in sorted(f.leases.items()):
            held.add_metric([name], 1 if holder == self.bot.worker else 0)
        yield held


def _checkin_gauges(f: OpsFigures) -> Iterator[GaugeMetricFamily]:
    checkins = GaugeMetricFamily(
        "mentorbot_checkins",
        "Check-ins by journey, touchpoint and status (scheduled, sent, reminded, answered, "
        "expired, cancelled).",
        labels=["journey", "touchpoint", "status"],
    )
    for (journey, touchpoint, status), n in sorted(f.checkins.items()):
        checkins.add_metric([journey, touchpoint, status], n)
    yield checkins
    due = GaugeMetricFamily(
        "mentorbot_checkins_due", "Scheduled check-ins whose time has come (not sent yet)."
    )
    due.add_metric([], f.checkins_due)
    yield due
    last = GaugeMetricFamily(
        "mentorbot_checkin_last_sent_timestamp_seconds",
        "When the newest check-in was sent (Unix time; absent before the first).",
    )
    if f.last_checkin_sent is not None:
        last.add_metric([], f.last_checkin_sent.timestamp())
    yield last


def _outbox_gauges(f: OpsFigures, now: float) -> Iterator[GaugeMetricFamily]:
    pending = GaugeMetricFamily(
        "mentorbot_outbox_pending_messages",
        "Messages waiting to be delivered, per destination (slack: the support desk; "
        "telegram: customers' chats).",
        labels=["destination"],
    )
    oldest = GaugeMetricFamily(
        "mentorbot_outbox_oldest_pending_age_seconds",
        "Age of the oldest message still waiting, per destination (0 when none waits).",
        labels=["destination"],
    )
    failed = GaugeMetricFamily(
        "mentorbot_outbox_failed_messages",
        "Messages refused for good and kept for the operator, per destination.",
        labels=["destination"],
    )
    for dest, n in sorted(f.outbox_pending.items()):
        pending.add_metric([dest], n)
        first = f.outbox_oldest.get(dest)
        oldest.add_metric([dest], max(0.0, now - first.timestamp()) if first else 0.0)
    retrying = GaugeMetricFamily(
        "mentorbot_outbox_retrying_messages",
        "Waiting messages that failed at least once and wait for their next try (backoff).",
        labels=["destination"],
    )
    for dest, n in sorted(f.outbox_failed.items()):
        failed.add_metric([dest], n)
    for dest, n in sorted(f.outbox_retrying.items()):
        retrying.add_metric([dest], n)
    yield pending
    yield oldest
    yield failed
    yield retrying


class Ops:
    """The operations side of one bot: metrics, readiness, the metrics port."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.metrics = BotMetrics(enabled=bot.config.metrics.enabled)
        self.collector = DatabaseCollector(bot)
        self.metrics.registry.register(self.collector)
        self._head: str | None = None
        self._server: Any = None
        self._server_task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        """(ready, what was checked): the database answers, its migrations are at head, and
        the customer channel (and Slack's Socket Mode, when used) has started."""
        report: dict[str, str] = {}
        if self._head is None:
            self._head = await asyncio.to_thread(head_revision)
        try:
            async with self.bot.db.session() as s:
                current = (
                    await s.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
        except ConnectionError:
            report["database"] = "unreachable"
        except Exception as exc:  # no alembic_version table: never migrated
            report["database"] = f"not migrated ({type(exc).__name__})"
        else:
            report["database"] = "ok" if current == self._head else f"at {current}, not at head"
        report["channels"] = "started" if self.channels_started() else "not started"
        ready = report["database"] == "ok" and report["channels"] == "started"
        if self.bot.config.slack.enabled and self.bot.config.slack.socket_mode:
            report["slack"] = "connected" if await self.socket_mode_connected() else "not connected"
            ready = ready and report["slack"] == "connected"
        return ready, report

    async def socket_mode_connected(self) -> bool:
        """Slack's Socket Mode WebSocket is up (the desk hears claims and replies)."""
        handler = self.bot.socket_mode
        if handler is None:
            return False
        from bot.channels.slack_adapter import socket_mode_connected

        return await socket_mode_connected(handler)

    def channels_started(self) -> bool:
        """Telegram's application runs (and, in polling mode, its poller: polling, or standing
        by while another worker holds the polling lease); on a WhatsApp-only shop, WhatsApp's
        inbox sweeper runs."""
        if not self.bot.config.telegram_configured and self.bot.whatsapp is not None:
            return bool(self.bot.whatsapp.running)
        app = self.bot.telegram
        if app is None or not app.running:
            return False
        if self.bot.config.telegram.mode == "polling":
            poller = self.bot.poller
            return poller is not None and poller.running
        return True

    def routes(self) -> list[Route]:
        """``GET /metrics`` and ``GET /readyz``."""
        token = self.bot.config.metrics.token
        expected = token.get_secret_value().encode() if token else None

        async def metrics(request: Request) -> Response:
            if expected is not None:
                auth = request.headers.get("authorization", "")
                presented = auth[7:].strip().encode() if auth.lower().startswith("bearer ") else b""
                if not hmac.compare_digest(presented, expected):
                    log.warning("metrics: refused a scrape without the metrics token")
                    return Response("unauthorized\n", status_code=401)
            await self.collector.refresh()
            body = generate_latest(self.metrics.registry)
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        async def readyz(_request: Request) -> JSONResponse:
            ready, report = await self.readiness()
            status = 200 if ready else 503
            headers = None if ready else {"Retry-After": "5"}
            body = {"status": "ready" if ready else "not ready", **report}
            return JSONResponse(body, status_code=status, headers=headers)

        return [Route("/metrics", metrics, methods=["GET"]), Route("/readyz", readyz)]

    def hook_database(self) -> None:
        """Count every driver error (SQLAlchemy's public ``handle_error`` event)."""

        def on_error(context: Any) -> None:
            self.metrics.database_error(bool(context.is_disconnect), context.original_exception)

        event.listen(self.bot.db.engine.sync_engine, "handle_error", on_error)

    async def start_server(self) -> str | None:
        """Serve /metrics and /readyz on ``metrics.port`` when set; returns its address."""
        cfg = self.bot.config.metrics
        if not cfg.enabled or cfg.port is None:
            return None
        import uvicorn

        sock = socket.create_server((cfg.host, cfg.port))
        self._sock = sock
        app = Starlette(routes=self.routes())
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, log_level="warning", lifespan="off", access_log=False, log_config=None
            )
        )
        self._server_task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise OSError(f"the metrics server on {cfg.host}:{cfg.port} stopped")
            await asyncio.sleep(0.02)
        return f"http://{cfg.host}:{sock.getsockname()[1]}"

    async def stop_server(self) -> None:
        """Stop the metrics port's server, if it runs."""
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            await asyncio.wait([self._server_task], timeout=5)
            self._server = self._server_task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def install_ops(bot: Mentorbot, plugs: Plugs) -> Ops:
    """Metrics, readiness and the retention sweep for ``bot``: routes on its web server (or
    on the metrics port), the database hook and the daily job."""
    ops = Ops(bot)
    ops.hook_database()
    metrics = bot.config.metrics
    # /readyz is always on the bot's web server (load balancers ask there); /metrics too,
    # unless it is off or has a port of its own.
    on_main = metrics.enabled and metrics.port is None
    plugs.web_routes([r for r in ops.routes() if on_main or r.path == "/readyz"])
    from bot.retention_wiring import install_retention

    install_retention(bot, plugs)
    return ops
