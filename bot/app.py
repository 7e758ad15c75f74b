"""The composition root: builds every part of Mentorbot from the config, nothing at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.assembly import Plugs
from bot.channels_by_chat import ChannelsByChat
from bot.config import Config
from bot.http_api import purchase_routes
from bot.inbox_runner import InboxRunner
from bot.log_context import log_context
from bot.ops_wiring import install_ops
from bot.scheduler import build_scheduler, worker_id
from handlers.checkins.dispatch import DispatchReport, dispatch_due
from handlers.checkins.rescoring import RescoreReport, score_left_behind
from handlers.checkins.scoring import ScoringPipeline
from handlers.conversation import handle_update
from handlers.deps import (
    Deps,
    SurveyRules,
)
from handlers.events import EventBus
from handlers.intake.purchases import (
    IntakeResult,
    IntakeSettings,
    PurchaseIn,
    ingest_purchases,
    ingest_raw,
)
from handlers.jobs import Job
from handlers.messages import IncomingUpdate
from handlers.ports import AnswerPipeline, CustomerChannel
from handlers.texts import COMMANDS
from sentiment.service import Scoring
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import utcnow
from storage.repositories import Repositories
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)
POLL_LEASE = "telegram-polling"
POLL_LEASE_TTL = timedelta(seconds=15)
START_PATIENCE = 60.0  # seconds a starting worker waits for a database that is away


def intake_settings(config: Config) -> IntakeSettings:
    """What purchase intake needs, taken from the config."""
    return IntakeSettings(
        journeys=config.journeys,
        journey_for_sku=lambda sku, requested: config.journey_for(sku, requested)[0],
        timezone=config.timezone,
        default_language=config.default_language,
        opt_in_token_ttl=config.survey.opt_in_token_ttl,
        opt_in_link=config.opt_in_link,
    )


def scoring_pipeline(
    repos: Repositories,
    events: EventBus,
    scoring: Scoring | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> AnswerPipeline:
    """The answer seam: scored by the configured sentiment backend, then AnswerScored."""
    scoring = scoring or Scoring()
    return ScoringPipeline(
        repos.answers, repos.customers, scoring, events=events, clock=clock, history=scoring
    )


def survey_rules(config: Config) -> SurveyRules:
    """Survey-fatigue rules from the config."""
    survey = config.survey
    return SurveyRules(
        min_gap=survey.min_gap,
        quiet_start=survey.quiet_hours.start,
        quiet_end=survey.quiet_hours.end,
        reminder_after=survey.reminder_after,
        expire_after=survey.expire_after,
        max_link_attempts=survey.link_attempts,
        lockout=survey.lockout,
    )


class WebServerFailed(RuntimeError):
    """The web server could not start (e.g. its port is taken); nothing was registered."""


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
        self._channel_routes: list[BaseRoute] = []  # a channel's webhook, once it is built
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
        self.telegram: Any = None  # the PTB Application once built
        self.deps: Deps | None = None
        self.inbox: InboxRunner | None = None
        self.poller: Any = None
        self._sweeper: asyncio.Task[None] | None = None
        self._poll_holder = f"{self.worker}:{secrets.token_hex(4)}"

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
        self.deps = Deps(
            checkins=self.repos.checkins,
            answers=self.repos.answers,
            conversations=self.repos.conversations,
            customers=self.repos.customers,
            message_queue=self.repos.message_queue,
            channel=channel or ChannelsByChat({}),
            journeys=self.config.journeys,
            units=self.units,
            rules=survey_rules(self.config),
            pipeline=self.pipeline,
            clock=self.clock,
            button_routes=self.assembly.button_routes,
            text_routes=self.assembly.text_routes,
            commands=self.assembly.commands,
            after_checkin=self.assembly.after_checkin,
            closing_words=self.assembly.closing_words,
        )
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
        from bot.channels.send_pacing import send_pacer
        from bot.channels.telegram_adapter import (
            TelegramChannel,
            build_application,
            decode_update,
            webhook_route,
        )

        tg = self.config.telegram
        if tg.token is None or not tg.token.get_secret_value():
            raise ValueError("telegram.token is not set (try `mentorbot demo`, which needs none)")
        pacer = send_pacer(
            tg.token.get_secret_value(), rate=tg.send_rate, backend=tg.rate_limit_backend,
            redis_url=tg.redis_url, engine=self.db.engine,
        )  # fmt: skip
        self.telegram = build_application(
            tg.token.get_secret_value(),
            tg.base_url,
            tg.base_file_url,
            rate_limit=tg.rate_limit,
            concurrent_updates=tg.concurrent_updates,
            rate_limiter=pacer,
        )
        # the pacer spaces each chat
        channel = TelegramChannel(self.telegram.bot)
        deps = self.customer_deps(self.ops.metrics.channel(channel, "telegram"))
        bot = self.telegram.bot
        self.inbox = InboxRunner(
            self.repos.inbox,
            deps.channel_name,
            self.worker,
            lambda payload: decode_update(payload, bot),
            self.on_update,
            utcnow,  # leases are real time, whatever clock the business logic runs on
            concurrency=tg.concurrent_updates,
        )
        if tg.mode == "webhook":
            assert tg.webhook_secret is not None
            self._channel_routes.append(
                webhook_route(bot, self.inbox.receive, tg.webhook_secret.get_secret_value())
            )
        return self.telegram

    async def on_update(self, update: IncomingUpdate) -> None:
        """Every customer update, claimed from the inbox (in order per chat), goes to the
        handlers."""
        assert self.deps is not None
        with log_context(update_id=update.update_id), self.ops.metrics.timed_update(update):
            await handle_update(self.deps, update)

    async def may_poll(self) -> bool:
        """Take or renew the polling lease: one worker per database polls Telegram."""
        return await self.repos.leases.take_lease(
            POLL_LEASE, self._poll_holder, utcnow(), POLL_LEASE_TTL
        )

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

    async def start_telegram(self, poll_interval: float = 0.0) -> None:
        """Connect to the Bot API, register commands, start polling or set the webhook, and
        start sweeping the inbox for updates left unhandled (a crash, a database outage)."""
        from bot.channels.telegram_adapter import register_commands
        from bot.channels.telegram_polling import UpdatePoller

        app = self.telegram or self.build_telegram()
        assert self.inbox is not None
        # Load the sentiment lexicons (and model) now, once per process, in a thread, not
        # while the first customer's answer waits.
        log.info("sentiment backend in use: %s", await self.scoring.warm())
        await app.initialize()
        await register_commands(app.bot, COMMANDS, self.assembly.chat_menus)
        await app.start()
        if self.whatsapp is not None:
            await self.whatsapp.start()
        tg = self.config.telegram
        self._sweeper = asyncio.create_task(self.inbox.sweep_forever())
        if tg.mode == "polling":
            self.poller = UpdatePoller(
                app.bot, self.inbox.receive, self.may_poll, interval=poll_interval
            )
            try:  # only the worker that will poll drops a webhook
                polls = await self.may_poll()
            except ConnectionError:  # the database is away: the poller waits for it
                polls = False
            if polls:
                await app.bot.delete_webhook()
            self.poller.start()
        else:
            assert tg.webhook_secret is not None and self.config.web.public_url
            await app.bot.set_webhook(
                self.config.web.public_url.rstrip("/") + "/telegram/webhook",
                secret_token=tg.webhook_secret.get_secret_value(),
            )

    async def stop_telegram(self) -> None:
        """Stop polling, finish the updates being handled, shut the PTB application down."""
        app = self.telegram
        if app is None:
            return
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
            with contextlib.suppress(ConnectionError):
                await self.repos.leases.release_lease(POLL_LEASE, self._poll_holder)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self.inbox is not None:
            await self.inbox.close()
        if self.whatsapp is not None:
            await self.whatsapp.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def migrate(self) -> str | None:
        """Apply pending database migrations; returns the revision."""
        return await upgrade_async(self.config.database_url, self.db.schema)

    async def migrate_when_reachable(self, patience: float = START_PATIENCE) -> str | None:
        """``migrate``, waiting up to ``patience`` seconds for a database that cannot be
        reached (a worker started while the database is away starts once it is back, instead
        of exiting); then the error is raised."""
        loop = asyncio.get_running_loop()
        deadline, wait = loop.time() + patience, 0.5
        while True:
            try:
                return await self.migrate()
            except OperationalError as exc:
                if loop.time() + wait > deadline:
                    raise
                first_line = str(exc.orig or exc).strip().splitlines()[0]
                log.warning(
                    "database not reachable at start (%s); retrying in %.1fs", first_line, wait
                )
                await asyncio.sleep(wait)
                wait = min(2 * wait, 5.0)

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
        api_keys = [k.get_secret_value() for k in self.config.api.keys]
        if not api_keys:
            log.warning("api.keys is empty: POST /api/purchases refuses every request")
        routes = purchase_routes(self.ingest, self.health, api_keys, self.config.web.max_body_bytes)
        return Starlette(routes=[*routes, *self.assembly.web_routes, *self._channel_routes])

    async def serve(
        self,
        stop: asyncio.Event | None = None,
        on_listening: Callable[[str], None] | None = None,
    ) -> None:
        """Apply migrations, serve the web app, then start Telegram and the scheduler, until
        ``stop``. The webhook is registered only once the web server listens: a worker that
        cannot bind its port raises :class:`WebServerFailed` before telling Telegram anything
        (a webhook set by a failed start would silently stop a running poller)."""
        import uvicorn

        await self.migrate_when_reachable()
        self.build_channels()
        web = self.config.web
        try:
            sock = socket.create_server((web.host, web.port))
        except OSError as exc:
            await self.close()
            raise WebServerFailed(
                f"could not listen on {web.host}:{web.port}: {exc.strerror or exc}"
            ) from None
        server = uvicorn.Server(
            uvicorn.Config(
                self.web_app(), log_level="info", lifespan="off", access_log=False, log_config=None
            )
        )
        task = asyncio.create_task(server.serve(sockets=[sock]))
        scheduler = None
        try:
            while not server.started:
                if task.done():
                    task.result()  # raises what stopped it
                    raise WebServerFailed(f"the web server on {web.host}:{web.port} stopped")
                await asyncio.sleep(0.02)
            try:
                await self.ops.start_server()  # metrics.port, when set
            except OSError as exc:
                raise WebServerFailed(f"metrics.port: {exc.strerror or exc}") from None
            if on_listening is not None:
                on_listening(f"http://{web.host}:{web.port}")
            await self.start_channels(poll_interval=0.5)
            timed = self.ops.metrics.job
            scheduler = build_scheduler(
                timed("dispatch", self.dispatch),
                self.config.survey.dispatch_every,
                timed("housekeeping", self.housekeeping),
                [Job(j.name, timed(j.name, j.run), j.trigger, j.args) for j in self.jobs],
            )
            scheduler.start()
            await self.start_socket_mode()
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
            await self.stop_socket_mode()
            await self.ops.stop_server()
            await self.stop_channels()
            await self.close()

    async def start_socket_mode(self) -> Any:
        """Connect the support desk over Slack's Socket Mode when configured; returns the
        handler (kept as ``socket_mode``; :meth:`stop_socket_mode` closes it), or None."""
        slack = self.config.slack
        if self.support is None or not slack.socket_mode or slack.app_token is None:
            return None
        from bot.channels.slack_adapter import start_socket_mode

        self.socket_mode = await start_socket_mode(
            self.support.bolt, slack.app_token.get_secret_value(), slack.socket_ping_interval
        )
        return self.socket_mode

    async def stop_socket_mode(self) -> None:
        """Close the Socket Mode connection, if one was started."""
        if self.socket_mode is not None:
            handler, self.socket_mode = self.socket_mode, None
            await handler.close_async()

    async def close(self) -> None:
        """Finish pending desk deliveries and release the database connections."""
        await self.stop_socket_mode()
        if self.support is not None:
            await self.support.close()
        await self.db.dispose()
        self.scoring.close()
