"""Deliver the outbox to the desk in order: render each post from the database, send, record.

A rate limit or an outage holds the whole queue (nothing overtakes a card that is still to be
posted) and retries with backoff; a post the desk refuses for good is set aside and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from handlers.desk.card import describe_answer, render_case
from handlers.desk.file_relay import share_file
from handlers.desk.messages import DeskMessage, DeskRejected, DeskRetryLater
from handlers.desk.port import DeskDeps
from storage.desk.cases import THREAD_FILE
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = "outbox"
# Renewed before every post while a round runs: a dead worker's round is taken over in seconds.
LEASE_TTL = timedelta(seconds=15)
# ...and every few seconds while one post is on its way: a customer's file (fetched, then
# uploaded) can take longer than the lease, and another round must not send it again meanwhile.
RENEW_EVERY = 5.0
MAX_BACKOFF = timedelta(seconds=15)


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery round: posts sent, set aside for good, and whether the queue is held."""

    sent: int = 0
    failed: int = 0
    held: bool = False
    skipped_lease: bool = False


class _Superseded(Exception):
    """A card update made redundant by a later one in the same round."""


async def deliver_outbox(
    dd: DeskDeps, limit: int = 100, renew_every: float = RENEW_EVERY
) -> DeliveryReport:
    """Send pending posts in order until the queue is empty, held, or ``limit`` is reached.

    ``renew_every``: seconds between renewals of the round's lease while a post is on its way.
    """
    now = dd.clock()
    holder = f"{dd.worker}:{secrets.token_hex(4)}"  # this round only: never shared, never freed
    if not await dd.leases.take_lease(LEASE, holder, now, LEASE_TTL):  # by another round
        return DeliveryReport(skipped_lease=True)
    sent = failed = 0
    held = False
    try:
        pending = await dd.desk_outbox.pending_outbox(limit)
        for i, message in enumerate(pending):
            if message.next_attempt_at > dd.clock():
                held = True
                break
            if not await dd.leases.take_lease(LEASE, holder, dd.clock(), LEASE_TTL):
                break  # this round was too slow and another took over
            later = pending[i + 1 :]
            try:
                ts = await _kept(dd, holder, renew_every, _deliver(dd, message, later))
            except _Superseded:
                ts = None
            except DeskRetryLater as exc:
                await _hold(dd, message, timedelta(seconds=max(exc.retry_after, 1)), str(exc))
                held = True
                break
            except DeskRejected as exc:
                log.error("outbox %s (%s) refused for good: %s", message.id, message.kind, exc)
                await dd.desk_outbox.outbox_failed(message.id or 0, str(exc))
                failed += 1
                continue
            except Exception as exc:  # outage, timeout, anything: keep it, back off
                backoff = min(timedelta(seconds=2 ** min(message.attempts, 10)), MAX_BACKOFF)
                await _hold(dd, message, backoff, f"{type(exc).__name__}: {exc}")
                held = True
                break
            is_card = message.kind == "case_card"
            card = (message.case_id, channel_of(dd, message)) if is_card else None
            await dd.desk_outbox.outbox_sent(message.id or 0, dd.clock(), ts, card=card)
            sent += 1
    finally:
        await dd.leases.release_lease(LEASE, holder)
    return DeliveryReport(sent, failed, held)


async def _kept(dd: DeskDeps, holder: str, every: float, post: Awaitable[str | None]) -> str | None:
    """Await ``post`` while keeping the round's lease renewed. The keeper is told to stop
    between renewals, never cancelled inside one (a database call cut off mid-way could leave
    its pooled connection in a bad state)."""
    done = asyncio.Event()
    keeper = asyncio.create_task(_keep_lease(dd, holder, every, done))
    try:
        return await post
    finally:
        done.set()
        await keeper


async def _keep_lease(dd: DeskDeps, holder: str, every: float, done: asyncio.Event) -> None:
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), every)
        if done.is_set():
            return
        try:
            kept = await dd.leases.take_lease(LEASE, holder, dd.clock(), LEASE_TTL)
        except Exception as exc:  # the database away: the post goes on, the next renewal tries
            log.warning("outbox lease not renewed during a post: %s", exc)
            continue
        if not kept:
            log.warning("outbox round %s lost its lease while a post was on its way", holder)
            return


def channel_of(dd: DeskDeps, message: OutboxMessage) -> str:
    """The channel a post goes to: its own, or the support channel."""
    return message.channel or dd.settings.support_channel


async def _hold(dd: DeskDeps, message: OutboxMessage, wait: timedelta, error: str) -> None:
    log.warning(
        "outbox %s (%s) not delivered (attempt %s): %s; retrying in %ss",
        message.id,
        message.kind,
        message.attempts + 1,
        error,
        int(wait.total_seconds()),
    )
    await dd.desk_outbox.outbox_retry(message.id or 0, dd.clock() + wait, error)


async def _deliver(dd: DeskDeps, message: OutboxMessage, later: list[OutboxMessage]) -> str | None:
    """Render and send one post; returns the ts the desk gave it."""
    channel = channel_of(dd, message)
    if message.kind == "channel":
        return await dd.desk.post(channel, DeskMessage(message.text or ""))
    if message.kind == "card_update" and any(
        m.kind == "card_update" and m.case_id == message.case_id for m in later
    ):
        raise _Superseded  # a later update renders the same truth
    if message.kind in ("case_card", "card_update"):  # the view reads the case too
        view = await dd.cases.case_view(message.case_id or 0, dd.settings.previous_answers)
        case = view.case if view is not None else None
    else:
        view, case = None, await dd.cases.get_case(message.case_id or 0)
    if case is None:
        raise DeskRejected(f"case {message.case_id} does not exist")
    if message.kind == "case_card":
        if case.slack_ts:  # posted before the mark could be stored: never post it twice
            return case.slack_ts
        if message.started_at is not None:  # an attempt was cut off: did its post go out?
            found = await dd.desk.find_card(channel, case.id or 0)
            if found:
                log.info("case %s: the card an interrupted attempt posted is used", case.id)
                return found
        else:
            await dd.desk_outbox.outbox_started(message.id or 0, dd.clock())
        assert view is not None
        card = render_case(view, dd.clock(), dd.desk.markup)
        return await dd.desk.post(channel, card, card_of=case.id)
    if not case.slack_ts or not case.slack_channel:
        raise DeskRejected(f"case {case.id} has no card to update or reply under")
    if message.kind == "card_update":
        assert view is not None
        card = render_case(view, dd.clock(), dd.desk.markup)
        await dd.desk.update(case.slack_channel, case.slack_ts, card)
        return case.slack_ts
    if message.kind == "case_answer":
        found = await dd.cases.answer_with_checkin(int(message.payload.get("answer_id", 0)))
        if found is None:
            raise DeskRejected("the answer is gone")
        answer, checkin = found
        where = f"{checkin.touchpoint} check-in" if checkin else "a message"
        text = f"➕ Another flagged answer ({where}): {describe_answer(answer)}"
        return await dd.desk.post(case.slack_channel, DeskMessage(text), thread_ts=case.slack_ts)
    if message.kind == "thread":
        text = message.text or ""
        return await dd.desk.post(case.slack_channel, DeskMessage(text), thread_ts=case.slack_ts)
    if message.kind == THREAD_FILE:
        interrupted = message.started_at is not None  # did an earlier attempt's file go out?
        if not interrupted:
            await dd.desk_outbox.outbox_started(message.id or 0, dd.clock())
        return await share_file(
            dd, case.slack_channel, case.slack_ts, message.payload, message.attempts, interrupted
        )
    raise DeskRejected(f"unknown outbox kind {message.kind!r}")
