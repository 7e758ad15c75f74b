"""Long polling that confirms an update to Telegram only once it is stored.

Telegram counts an update as received when a later getUpdates asks for a higher offset. PTB's
Updater moves the offset on as soon as updates are queued in memory, so a crash loses what was
queued. Here getUpdates is driven through the public ``Bot.get_updates``: each batch goes to
``receive`` (which stores it in the inbox) and the offset moves past it only when that returned.
If storing fails the same batch is fetched again.

Only one process may poll a bot. Workers sharing a database take turns through a lease: the
holder polls, the others stand by (saying so once) and take over when it stops. Another process
polling the same bot without that database makes Telegram answer "Conflict"; that is said once,
clearly, and polling is tried again slowly instead of every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, TimedOut

from bot.channels.arrivals import Arrival, Receive, encode_incoming
from bot.channels.telegram_adapter import to_incoming

log = logging.getLogger(__name__)

MayPoll = Callable[[], Awaitable[bool]]


class UpdatePoller:
    """Polls getUpdates while ``may_poll`` says this worker holds the polling lease."""

    def __init__(
        self,
        bot: Bot,
        receive: Receive,
        may_poll: MayPoll,
        *,
        timeout: int = 10,
        interval: float = 0.0,
        standby_every: float = 5.0,
        renew_every: float = 3.0,
        conflict_wait: float = 30.0,
    ) -> None:
        self.bot = bot
        self.receive = receive
        self.may_poll = may_poll
        self.timeout = timeout
        self.interval = interval
        self.standby_every = standby_every
        self.renew_every = renew_every
        self.conflict_wait = conflict_wait
        self.offset: int | None = None
        self.polling = False  # holds the lease and polls
        self._task: asyncio.Task[None] | None = None
        self._renewed = 0.0

    @property
    def running(self) -> bool:
        """Whether the polling loop is alive (polling or standing by)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start polling in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop polling (updates already stored are confirmed on the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _lease(self) -> bool:
        now = time.monotonic()
        if self.polling and now - self._renewed < self.renew_every:
            return True
        try:
            held = await self.may_poll()
        except Exception as exc:  # the database is away: whoever polls cannot store anyway
            log.warning("telegram polling: cannot check the polling lease (%s)", exc)
            held = False
        if held and not self.polling:
            log.info("telegram polling: this worker polls the bot")
        elif not held and self.polling:
            log.warning("telegram polling: lease lost; this worker stands by")
        elif not held and self._renewed == 0.0:
            log.warning(
                "telegram polling: another worker polls this bot; this worker stands by "
                "(it sends check-ins and takes over polling if that worker stops)"
            )
            self._renewed = -1.0  # said once
        if held:
            self._renewed = now
        self.polling = held
        return held

    async def _run(self) -> None:
        conflict_said = False
        failures = 0
        while True:
            if not await self._lease():
                await asyncio.sleep(self.standby_every)
                continue
            try:
                updates = await self.bot.get_updates(offset=self.offset, timeout=self.timeout)
            except Conflict as exc:
                if not conflict_said:
                    log.error(
                        "telegram polling: another process polls this bot (%s). Only one "
                        "process may poll a bot: run one worker per database in polling mode, "
                        "or several in webhook mode (see the README). Trying again every %ss.",
                        exc.message,
                        int(self.conflict_wait),
                    )
                    conflict_said = True
                await asyncio.sleep(self.conflict_wait)
                continue
            except TimedOut:
                continue
            except InvalidToken:
                log.error("telegram polling: the bot token was refused; polling stops")
                return
            except NetworkError as exc:
                failures += 1
                log.warning("telegram polling: %s; retrying", exc.message)
                await asyncio.sleep(min(2.0**failures, 30.0))
                continue
            conflict_said = False
            arrivals = []
            for update in updates:
                incoming = to_incoming(update)
                if incoming is None:
                    log.info(
                        "ignored update %s of a kind the bot does not handle", update.update_id
                    )
                    continue
                payload = encode_incoming(incoming)
                arrivals.append(Arrival(update.update_id, incoming.chat_id, payload, incoming))
            try:
                await self.receive(arrivals)
            except Exception as exc:  # not stored: not confirmed, fetched again
                failures += 1
                log.warning(
                    "telegram polling: %d updates not stored (%s); Telegram keeps them",
                    len(arrivals),
                    exc,
                )
                await asyncio.sleep(min(0.5 * 2**failures, 10.0))
                continue
            failures = 0
            if updates:
                self.offset = updates[-1].update_id + 1
            elif self.interval:
                await asyncio.sleep(self.interval)
