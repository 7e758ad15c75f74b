"""Handling updates from the inbox: stored first, then handled in order per chat, each once.

The channel adapter calls :meth:`InboxRunner.receive` with what Telegram sent; only when that
returns (the updates are committed to the inbox) does the adapter confirm them (the next
getUpdates offset, or the webhook's 200). Then each chat's updates are claimed and handled in
order. A crash, a lost database or a failing handler leaves updates unhandled and unclaimed
once their short lease runs out; :meth:`sweep` (every worker runs it every few seconds) picks
them up again. Leases are renewed while their worker is alive, so only a dead worker's claims
wait for the lease.

Why this is not PTB's ``BaseUpdateProcessor``: PTB calls a processor's
``process_update(update, coroutine)`` for each object its Application takes from the in-memory
``update_queue``, one task per update when more than one runs at once; the processor decides
only how that coroutine is awaited, in this process. The order kept here is per chat across
every worker sharing the database: a chat's updates are claimed together under a lease in one
statement and marked handled together in another (shared with other chats finishing then), and
updates left behind by a crash or an outage come back from the database through
:meth:`InboxRunner.sweep`, never through ``update_queue``. A processor could only add a second,
process-local lock per chat in front of the claim; the one piece it would replace, the
semaphore that bounds how many updates run at once, would tie this channel-neutral runner to
PTB.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.channels.arrivals import Arrival
from bot.keyed_locks import KeyedLocks
from handlers.checkins.flow import INBOX_CLAIM
from handlers.messages import IncomingUpdate
from storage.checkins.answers import UpdateAlreadyHandled
from storage.db import StorageUnavailable
from storage.inbox import ChatClaim, InboxRow
from storage.repositories import InboxRepository

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=10)
RENEW_EVERY = 3.0  # seconds between lease renewals of the claims a worker holds
SWEEP_GRACE = timedelta(seconds=2)  # an update this old and unclaimed is picked up by the sweep
MAX_ATTEMPTS = 5  # a handler that fails this often for one update gives it up (logged)


class InboxRunner:
    """Stores arriving updates, then drains each chat's inbox through ``handle``."""

    def __init__(
        self,
        inbox: InboxRepository,
        channel: str,
        worker: str,
        decode: Callable[[str], IncomingUpdate | None],
        handle: Callable[[IncomingUpdate], Awaitable[None]],
        clock: Callable[[], datetime],
        concurrency: int = 32,
    ) -> None:
        self.inbox = inbox
        self.channel = channel
        self.worker = worker
        self.decode = decode
        self.handle = handle
        self.clock = clock
        self._decoded: dict[int, IncomingUpdate] = {}
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._claims: set[str] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self.handled = 0
        self._gate = asyncio.Semaphore(concurrency)  # updates handled at once

    async def receive(self, arrivals: list[Arrival]) -> None:
        """Repositories ``arrivals`` in the inbox (raises StorageUnavailable when the database is
        away: confirm nothing then), then start handling their chats."""
        if not arrivals:
            return
        rows = [
            {"channel": self.channel, "update_id": a.update_id, "chat_id": a.chat_id,
             "payload": a.payload}
            for a in arrivals
        ]  # fmt: skip
        if len(rows) == 1:
            new = (
                {a.update_id for a in arrivals} if await self.inbox.store_update(rows[0]) else set()
            )
        else:
            new = await self.inbox.store_updates(rows)
        if len(self._decoded) > 10_000:  # handled by another worker: forget
            self._decoded.clear()
        chats: dict[int, None] = {}
        for a in arrivals:
            if a.update_id not in new:
                log.info("update %s was already received; ignored", a.update_id)
                continue
            if a.incoming is not None:
                self._decoded[a.update_id] = a.incoming
            chats[a.chat_id] = None
        for chat_id in chats:
            self.spawn(self.drain(chat_id))

    def spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` in the background, kept until done."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.ensure_future(self._renew_forever())

    async def drain(self, chat_id: int, patience: float | None = None) -> None:
        """Handle the chat's unhandled updates in order. When another worker holds the chat,
        wait a little for it, then leave the rest to the sweep.

        The claim's updates are marked handled and the claim given up (one statement, shared
        with the other chats finishing at that moment) before the chat's lock is let go; the
        chat is not looked at again: whatever arrived meanwhile started a drain of its own (it
        waits for this one here, or for the claim on another worker), and the sweep takes what
        nobody took. So an update costs one claim and one finish, not two claims."""
        wait, waited = 0.1, 0.0
        patience = LEASE.total_seconds() if patience is None else patience
        async with self._locks.hold(chat_id):
            while True:
                now = self.clock()
                claim = ChatClaim(self.channel, chat_id, self.worker, now, now + LEASE)
                try:
                    rows = await self.inbox.claim_chat(claim)
                except StorageUnavailable:
                    log.warning("inbox: database away; chat %s is handled when it is back", chat_id)
                    return
                except Exception as exc:  # e.g. PostgreSQL broke a lock cycle between workers
                    log.warning("inbox: claiming chat %s failed (%s); swept later", chat_id, exc)
                    return
                if rows is None:  # held by another worker
                    if waited >= patience:
                        return
                    await asyncio.sleep(wait)
                    waited, wait = waited + wait, min(wait * 2, 2.0)
                    continue
                if not rows:
                    return
                ok, finished = await self._handle_claimed(rows)
                try:
                    await self.inbox.finish_updates(finished)
                    self.handled += len(finished)
                    if not ok:
                        await self.inbox.release_claim(rows[0].claim)
                except StorageUnavailable:  # the claim runs out; the sweep takes it up
                    log.warning("inbox: database away; chat %s's claim is left to run out", chat_id)
                return

    async def _handle_claimed(self, rows: list[InboxRow]) -> tuple[bool, list[InboxRow]]:
        """Handle a claim's updates in order; returns whether all were, and those to mark
        handled (False: the rest waits for a database that is away or a failing handler)."""
        claim = rows[0].claim
        self._claims.add(claim)
        finished: list[InboxRow] = []
        try:
            for row in rows:
                incoming = self._decoded.pop(row.update_id, None) or self._decode(row)
                try:
                    if incoming is not None:
                        extra = {**incoming.extra, INBOX_CLAIM: row.claim}
                        async with self._gate:
                            await self.handle(dataclasses.replace(incoming, extra=extra))
                except UpdateAlreadyHandled:
                    log.info("update %s was handled by another attempt", row.update_id)
                    continue
                except StorageUnavailable:
                    log.warning(
                        "inbox: database away while handling update %s; kept for later",
                        row.update_id,
                    )
                    return False, finished
                except Exception:
                    if row.attempts < MAX_ATTEMPTS:
                        log.exception(
                            "update %s failed (attempt %s); it is handled again shortly",
                            row.update_id,
                            row.attempts,
                        )
                        return False, finished
                    log.exception(
                        "update %s failed %s times; given up", row.update_id, row.attempts
                    )
                finished.append(row)
            return True, finished
        finally:
            self._claims.discard(claim)

    def _decode(self, row: InboxRow) -> IncomingUpdate | None:
        try:
            return self.decode(row.payload)
        except Exception as exc:  # stored as it came: garbage is logged and marked handled
            log.warning("inbox: update %s cannot be read (%s); skipped", row.update_id, exc)
            return None

    async def _renew_forever(self) -> None:
        """Renew the leases of the claims this worker is working on, while it lives."""
        while self._tasks:
            await asyncio.sleep(RENEW_EVERY)
            with contextlib.suppress(StorageUnavailable):  # one statement for all of them
                await self.inbox.renew_claims(list(self._claims), self.clock() + LEASE)

    async def sweep(self, limit: int = 200, concurrency: int = 8) -> int:
        """Handle what nobody holds (after a crash, a database outage, a failed handler);
        returns how many chats were looked at."""
        now = self.clock()
        try:
            chats = await self.inbox.waiting_chats(now, now - SWEEP_GRACE, limit)
        except StorageUnavailable:
            return 0
        gate = asyncio.Semaphore(concurrency)

        async def one(channel: str, chat_id: int) -> None:
            async with gate:
                await self.drain(chat_id, patience=0)

        mine = [(c, chat) for c, chat in chats if c == self.channel]
        await asyncio.gather(*(one(c, chat) for c, chat in mine))
        return len(mine)

    async def sweep_forever(self, every: float = 2.0) -> None:
        """:meth:`sweep` every ``every`` seconds until cancelled."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("inbox sweep failed")
            await asyncio.sleep(every)

    async def idle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until the updates being handled now are done (tests and shutdown)."""
        async with asyncio.timeout(timeout):
            while self._tasks - {asyncio.current_task()}:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Finish what is being handled (a few seconds at most), then stop renewing."""
        with contextlib.suppress(TimeoutError):
            await self.idle(10.0)
        for task in list(self._tasks):
            task.cancel()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
