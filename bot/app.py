"""The composition root: builds every part of Mentorbot from the config, nothing at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot import serving
from bot.assembly import Plugs
from bot.config import Config
from bot.handler_settings import handler_deps, intake_settings, scoring_pipeline
from bot.inbox_runner import InboxRunner
from bot.ops_wiring import install_ops
from bot.scheduler import worker_id
from bot.serving import START_PATIENCE
from bot.serving import WebServerFailed as WebServerFailed  # raised by serve
from bot.telegram_wiring import TelegramWiring
from handlers.checkins.dispatch import DispatchReport, dispatch_due
from handlers.checkins.rescoring import RescoreReport, score_left_behind
from handlers.deps import Deps
from handlers.events import EventBus
from handlers.intake.purchases import IntakeResult, PurchaseIn, ingest_purchases, ingest_raw
from handlers.jobs import Job
from handlers.ports import AnswerPipeline, CustomerChannel
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import utcnow
from storage.repositories import Repositories
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


class Mentorbot:
    """One running Mentorbot: database, store, web server, channels and scheduler.

    Capabilities beyond the customer conversation plug in while the bot is assembled, in its
    constructor, each through one interface (:class:`bot.assembly.Plugs`: routes for buttons,
    words and commands, steps after a check-in, command menus, web routes, periodic jobs,
    subscriptions to the answer's events). Once built, what they plugged in is an immutable
    :class:`bot.assembly.Assembly` and the event bus is frozen; only a channel's own web route
    (the webhook) is added when that channel is built.
    """

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], datetime] = utcnow,
        db_schema: str | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.db = Database(config.database_url, schema=db_schema, echo=config.database.echo)
        self.repos = Repositories.on(self.db)
        self.intake = intake_settings(config)
        self.events = EventBus()  # the answer's path: see handlers/events.py
        plugs = Plugs(self.events)
        plugs.job(
            Job("customer_messages", self.deliver_customer_messages, "interval", {"seconds": 5})
        )
        plugs.job(Job("score_left_behind", self.score_left_behind, "interval", {"seconds": 60}))
        self.worker = worker_id()
        self.scoring = config.sentiment.scoring()
        self.ops = install_ops(self, plugs)  # metrics, /readyz, retention sweep
        self.pipeline: AnswerPipeline = self.ops.metrics.pipeline(
            scoring_pipeline(self.repos, self.events, self.scoring, self.clock)
        )
        self.support = self._install_support(plugs)
        self.socket_mode: Any = None  # the Socket Mode handler once started
        self.advocacy: Any = None
        self.advocacy = self._install_advocacy(plugs)
        self.insights = self._install_insights(plugs)
        self.whatsapp = self._install_whatsapp(plugs)
        self.assembly = plugs.finish()
        self.deps: Deps | None = None
        self.telegram_wiring = TelegramWiring(self)  # built by build_telegram, if at all

    @property
    def jobs(self) -> tuple[Job, ...]:
        """The periodic jobs every capability plugged in."""
        return self.assembly.jobs

    def _install_support(self, plugs: Plugs) -> Any:
        from bot.support_wiring import install_support

        return install_support(self, plugs)

    def _install_advocacy(self, plugs: Plugs) -> Any:
        from bot.advocacy_wiring import install_advocacy

        return install_advocacy(self, plugs)

    def _install_whatsapp(self, plugs: Plugs) -> Any:
        from bot.whatsapp_wiring import install_whatsapp

        return install_whatsapp(self, plugs)

    def _install_insights(self, plugs: Plugs) -> Any:
        """Managers' commands in Telegram and (with the desk) in Slack, and the digest job."""
        from bot.insights_wiring import install_insights

        insights = install_insights(self, plugs)
        if self.support is not None:
            from bot.channels.slack_insights import register_insights

            register_insights(
                self.support.bolt,
                insights.answer,
                manager_channel=self.config.slack.manager_channel,
            )
        return insights

    def units(self) -> SqlUnitOfWork:
        """A fresh unit of work on the bot's database (what handlers decide in)."""
        return SqlUnitOfWork(self.db)

    def customer_deps(self, channel: CustomerChannel | None) -> Deps:
        """The handlers' view of this bot: repositories, channel, journeys, rules, clock
        (``channel`` None: no Telegram, a WhatsApp-only shop)."""
        self.deps = handler_deps(self, channel)
        if self.whatsapp is not None:  # every channel behind one: a chat id names its channel
            self.deps = self.whatsapp.extend(self.deps, channel)
        if self.support is not None:
            self.support.deps.customer_channel = self.deps.channel
        return self.deps

    def build_channels(self) -> None:
        """Build the configured customer channels: Telegram when ``telegram.token`` is set,
        WhatsApp when enabled; ValueError naming the keys when neither is."""
        self.config.require_customer_channel()
        if self.config.telegram_configured:
            self.build_telegram()
        else:
            self.customer_deps(None)

    async def start_channels(self, poll_interval: float = 0.0) -> None:
        """Start what :meth:`build_channels` built (Telegram starts WhatsApp with it)."""
        if self.telegram is not None:
            await self.start_telegram(poll_interval=poll_interval)
            return
        log.info("sentiment backend in use: %s", await self.scoring.warm())
        if self.whatsapp is not None:
            await self.whatsapp.start()

    async def stop_channels(self) -> None:
        """Stop what :meth:`start_channels` started."""
        if self.telegram is not None:
            await self.stop_telegram()
        elif self.whatsapp is not None:
            await self.whatsapp.stop()

    def build_telegram(self) -> Any:
        """Build the PTB application, the customer channel and the inbox (no network yet)."""
        return self.telegram_wiring.build()

    async def start_telegram(self, poll_interval: float = 0.0) -> None:
        """Start Telegram (see :meth:`bot.telegram_wiring.TelegramWiring.start`)."""
        await self.telegram_wiring.start(poll_interval=poll_interval)

    async def stop_telegram(self) -> None:
        """Stop what :meth:`start_telegram` started and shut the PTB application down."""
        await self.telegram_wiring.stop()

    @property
    def telegram(self) -> Any:
        """The PTB Application once built, else None."""
        return self.telegram_wiring.app

    @property
    def inbox(self) -> InboxRunner | None:
        """Telegram's inbox once built, else None."""
        return self.telegram_wiring.inbox

    @property
    def poller(self) -> Any:
        """Telegram's update poller while polling runs, else None."""
        return self.telegram_wiring.poller

    @property
    def channel_routes(self) -> list[BaseRoute]:
        """A channel's own web routes, added when it is built (Telegram's webhook)."""
        return self.telegram_wiring.routes

    async def dispatch(self) -> DispatchReport:
        """One dispatch round: expiries, due check-ins, reminders."""
        assert self.deps is not None
        survey = self.config.survey
        return await dispatch_due(
            self.deps, self.worker, survey.dispatch_batch, survey.checkins_in_flight
        )

    async def deliver_customer_messages(self) -> int:
        """One round of the customers' outbox: messages Telegram did not take yet, retried."""
        if self.deps is None:
            return 0
        return await self.deps.outbox.deliver_due()

    async def score_left_behind(self) -> RescoreReport:
        """Score the answers that a crash or a failed scoring left stored but unscored (one
        worker at a time), so an unhappy customer's case still opens."""
        return await score_left_behind(
            self.repos.answers, self.repos.leases, self.pipeline, self.clock(), worker=self.worker
        )

    async def housekeeping(self) -> int:
        """Forget handled updates after a week (Telegram re-delivers within a day)."""
        week = timedelta(days=7)
        return await self.repos.conversations.prune_processed_updates(
            week
        ) + await self.repos.inbox.prune_inbox(week)

    async def migrate(self) -> str | None:
        """Apply pending database migrations; returns the revision."""
        return await upgrade_async(self.config.database_url, self.db.schema)

    async def migrate_when_reachable(self, patience: float = START_PATIENCE) -> str | None:
        """:meth:`migrate`, waiting for a database that is away (see :mod:`bot.serving`)."""
        return await serving.migrate_when_reachable(self, patience)

    async def ingest(self, raw: list[Any]) -> list[dict[str, Any]]:
        """Validate and store raw purchases (all or nothing), as the HTTP API does."""
        results = await ingest_raw(self.repos.purchases, self.units, self.intake, raw, self.clock())
        return [r.to_dict() for r in results]

    async def add_purchase(self, purchase: PurchaseIn) -> IntakeResult:
        """Repositories one validated purchase."""
        (result,) = await ingest_purchases(
            self.repos.purchases, self.units, self.intake, [purchase], self.clock()
        )
        return result

    async def health(self) -> dict[str, str]:
        """A health report; raises ConnectionError when the database is away."""
        async with self.db.session() as s:
            await s.execute(text("SELECT 1"))
        return {"database": self.db.dialect}

    def web_app(self) -> Starlette:
        """The one web server: purchase API and health check (channels add their routes)."""
        return serving.web_app(self)

    async def serve(
        self,
        stop: asyncio.Event | None = None,
        on_listening: Callable[[str], None] | None = None,
    ) -> None:
        """Serve until ``stop``: migrations, web app, channels, scheduler (see
        :func:`bot.serving.serve`; :class:`WebServerFailed` when the port is not free)."""
        await serving.serve(self, stop, on_listening)

    async def start_socket_mode(self) -> Any:
        """Connect the support desk over Slack's Socket Mode when configured; returns the
        handler (kept as ``socket_mode``; :meth:`stop_socket_mode` closes it), or None."""
        return await serving.start_socket_mode(self)

    async def stop_socket_mode(self) -> None:
        """Close the Socket Mode connection, if one was started."""
        await serving.stop_socket_mode(self)

    async def close(self) -> None:
        """Finish pending desk deliveries and release the database connections."""
        await self.stop_socket_mode()
        if self.support is not None:
            await self.support.close()
        await self.db.dispose()
        self.scoring.close()
