"""Telegram in the composition root: the PTB application, its customer channel and inbox, the
webhook route, and starting and stopping them (polling under a lease, or the webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from bot.inbox_runner import InboxRunner
from bot.log_context import log_context
from handlers.conversation import handle_update
from handlers.messages import IncomingUpdate
from handlers.texts import COMMANDS
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.app import Mentorbot

log = logging.getLogger(__name__)
POLL_LEASE = "telegram-polling"
POLL_LEASE_TTL = timedelta(seconds=15)


class TelegramWiring:
    """Telegram's parts of one bot, built from ``config.telegram`` only when asked (a
    WhatsApp-only shop builds none of them)."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.app: Any = None  # the PTB Application once built
        self.inbox: InboxRunner | None = None
        self.poller: Any = None
        self.routes: list[BaseRoute] = []  # the webhook, once built in webhook mode
        self._sweeper: asyncio.Task[None] | None = None
        self._poll_holder = f"{bot.worker}:{secrets.token_hex(4)}"

    def build(self) -> Any:
        """Build the PTB application, the customer channel and the inbox (no network yet)."""
        from bot.channels.send_pacing import send_pacer
        from bot.channels.telegram_adapter import (
            TelegramChannel,
            build_application,
            decode_update,
            webhook_route,
        )

        tg = self.bot.config.telegram
        if tg.token is None or not tg.token.get_secret_value():
            raise ValueError("telegram.token is not set (try `mentorbot demo`, which needs none)")
        pacer = send_pacer(
            tg.token.get_secret_value(), rate=tg.send_rate, backend=tg.rate_limit_backend,
            redis_url=tg.redis_url, engine=self.bot.db.engine,
        )  # fmt: skip
        self.app = build_application(
            tg.token.get_secret_value(),
            tg.base_url,
            tg.base_file_url,
            rate_limit=tg.rate_limit,
            concurrent_updates=tg.concurrent_updates,
            rate_limiter=pacer,
        )
        # the pacer spaces each chat
        channel = TelegramChannel(self.app.bot)
        deps = self.bot.customer_deps(self.bot.ops.metrics.channel(channel, "telegram"))
        client = self.app.bot
        self.inbox = InboxRunner(
            self.bot.repos.inbox,
            deps.channel_name,
            self.bot.worker,
            lambda payload: decode_update(payload, client),
            self.on_update,
            utcnow,  # leases are real time, whatever clock the business logic runs on
            concurrency=tg.concurrent_updates,
        )
        if tg.mode == "webhook":
            assert tg.webhook_secret is not None
            self.routes.append(
                webhook_route(client, self.inbox.receive, tg.webhook_secret.get_secret_value())
            )
        return self.app

    async def on_update(self, update: IncomingUpdate) -> None:
        """Every customer update, claimed from the inbox (in order per chat), goes to the
        handlers."""
        deps = self.bot.deps
        assert deps is not None
        with log_context(update_id=update.update_id), self.bot.ops.metrics.timed_update(update):
            await handle_update(deps, update)

    async def may_poll(self) -> bool:
        """Take or renew the polling lease: one worker per database polls Telegram."""
        return await self.bot.repos.leases.take_lease(
            POLL_LEASE, self._poll_holder, utcnow(), POLL_LEASE_TTL
        )

    async def start(self, poll_interval: float = 0.0) -> None:
        """Connect to the Bot API, register commands, start polling or set the webhook, and
        start sweeping the inbox for updates left unhandled (a crash, a database outage)."""
        from bot.channels.telegram_adapter import register_commands
        from bot.channels.telegram_polling import UpdatePoller

        app = self.app or self.build()
        assert self.inbox is not None
        # Load the sentiment lexicons (and model) now, once per process, in a thread, not
        # while the first customer's answer waits.
        log.info("sentiment backend in use: %s", await self.bot.scoring.warm())
        await app.initialize()
        await register_commands(app.bot, COMMANDS, self.bot.assembly.chat_menus)
        await app.start()
        if self.bot.whatsapp is not None:
            await self.bot.whatsapp.start()
        tg = self.bot.config.telegram
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
            assert tg.webhook_secret is not None and self.bot.config.web.public_url
            await app.bot.set_webhook(
                self.bot.config.web.public_url.rstrip("/") + "/telegram/webhook",
                secret_token=tg.webhook_secret.get_secret_value(),
            )

    async def stop(self) -> None:
        """Stop polling, finish the updates being handled, shut the PTB application down."""
        app = self.app
        if app is None:
            return
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
            with contextlib.suppress(ConnectionError):
                await self.bot.repos.leases.release_lease(POLL_LEASE, self._poll_holder)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self.inbox is not None:
            await self.inbox.close()
        if self.bot.whatsapp is not None:
            await self.bot.whatsapp.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
