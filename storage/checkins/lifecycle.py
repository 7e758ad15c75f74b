"""Queries on check-ins: claiming due ones safely with several workers, and their life cycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update

from storage.checkins.conversations import StorageKey, upsert_states
from storage.coalesce import coalescer_of
from storage.customers.preferred import preferred_link_id
from storage.db import Database
from storage.models import (
    AdvocacyAsk,
    Case,
    ChannelLink,
    CheckIn,
    CheckInStatus,
    ConversationState,
    ConversationStep,
    Customer,
    Event,
    OptInState,
    Purchase,
    utcnow,
)

CHECKINS = CheckIn.__table__
OPEN = (CheckInStatus.SENT, CheckInStatus.REMINDED)


@dataclass(frozen=True)
class CheckInContext:
    """A check-in with what it takes to send it."""

    checkin: CheckIn
    customer: Customer
    chat_id: int | None
    product: str | None


def _contexts() -> Any:
    """Check-ins with their customer, preferred chat (storage/customers/preferred.py) and
    product."""
    return (
        select(CheckIn, Customer, ChannelLink.chat_id, Purchase.product)
        .join(Customer, Customer.id == CheckIn.customer_id)
        .outerjoin(ChannelLink, ChannelLink.id == preferred_link_id(Customer.id))
        .outerjoin(Purchase, Purchase.id == CheckIn.purchase_id)
    )


# Built once: a customer's every answer reads it, and building costs more than running.
CONTEXTS_OF = _contexts().where(CheckIn.id.in_(bindparam("ids", expanding=True)))


def _sent_values() -> dict[str, Any]:
    """What marking a check-in sent sets (``m_now``, ``m_expires``: its bound parameters)."""
    return {
        "status": case(
            (CHECKINS.c.status == CheckInStatus.SCHEDULED, CheckInStatus.SENT.value),
            else_=CHECKINS.c.status,
        ),
        "sent_at": bindparam("m_now"),
        "expires_at": bindparam("m_expires"),
        "attempt_count": CHECKINS.c.attempt_count + 1,
        "claimed_by": None,
        "claimed_until": None,
        "last_error": None,
    }


def _question_message_id() -> Any:
    """The first question's message id into its chat's state (``m_*`` parameters)."""
    states = ConversationState.__table__
    return (
        update(states)
        .where(
            states.c.channel == bindparam("m_channel"),
            states.c.chat_id == bindparam("m_chat"),
            states.c.user_id == bindparam("m_user"),
            states.c.checkin_id == bindparam("m_id"),
            states.c.question_index == 0,
        )
        .values(data=bindparam("m_data"))
    )


# One check-in marked sent, built once: the dispatcher marks each check-in before the next goes
# out, so this is on every send's path. On PostgreSQL both writes are one statement (a
# data-modifying CTE), which commits itself in one round trip; SQLite runs the two in one
# transaction.
MARK_ONE_CHECKIN = update(CHECKINS).where(CHECKINS.c.id == bindparam("m_id")).values(_sent_values())
MARK_ONE_MESSAGE_ID = _question_message_id()
MARK_ONE_SENT = _question_message_id().add_cte(
    update(CHECKINS)
    .where(CHECKINS.c.id == bindparam("m_id"))
    .values(_sent_values())
    .returning(CHECKINS.c.id)
    .cte("marked")
)


class CheckInQueries:
    """Check-in queries bound to a database."""

    db: Database

    async def _claim(
        self, where: object, worker: str, now: datetime, limit: int, lease: timedelta, order: object
    ) -> list[CheckIn]:
        """Claim rows matching ``where`` for ``worker`` until ``now + lease``.

        On PostgreSQL rows are locked with ``FOR UPDATE SKIP LOCKED`` so workers never take the
        same check-in; on SQLite the write lock taken first makes the claim single-writer. A
        claim whose lease ran out (its worker died) can be taken again.
        """
        free = or_(CHECKINS.c.claimed_until.is_(None), CHECKINS.c.claimed_until < now)
        async with self.db.session() as s:
            if self.db.dialect == "sqlite":
                # Take the write lock before reading what to claim (like BEGIN IMMEDIATE).
                await s.execute(update(CHECKINS).where(CHECKINS.c.id == -1).values(attempt_count=0))
            pick = select(CHECKINS.c.id).where(and_(where, free)).order_by(order, CHECKINS.c.id)
            pick = pick.limit(limit)
            if self.db.dialect == "postgresql":
                pick = pick.with_for_update(of=CHECKINS, skip_locked=True)
            ids = [r[0] for r in (await s.execute(pick)).all()]
            if not ids:
                return []
            await s.execute(
                update(CHECKINS)
                .where(CHECKINS.c.id.in_(ids))
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            rows = (
                (
                    await s.execute(
                        select(CheckIn).where(CheckIn.id.in_(ids)).order_by(order, CheckIn.id)
                    )
                )
                .scalars()
                .all()
            )
        return list(rows)

    async def claim_due_checkins(
        self, worker: str, now: datetime, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim scheduled check-ins that are due, of customers who opted in and have no open
        support case (a customer talking to support is not surveyed; their check-ins wait)."""
        opted_in = select(Customer.id).where(Customer.opt_in_state == OptInState.OPTED_IN)
        in_a_case = select(Case.open_for_customer).where(Case.open_for_customer.is_not(None))
        where = and_(
            CHECKINS.c.status == CheckInStatus.SCHEDULED,
            CHECKINS.c.due_at <= now,
            CHECKINS.c.customer_id.in_(opted_in),
            CHECKINS.c.customer_id.not_in(in_a_case),
        )
        return await self._claim(where, worker, now, limit, lease, CHECKINS.c.due_at)

    async def claim_reminders(
        self, worker: str, now: datetime, reminder_after: timedelta, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim sent check-ins unanswered for ``reminder_after`` that had no reminder yet."""
        where = and_(
            CHECKINS.c.status == CheckInStatus.SENT,
            CHECKINS.c.sent_at <= now - reminder_after,
            CHECKINS.c.expires_at > now,
        )
        return await self._claim(where, worker, now, limit, lease, CHECKINS.c.sent_at)

    async def expire_overdue(self, now: datetime) -> list[int]:
        """Mark sent or reminded check-ins past their expiry as expired; returns their ids."""
        async with self.db.session() as s:
            ids = [
                r[0]
                for r in (
                    await s.execute(
                        select(CHECKINS.c.id).where(
                            CHECKINS.c.status.in_(OPEN), CHECKINS.c.expires_at <= now
                        )
                    )
                ).all()
            ]
            if ids:
                await s.execute(
                    update(CHECKINS)
                    .where(CHECKINS.c.id.in_(ids), CHECKINS.c.status.in_(OPEN))
                    .values(status=CheckInStatus.EXPIRED, claimed_by=None, claimed_until=None)
                )
        return ids

    async def checkin_context(self, checkin_id: int) -> CheckInContext | None:
        """The check-in, its customer, their chat and the product it is about."""
        return (await self.checkin_contexts([checkin_id])).get(checkin_id)

    async def checkin_contexts(self, checkin_ids: list[int]) -> dict[int, CheckInContext]:
        """``checkin_context`` for many check-ins in one query."""
        if not checkin_ids:
            return {}
        async with self.db.session() as s:
            rows = (await s.execute(CONTEXTS_OF, {"ids": checkin_ids})).all()
        return {r[0].id: CheckInContext(r[0], r[1], r[2], r[3]) for r in rows}

    async def fatigue_facts_many(
        self, customer_ids: list[int]
    ) -> dict[int, tuple[datetime | None, datetime | None]]:
        """Per customer: (expiry of their open check-in, when we last asked them something).

        The last time counts check-ins and advocacy asks (review invitations, ambassador asks)
        alike: both are messages the survey-fatigue gap keeps apart.
        """
        if not customer_ids:
            return {}
        asks = AdvocacyAsk.__table__.c
        async with self.db.session() as s:
            open_rows = await s.execute(
                select(CHECKINS.c.customer_id, func.max(CHECKINS.c.expires_at))
                .where(CHECKINS.c.customer_id.in_(customer_ids), CHECKINS.c.status.in_(OPEN))
                .group_by(CHECKINS.c.customer_id)
            )
            sent_rows = await s.execute(
                select(CHECKINS.c.customer_id, func.max(CHECKINS.c.sent_at))
                .where(CHECKINS.c.customer_id.in_(customer_ids), CHECKINS.c.sent_at.is_not(None))
                .group_by(CHECKINS.c.customer_id)
            )
            ask_rows = await s.execute(
                select(asks.customer_id, func.max(asks.sent_at))
                .where(asks.customer_id.in_(customer_ids), asks.sent_at.is_not(None))
                .group_by(asks.customer_id)
            )
            open_until = dict(open_rows.all())
            last_sent = dict(sent_rows.all())
            for customer_id, sent_at in ask_rows.all():
                earlier = last_sent.get(customer_id)  # same backend, same kind of datetime
                last_sent[customer_id] = sent_at if earlier is None else max(earlier, sent_at)
        return {c: (open_until.get(c), last_sent.get(c)) for c in customer_ids}

    async def begin_conversations(self, starts: list[tuple[StorageKey, int]]) -> None:
        """Put each chat at question 0 of its check-in (before the question is sent, so an
        answer arriving right after the send finds its state)."""
        if not starts:
            return
        now = utcnow()
        async with self.db.session() as s:
            await s.execute(
                upsert_states(self.db.dialect),
                [
                    {
                        "channel": k.channel,
                        "chat_id": k.chat_id,
                        "user_id": k.user_id,
                        "step": ConversationStep.QUESTION.value,
                        "checkin_id": checkin_id,
                        "question_index": 0,
                        "data": {},
                        "version": 0,
                        "updated_at": now,
                    }
                    for k, checkin_id in starts
                ],
            )

    async def mark_sent(
        self, key: StorageKey, checkin_id: int, message_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Mark one check-in sent the moment Telegram took it (``finish_sends`` for one);
        marks made at the same moment share a transaction (see :mod:`storage.coalesce`)."""
        marks = coalescer_of(self, "_sent_marks", self._mark_sent_batch)
        await marks((key, checkin_id, message_id, now, expires_at))

    async def _mark_sent_batch(
        self, marks: Sequence[tuple[StorageKey, int, int, datetime, datetime]]
    ) -> list[None]:
        if len(marks) == 1:  # one in flight (the default): one statement
            await self._mark_one_sent(*marks[0])
            return [None]
        groups: dict[tuple[datetime, datetime], list[tuple[StorageKey, int, int]]] = {}
        for key, checkin_id, message_id, now, expires_at in marks:
            groups.setdefault((now, expires_at), []).append((key, checkin_id, message_id))
        for (now, expires_at), sent in groups.items():
            await self.finish_sends(sent, now, expires_at)
        return [None] * len(marks)

    async def _mark_one_sent(
        self, key: StorageKey, checkin_id: int, message_id: int, now: datetime, expires: datetime
    ) -> None:
        """``finish_sends`` for one check-in, with prebuilt statements on a bare connection."""
        params = {
            "m_id": checkin_id,
            "m_now": now,
            "m_expires": expires,
            "m_channel": key.channel,
            "m_chat": key.chat_id,
            "m_user": key.user_id,
            "m_data": {"message_id": message_id},
        }
        async with self.db.statements() as conn:
            if self.db.dialect == "postgresql":
                await conn.execute(MARK_ONE_SENT, params)
            else:
                await conn.execute(MARK_ONE_CHECKIN, params)
                await conn.execute(MARK_ONE_MESSAGE_ID, params)

    async def renew_checkin_claims(
        self, worker: str, checkin_ids: list[int], until: datetime
    ) -> None:
        """Extend ``worker``'s claims on those check-ins it still holds (it is alive). A claim
        already held longer (a failed send's retry time, see ``mark_retry``) is left alone."""
        if not checkin_ids:
            return
        async with self.db.session() as s:
            await s.execute(
                update(CHECKINS)
                .where(
                    CHECKINS.c.id.in_(checkin_ids),
                    CHECKINS.c.claimed_by == worker,
                    CHECKINS.c.claimed_until.is_not(None),
                    CHECKINS.c.claimed_until < until,
                )
                .values(claimed_until=until)
            )

    async def finish_sends(
        self, sent: list[tuple[StorageKey, int, int]], now: datetime, expires_at: datetime
    ) -> None:
        """Mark check-ins sent and remember each question's message id, in one transaction."""
        if not sent:
            return
        status = case(
            (CHECKINS.c.status == CheckInStatus.SCHEDULED, CheckInStatus.SENT.value),
            else_=CHECKINS.c.status,
        )
        async with self.db.session() as s:
            await s.execute(
                update(CHECKINS)
                .where(CHECKINS.c.id.in_([cid for _, cid, _ in sent]))
                .values(
                    status=status,
                    sent_at=now,
                    expires_at=expires_at,
                    attempt_count=CHECKINS.c.attempt_count + 1,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=None,
                )
            )
            states = ConversationState.__table__
            await s.execute(
                update(states)
                .where(
                    states.c.channel == bindparam("k_channel"),
                    states.c.chat_id == bindparam("k_chat"),
                    states.c.user_id == bindparam("k_user"),
                    states.c.checkin_id == bindparam("k_checkin"),
                    states.c.question_index == 0,
                )
                .values(data=bindparam("k_data")),
                [
                    {
                        "k_channel": k.channel,
                        "k_chat": k.chat_id,
                        "k_user": k.user_id,
                        "k_checkin": cid,
                        "k_data": {"message_id": mid},
                    }
                    for k, cid, mid in sent
                ],
            )

    async def next_scheduled(self, customer_id: int) -> CheckIn | None:
        """The customer's next scheduled check-in."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(CheckIn)
                    .where(
                        CheckIn.customer_id == customer_id,
                        CheckIn.status == CheckInStatus.SCHEDULED,
                    )
                    .order_by(CheckIn.due_at)
                    .limit(1)
                )
            ).scalar()

    async def _set(self, checkin_id: int, **values: object) -> None:
        async with self.db.session() as s:
            await s.execute(update(CHECKINS).where(CHECKINS.c.id == checkin_id).values(**values))

    async def reschedule(self, checkin_id: int, due_at: datetime, reason: str) -> None:
        """Move a claimed check-in to ``due_at`` and let it go."""
        await self._set(
            checkin_id, due_at=due_at, claimed_by=None, claimed_until=None, last_error=reason[:500]
        )

    async def mark_reminded(self, checkin_id: int, now: datetime) -> None:
        """The one reminder went out."""
        await self._set(
            checkin_id,
            status=CheckInStatus.REMINDED,
            reminded_at=now,
            claimed_by=None,
            claimed_until=None,
        )

    async def mark_answered(self, checkin_id: int, now: datetime) -> None:
        """The customer answered every question."""
        await self._set(
            checkin_id,
            status=CheckInStatus.ANSWERED,
            answered_at=now,
            claimed_by=None,
            claimed_until=None,
        )

    async def mark_retry(self, checkin_id: int, retry_at: datetime, error: str) -> None:
        """Sending failed for a passing reason: keep the claim until ``retry_at``."""
        await self._set(
            checkin_id,
            claimed_until=retry_at,
            last_error=error[:500],
            attempt_count=CHECKINS.c.attempt_count + 1,
        )

    async def cancel_checkin(
        self, checkin_id: int, reason: str, status: CheckInStatus = CheckInStatus.CANCELLED
    ) -> None:
        """Stop a check-in for good (cancelled, or expired when it is too late to ask)."""
        await self._set(
            checkin_id, status=status, last_error=reason[:500], claimed_by=None, claimed_until=None
        )
        async with self.db.session() as s:
            s.add(
                Event(
                    kind=f"checkin.{status}",
                    data={"checkin_id": checkin_id, "reason": reason[:200]},
                )
            )
