"""Sending due check-ins and reminders, expiring unanswered ones: survey fatigue rules apply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.chat_address import channel_of
from handlers.checkins import flow as checkin_flow
from handlers.deps import Deps, SurveyRules
from handlers.messages import (
    ChannelUnavailable,
    ChatUnreachable,
    MessageRejected,
    RetryLater,
)
from storage.checkins.conversations import StorageKey
from storage.checkins.lifecycle import CheckInContext
from storage.models import CheckIn, CheckInStatus, OptInState

log = logging.getLogger(__name__)

# Claims are short and renewed every RENEW_EVERY while their worker lives: a dead worker's
# check-ins are taken over after LEASE, not minutes later.
LEASE = timedelta(seconds=15)
RENEW_EVERY = 5.0
# A round renews its claims this long at most: a worker stuck in a round (a send or the database
# hanging) does not keep its check-ins from the other workers for ever.
MAX_RENEWING = 120.0
# Check-ins in flight at once (survey.checkins_in_flight). Each is marked sent as soon as
# Telegram took it, and its slot is free only once that mark is stored, so a crash leaves at most
# this many check-ins sent but not marked: those, and only those, are sent a second time by the
# worker that takes over. One: at most one duplicate per crash.
SEND_CONCURRENCY = 1
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DispatchReport:
    """What one dispatch round did."""

    sent: int = 0
    reminded: int = 0
    rescheduled: int = 0
    expired: int = 0
    failed: int = 0
    cancelled: int = 0


def after_quiet_hours(moment: datetime, zone: str, rules: SurveyRules) -> datetime:
    """``moment`` if it is outside quiet hours in ``zone``, else the end of those quiet hours."""
    local = moment.astimezone(ZoneInfo(zone))
    start, end, now_t = rules.quiet_start, rules.quiet_end, local.time()
    overnight = start > end
    quiet = (now_t >= start or now_t < end) if overnight else (start <= now_t < end)
    if not quiet:
        return moment
    wake = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if wake <= local:
        # zoneinfo derives the UTC offset from the wall time, so DST changes come out right.
        wake = (local + timedelta(days=1)).replace(
            hour=end.hour, minute=end.minute, second=0, microsecond=0
        )
    return wake.astimezone(moment.tzinfo)


def fatigue_delay(
    now: datetime, open_until: datetime | None, last_sent: datetime | None, rules: SurveyRules
) -> datetime | None:
    """When a check-in may go out given the customer's other check-ins; None if it may now."""
    not_before = now
    if open_until is not None and open_until > not_before:
        not_before = open_until
    if last_sent is not None and last_sent + rules.min_gap > not_before:
        not_before = last_sent + rules.min_gap
    return None if not_before == now else not_before


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between retries of a failing send."""
    return min(timedelta(seconds=30 * 2 ** max(attempts, 0)), MAX_BACKOFF)


async def dispatch_due(
    deps: Deps, worker: str, batch: int = 100, concurrency: int = SEND_CONCURRENCY
) -> DispatchReport:
    """One round: expire overdue check-ins, send due ones and reminders (one batch each).

    A batch costs a fixed handful of database transactions; the questions go out concurrently.
    """
    report = DispatchReport()
    now = deps.clock()
    for checkin_id in await deps.checkins.expire_overdue(now):
        await deps.conversations.clear_states_for_checkin(checkin_id)
        report.expired += 1
    claimed = await deps.checkins.claim_due_checkins(worker, now, batch, LEASE)
    if claimed:
        # Renewed from the claim on: reading contexts and the fatigue rules, rescheduling and
        # starting conversations take as long as the database does, and a lease that ran out
        # meanwhile let another worker send the same check-ins.
        async with _renewing(deps, worker, [c.id or 0 for c in claimed]):
            await _send_batch(deps, claimed, now, report, concurrency)
    # The reminders' lease starts now, not when the round started: a long send batch would
    # otherwise leave them claimed until a moment already past, free for any other worker.
    lease = LEASE + max(deps.clock() - now, timedelta(0))  # claimed until the clock's now + LEASE
    reminders = await deps.checkins.claim_reminders(
        worker, now, deps.rules.reminder_after, batch, lease
    )
    async with _renewing(deps, worker, [c.id or 0 for c in reminders]):
        for checkin in reminders:
            await _remind_one(deps, checkin, now, report)
    return report


async def _send_batch(
    deps: Deps,
    claimed: list[CheckIn],
    now: datetime,
    report: DispatchReport,
    concurrency: int,
) -> None:
    contexts = await deps.checkins.checkin_contexts([c.id or 0 for c in claimed])
    facts = await deps.checkins.fatigue_facts_many(sorted({c.customer_id for c in claimed}))
    chosen: dict[int, CheckInContext] = {}  # customer id -> the check-in going out now
    for checkin in claimed:
        ctx = contexts.get(checkin.id or 0)
        if ctx is None:
            continue
        reason = _cannot_send(ctx)
        if reason:
            await deps.checkins.cancel_checkin(checkin.id or 0, reason)
            report.cancelled += 1
            continue
        if now - checkin.due_at > deps.rules.expire_after:
            await deps.checkins.cancel_checkin(
                checkin.id or 0, "too late to ask", CheckInStatus.EXPIRED
            )
            report.expired += 1
            continue
        open_until, last_sent = facts.get(checkin.customer_id, (None, None))
        if checkin.customer_id in chosen:  # another check-in of theirs goes out in this batch
            open_until, last_sent = now + deps.rules.expire_after, now
        later = fatigue_delay(now, open_until, last_sent, deps.rules)
        if later is None:
            woken = after_quiet_hours(now, ctx.customer.timezone, deps.rules)
            later, why = (woken if woken != now else None), "quiet hours"
        else:
            later, why = (
                after_quiet_hours(later, ctx.customer.timezone, deps.rules),
                "survey fatigue",
            )
        if later is not None:
            await deps.checkins.reschedule(checkin.id or 0, later, why)
            report.rescheduled += 1
            continue
        chosen[checkin.customer_id] = ctx
    keys = {
        c: StorageKey(channel_of(ctx.chat_id or 0), ctx.chat_id or 0, ctx.chat_id or 0)
        for c, ctx in chosen.items()
    }
    await deps.checkins.begin_conversations(
        [(keys[c], ctx.checkin.id or 0) for c, ctx in chosen.items()]
    )
    gate = asyncio.Semaphore(concurrency)
    sent_ok = 0

    async def send(ctx: CheckInContext) -> tuple[CheckInContext, Exception | None]:
        nonlocal sent_ok
        async with gate:
            try:
                opener = deps.openers.get(channel_of(ctx.chat_id or 0), checkin_flow.ask_first)
                message_id = await opener(deps, ctx)
            except Exception as exc:
                return ctx, exc
            # Marked before the slot is free: a crash leaves at most `concurrency` unmarked.
            key = keys[ctx.customer.id or 0]
            try:
                await _mark_sent(deps, key, ctx.checkin.id or 0, message_id, now, expires)
            except Exception:
                # Sent, but not marked: not a failed send (never retried as one). Its claim
                # runs out and it goes out once more, the one repeat a crash also leaves. The
                # other sends of the batch carry on under the renewed claims.
                log.exception("check-in %s was sent but could not be marked sent", ctx.checkin.id)
                return ctx, None
            sent_ok += 1
            return ctx, None

    expires = now + deps.rules.expire_after
    results = await asyncio.gather(*(send(ctx) for ctx in chosen.values()))
    report.sent += sent_ok
    for ctx, outcome in results:
        if outcome is not None:
            await deps.conversations.clear_state(keys[ctx.customer.id or 0])
            await _failed(deps, ctx, outcome, now, report)


async def _mark_sent(
    deps: Deps, key: StorageKey, checkin_id: int, message_id: int, now: datetime, expires: datetime
) -> None:
    """Mark a check-in Telegram took as sent; with the database away, keep trying (the claim
    outlives an outage shorter than LEASE, so nobody sends it again meanwhile)."""
    deadline = asyncio.get_running_loop().time() + 2 * LEASE.total_seconds()
    while True:
        try:
            await deps.checkins.mark_sent(key, checkin_id, message_id, now, expires)
            return
        except ConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


@asynccontextmanager
async def _renewing(deps: Deps, worker: str, ids: list[int]) -> AsyncIterator[None]:
    """Renew ``worker``'s claims on ``ids`` every RENEW_EVERY seconds while the block runs
    (MAX_RENEWING seconds at most)."""

    async def renew() -> None:
        for _ in range(int(MAX_RENEWING // RENEW_EVERY)):
            await asyncio.sleep(RENEW_EVERY)
            try:
                await deps.checkins.renew_checkin_claims(worker, ids, deps.clock() + LEASE)
            except ConnectionError as exc:  # the sends fail too; the lease runs out
                log.warning("could not renew check-in claims: %s", exc)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()


def _cannot_send(ctx: CheckInContext) -> str | None:
    if ctx.customer.opt_in_state != OptInState.OPTED_IN:
        return f"customer is {ctx.customer.opt_in_state}"
    if ctx.chat_id is None:
        return "customer has no linked chat"
    return None


async def _remind_one(deps: Deps, checkin: CheckIn, now: datetime, report: DispatchReport) -> None:
    ctx = await deps.checkins.checkin_context(checkin.id or 0)
    if ctx is None or _cannot_send(ctx):
        return
    woken = after_quiet_hours(now, ctx.customer.timezone, deps.rules)
    if woken != now:
        await deps.checkins.mark_retry(checkin.id or 0, woken, "reminder waits for quiet hours")
        return
    assert ctx.chat_id is not None
    key = StorageKey(channel_of(ctx.chat_id), ctx.chat_id, ctx.chat_id)
    state = await deps.conversations.get_state(key)
    try:
        reminder = deps.reminders.get(channel_of(ctx.chat_id), checkin_flow.remind)
        await reminder(deps, ctx, state)
    except Exception as exc:
        await _failed(deps, ctx, exc, now, report)
        return
    await deps.checkins.mark_reminded(checkin.id or 0, now)
    report.reminded += 1


async def _failed(
    deps: Deps, ctx: CheckInContext, exc: Exception, now: datetime, report: DispatchReport
) -> None:
    checkin_id = ctx.checkin.id or 0
    report.failed += 1
    if isinstance(exc, ChatUnreachable):
        log.info("customer %s blocked the bot; marking unreachable", ctx.customer.id)
        await deps.customers.set_opt_in_state(
            ctx.customer.id or 0, OptInState.UNREACHABLE, "bot was blocked by the customer"
        )
        return
    if isinstance(exc, RetryLater):
        await deps.checkins.mark_retry(checkin_id, now + timedelta(seconds=exc.seconds), str(exc))
        return
    if isinstance(exc, ChannelUnavailable):
        wait = backoff(ctx.checkin.attempt_count)
        log.warning("sending check-in %s failed (%s); retry in %s", checkin_id, exc, wait)
        await deps.checkins.mark_retry(checkin_id, now + wait, str(exc))
        return
    if isinstance(exc, MessageRejected | LookupError):
        log.error("check-in %s cannot be sent: %s", checkin_id, exc)
        await deps.checkins.cancel_checkin(checkin_id, str(exc))
        return
    log.exception("unexpected error sending check-in %s; will retry", checkin_id, exc_info=exc)
    await deps.checkins.mark_retry(checkin_id, now + backoff(ctx.checkin.attempt_count), repr(exc))
