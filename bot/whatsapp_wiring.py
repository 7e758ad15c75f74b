"""WhatsApp in the composition root: client, channel, inbox, webhook route, jobs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.whatsapp_adapter import WhatsAppChannel, decode, inbox_payloads
from bot.channels.whatsapp_cloud import WhatsAppCloud
from bot.channels.whatsapp_webhook import MAX_BODY_BYTES, handshake, parse_delivery, receive
from bot.channels_by_chat import ChannelsByChat
from bot.inbox_runner import InboxRunner
from bot.log_context import log_context
from bot.whatsapp_limits import DatabaseTier, shared_pacer
from handlers.chat_address import TELEGRAM, WHATSAPP
from handlers.deps import Deps
from handlers.jobs import Job
from handlers.messages import IncomingUpdate
from handlers.ports import CustomerChannel
from handlers.whatsapp.deps import WhatsAppDeps, WhatsAppRules
from handlers.whatsapp.enrol import enrol_by_phone
from handlers.whatsapp.entry import handle_whatsapp
from handlers.whatsapp.opener import opener, reminder
from handlers.whatsapp.reopen import WindowedChannel
from handlers.whatsapp.statuses import chat_unreachable
from storage.models import utcnow
from storage.whatsapp.queries import InboxItem, WhatsAppStore

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.assembly import Plugs

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/whatsapp/webhook"


class WhatsAppWiring:
    """WhatsApp's parts of one bot, built from ``config.whatsapp`` (nothing connects yet)."""

    def __init__(self, bot: Mentorbot) -> None:
        wa = bot.config.whatsapp
        assert wa.token is not None and wa.app_secret is not None and wa.verify_token is not None
        self.bot = bot
        self.config = wa
        self.store = WhatsAppStore(bot.db)
        self.client = WhatsAppCloud(
            token=wa.token.get_secret_value(), phone_number_id=wa.phone_number_id or "",
            base_url=wa.base_url, api_version=wa.api_version,
        )  # fmt: skip
        self.pacer = shared_pacer(bot.config, bot.db.engine)
        tier = DatabaseTier(self.store, wa.phone_number_id or "", wa.daily_tier, bot.clock)
        self.channel = WhatsAppChannel(
            self.client, self._record_sent, self.pacer, self._unreachable, tier
        )
        self.wd = WhatsAppDeps(
            self.store,
            self.channel,
            WhatsAppRules(
                templates=dict(wa.templates),
                languages=dict(wa.languages),
                daily_tier=wa.daily_tier,
                default_channel=bot.config.channels.default,
            ),
            bot.clock,
        )
        self.inbox = InboxRunner(
            bot.repos.inbox, WHATSAPP, bot.worker, decode, self.on_update, utcnow
        )
        self.deps: Deps | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._last_waits: dict[str, float] = {}

    async def _unreachable(self, chat_id: int, why: str) -> bool:
        assert self.deps is not None
        return await chat_unreachable(self.deps, self.wd, chat_id, why)

    async def _record_sent(self, wamid: str, chat_id: int) -> int:
        return await self.store.record_sent(wamid, chat_id, self.bot.clock())

    def extend(self, deps: Deps, telegram: CustomerChannel | None) -> Deps:
        """The customer handlers' deps with every channel: messages go to their chat's channel,
        check-ins in WhatsApp chats open WhatsApp's way."""
        windowed = WindowedChannel(self.channel, self.channel, self.wd, deps.customers)
        channels: dict[str, CustomerChannel] = {WHATSAPP: windowed}
        if telegram is not None:  # None: a WhatsApp-only shop
            channels[TELEGRAM] = telegram
        both = ChannelsByChat(channels)
        self.wd.asks_due = self._ask_due
        extended = dataclasses.replace(
            deps, channel=both, openers={WHATSAPP: opener(self.wd)},
            reminders={WHATSAPP: reminder(self.wd)},
        )  # fmt: skip
        self.deps = dataclasses.replace(extended, channel_name=WHATSAPP)
        return extended

    async def _ask_due(self, ask_id: int) -> None:
        """The customer tapped the advocacy template: the ask waiting for the window goes now."""
        from bot.advocacy_wiring import run_advocacy

        adv = self.bot.advocacy
        if adv is not None and await adv.queries.ask_due_now(ask_id, self.bot.clock()):
            await run_advocacy(self.bot)

    async def on_update(self, update: IncomingUpdate) -> None:
        """A WhatsApp update claimed from the inbox goes to WhatsApp's entry handler."""
        assert self.deps is not None, "WhatsApp is started only once the customer deps exist"
        with log_context(update_id=update.update_id):
            await handle_whatsapp(self.deps, self.wd, update)

    async def store_raw(self, raw_body: bytes) -> None:
        """Store a verified delivery's items in the inbox (each once), then handle their
        chats; raises when the database is away (the webhook answers 503, Meta retries)."""
        inbound, statuses = parse_delivery(raw_body)
        items = [InboxItem(k, chat, p) for k, chat, p in inbox_payloads(inbound, statuses)]
        for chat in await self.store.store_items(items, utcnow()):
            self.inbox.spawn(self.inbox.drain(chat))

    def routes(self) -> list[Route]:
        """``GET`` (Meta's handshake) and ``POST`` (signed deliveries) on /whatsapp/webhook."""
        secret = self.config.app_secret
        verify = self.config.verify_token
        assert secret is not None and verify is not None

        async def webhook(request: Request) -> Response:
            if request.method == "GET":
                challenge = handshake(dict(request.query_params), verify.get_secret_value())
                if challenge is None:
                    return PlainTextResponse("forbidden", status_code=403)
                return PlainTextResponse(challenge)
            if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
                return PlainTextResponse("too large", status_code=413)
            body = await request.body()
            status = await receive(
                body, request.headers.get("x-hub-signature-256"), secret.get_secret_value(),
                self.store_raw,
            )  # fmt: skip
            return PlainTextResponse("ok" if status == 200 else "refused", status_code=status)

        return [Route(WEBHOOK_PATH, webhook, methods=["GET", "POST"])]

    def jobs(self) -> list[Job]:
        """Enrolment by phone (``channels.default: whatsapp``) and forgetting old delivery ids."""
        return [
            Job("whatsapp_enrol", self.enrol, "interval", {"seconds": 30}),
            Job("whatsapp_seen_prune", self.prune, "interval", {"hours": 6}),
            Job("whatsapp_waits", self.report_waits, "interval", {"seconds": 60}),
        ]

    def waits(self) -> dict[str, float]:
        """What waited so far in this process: sends held by the pacer (throughput, pair rate)
        and for how long in all, and check-ins held back by the daily tier."""
        pace = self.pacer.report
        return {
            "throughput_waits": pace.throughput_waits,
            "pair_waits": pace.pair_waits,
            "waited_s": round(pace.waited_s, 3),
            "daily_tier": self.wd.waiting.get("daily_tier", 0) + self.channel.tier_waits,
        }

    async def report_waits(self) -> dict[str, float]:
        """Log what waited since the last report (the periodic job), when anything did."""
        now = self.waits()
        if now != self._last_waits:
            log.info("whatsapp: waited for limits so far: %s", now)
            self._last_waits = now
        return now

    async def enrol(self) -> int:
        """One round of enrolment by phone and consent."""
        return await enrol_by_phone(self.wd)

    async def prune(self) -> int:
        """Forget delivery ids older than a week (Meta retries for days at most)."""
        from datetime import timedelta

        return await self.store.prune_seen(timedelta(days=7), utcnow())

    @property
    def running(self) -> bool:
        """Started and not stopped (the inbox sweeper runs)."""
        return self._sweeper is not None and not self._sweeper.done()

    async def start(self) -> None:
        """Open the client's HTTP session and sweep the inbox for updates left behind."""
        await self.client.start()
        await self.pacer.initialize()
        self._sweeper = asyncio.create_task(self.inbox.sweep_forever())

    async def stop(self) -> None:
        """Stop sweeping, finish what is being handled, close the client."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.inbox.close()
        await self.client.close()
        await self.pacer.close()


def install_whatsapp(bot: Mentorbot, plugs: Plugs) -> WhatsAppWiring | None:
    """Build WhatsApp when ``whatsapp.enabled``: its web route and jobs are plugged in."""
    if not bot.config.whatsapp.enabled:
        return None
    wiring = WhatsAppWiring(bot)
    plugs.web_routes(wiring.routes())
    for job in wiring.jobs():
        plugs.job(job)
    return wiring
