"""Advocacy queries: asks claimed safely by several workers, tracked links, clicks, credits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    AdvocacyAsk,
    Case,
    ChannelLink,
    CheckIn,
    Customer,
    Event,
    LinkClick,
    Purchase,
    ReferralCredit,
    Testimonial,
    TrackedLink,
)

log = logging.getLogger(__name__)

ASKS = AdvocacyAsk.__table__
CREDITS = ReferralCredit.__table__
WAITING = ("scheduled", "sending")  # not sent yet; "sending" is claimed until its due_at
ANSWERABLE = ("sent", "answered")


@dataclass(frozen=True)
class AskContext:
    """An ask with what it takes to send it: the customer, their chat and the product."""

    ask: AdvocacyAsk
    customer: Customer
    chat_id: int | None
    sku: str | None
    product: str | None


@dataclass(frozen=True)
class ThanksContext:
    """A referral credit whose ambassador is to be thanked."""

    credit: ReferralCredit
    customer: Customer
    chat_id: int | None


def _insert(dialect: str, table: Any) -> Any:
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


class AdvocacyQueries:
    """Queries on asks, tracked links, clicks, testimonials and referral credits."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- asks -------------------------------------------------------------------------------

    async def schedule_ask(
        self,
        kind: str,
        dedupe_key: str,
        customer_id: int,
        due_at: datetime,
        checkin_id: int | None = None,
    ) -> bool:
        """Schedule an ask once per ``dedupe_key``; False when it already exists."""
        stmt = (
            _insert(self.db.dialect, ASKS)
            .values(
                dedupe_key=dedupe_key[:80],
                kind=kind,
                customer_id=customer_id,
                checkin_id=checkin_id,
                status="scheduled",
                due_at=due_at,
                choices=[],
                created_at=due_at,
            )
            .on_conflict_do_nothing(index_elements=[ASKS.c.dedupe_key])
            .returning(ASKS.c.id)
        )
        async with self.db.session() as s:
            inserted = (await s.execute(stmt)).scalar()
        return inserted is not None

    async def asks_of(self, customer_id: int, kind: str) -> list[AdvocacyAsk]:
        """A customer's asks of one kind, oldest first."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(AdvocacyAsk)
                .where(AdvocacyAsk.customer_id == customer_id, AdvocacyAsk.kind == kind)
                .order_by(AdvocacyAsk.id)
            )
        return list(rows.scalars().all())

    async def claim_due_asks(self, now: datetime, limit: int, lease: timedelta) -> list[AskContext]:
        """Claim due asks of customers without an open case, until ``now + lease``.

        On PostgreSQL rows are locked with ``FOR UPDATE SKIP LOCKED`` so two workers never take
        the same ask; on SQLite the write lock is taken first. An ask whose worker died while
        sending ("sending" past its lease) is taken again.
        """
        open_case = select(Case.open_for_customer).where(Case.open_for_customer.is_not(None))
        where = and_(
            ASKS.c.status.in_(WAITING),
            ASKS.c.due_at <= now,
            ASKS.c.customer_id.not_in(open_case),
        )
        async with self.db.session() as s:
            if self.db.dialect == "sqlite":
                await s.execute(update(ASKS).where(ASKS.c.id == -1).values(status="x"))
            pick = select(ASKS.c.id).where(where).order_by(ASKS.c.due_at, ASKS.c.id).limit(limit)
            if self.db.dialect == "postgresql":
                pick = pick.with_for_update(of=ASKS, skip_locked=True)
            ids = [r[0] for r in (await s.execute(pick)).all()]
            if not ids:
                return []
            await s.execute(
                update(ASKS).where(ASKS.c.id.in_(ids)).values(status="sending", due_at=now + lease)
            )
            rows = (
                await s.execute(
                    select(
                        AdvocacyAsk, Customer, ChannelLink.chat_id, Purchase.sku, Purchase.product
                    )
                    .join(Customer, Customer.id == AdvocacyAsk.customer_id)
                    .outerjoin(
                        ChannelLink,
                        and_(
                            ChannelLink.customer_id == Customer.id,
                            ChannelLink.channel == "telegram",
                        ),
                    )
                    .outerjoin(CheckIn, CheckIn.id == AdvocacyAsk.checkin_id)
                    .outerjoin(Purchase, Purchase.id == CheckIn.purchase_id)
                    .where(AdvocacyAsk.id.in_(ids))
                    .order_by(AdvocacyAsk.due_at, AdvocacyAsk.id)
                )
            ).all()
        return [AskContext(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def _set_ask(self, ask_id: int, where: Any = None, **values: object) -> bool:
        cond = ASKS.c.id == ask_id if where is None else and_(ASKS.c.id == ask_id, where)
        async with self.db.session() as s:
            result = await s.execute(update(ASKS).where(cond).values(**values))
        return bool(result.rowcount)

    async def reschedule_ask(self, ask_id: int, due_at: datetime) -> None:
        """Put a claimed ask back to wait until ``due_at`` (quiet hours, fatigue, retry)."""
        await self._set_ask(ask_id, status="scheduled", due_at=due_at)

    async def cancel_ask(self, ask_id: int, reason: str) -> None:
        """Never send this ask (the customer left, or it cannot be delivered)."""
        await self._set_ask(ask_id, status="cancelled")
        async with self.db.session() as s:
            s.add(Event(kind="advocacy.ask_cancelled", data={"ask_id": ask_id, "reason": reason}))

    async def mark_ask_sent(self, ask_id: int, now: datetime) -> None:
        """The ask went out."""
        await self._set_ask(ask_id, status="sent", sent_at=now)

    async def last_ask_sent(self, customer_ids: list[int]) -> dict[int, datetime]:
        """Per customer, when their latest ask went out (survey fatigue counts asks too)."""
        if not customer_ids:
            return {}
        async with self.db.session() as s:
            rows = await s.execute(
                select(ASKS.c.customer_id, func.max(ASKS.c.sent_at))
                .where(ASKS.c.customer_id.in_(customer_ids), ASKS.c.sent_at.is_not(None))
                .group_by(ASKS.c.customer_id)
            )
            return {c: at for c, at in rows.all() if at is not None}

    async def get_ask(self, ask_id: int) -> AdvocacyAsk | None:
        """One ask."""
        async with self.db.session() as s:
            return await s.get(AdvocacyAsk, ask_id)

    async def add_choice(self, ask_id: int, choice: str, now: datetime) -> AdvocacyAsk | None:
        """Record a yes to one offer of an answerable ask; None when the ask is not answerable."""
        async with self.db.session() as s:
            pick = select(AdvocacyAsk).where(
                AdvocacyAsk.id == ask_id, AdvocacyAsk.status.in_(ANSWERABLE)
            )
            if self.db.dialect == "postgresql":
                pick = pick.with_for_update()
            ask = (await s.execute(pick)).scalar()
            if ask is None:
                return None
            choices = list(ask.choices or [])
            if choice not in choices:
                choices.append(choice)
            await s.execute(
                update(ASKS)
                .where(ASKS.c.id == ask_id)
                .values(status="answered", choices=choices, answered_at=ask.answered_at or now)
            )
            ask.choices, ask.status = choices, "answered"
        return ask

    async def decline_ask(self, ask_id: int, now: datetime) -> bool:
        """The customer said no to a sent ask; False when it was not waiting for an answer."""
        return await self._set_ask(
            ask_id, ASKS.c.status == "sent", status="declined", answered_at=now
        )

    async def expire_asks(self, sent_before: datetime) -> int:
        """Ambassador asks sent before ``sent_before`` and never answered count as unanswered."""
        async with self.db.session() as s:
            result = await s.execute(
                update(ASKS)
                .where(
                    ASKS.c.kind == "ambassador",
                    ASKS.c.status == "sent",
                    ASKS.c.sent_at < sent_before,
                )
                .values(status="expired")
            )
        return result.rowcount or 0

    async def set_segment(self, customer_id: int, segment: str) -> None:
        """Mark the customer's segment (an ambassador said yes)."""
        async with self.db.session() as s:
            await s.execute(
                update(Customer).where(Customer.id == customer_id).values(segment=segment)
            )

    # --- tracked links and clicks ---------------------------------------------------------

    async def find_link(self, code: str) -> TrackedLink | None:
        """The tracked link behind an opaque code."""
        async with self.db.session() as s:
            return await s.get(TrackedLink, code)

    async def referral_link(self, customer_id: int) -> TrackedLink | None:
        """The customer's personal referral link, if they have one."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(TrackedLink)
                    .where(TrackedLink.kind == "referral", TrackedLink.customer_id == customer_id)
                    .order_by(TrackedLink.created_at)
                    .limit(1)
                )
            ).scalar()

    async def shared_review_link(self, platform: str, target_url: str) -> TrackedLink | None:
        """The review link for a platform page (shared by everyone, no customer behind it)."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(TrackedLink)
                    .where(
                        TrackedLink.kind == "review",
                        TrackedLink.customer_id.is_(None),
                        TrackedLink.platform == platform,
                        TrackedLink.target_url == target_url,
                    )
                    .order_by(TrackedLink.created_at)
                    .limit(1)
                )
            ).scalar()

    async def create_link(
        self,
        kind: str,
        target: Callable[[str], str],
        make_code: Callable[[], str],
        customer_id: int | None = None,
        platform: str | None = None,
    ) -> TrackedLink:
        """A new tracked link with a fresh code (``target`` builds the URL from the code)."""
        for _ in range(5):
            code = make_code()
            link = TrackedLink(
                code=code,
                kind=kind,
                customer_id=customer_id,
                platform=platform,
                target_url=target(code)[:2000],
            )
            try:
                async with self.db.session() as s:
                    s.add(link)
            except IntegrityError:
                log.info("tracked link code collision; drawing another")
                continue
            return link
        raise RuntimeError("could not find a free tracked link code")

    async def record_click(self, code: str, at: datetime) -> None:
        """Count one click: the code and the time, nothing about who clicked."""
        async with self.db.session() as s:
            s.add(LinkClick(code=code, at=at))

    async def click_count(self, code: str) -> int:
        """How often a code was clicked."""
        async with self.db.session() as s:
            return (
                await s.execute(select(func.count()).where(LinkClick.code == code))
            ).scalar_one()

    # --- testimonials ---------------------------------------------------------------------

    async def save_testimonial(
        self, customer_id: int, text: str, language: str | None, consent: bool, now: datetime
    ) -> Testimonial:
        """Keep a testimonial; with consent, the date of the consent is stored with it."""
        row = Testimonial(
            customer_id=customer_id,
            text=text,
            language=language,
            consent=consent,
            consent_at=now if consent else None,
            created_at=now,
        )
        async with self.db.session() as s:
            s.add(row)
            await s.flush()
        return row

    async def give_consent(self, testimonial_id: int, customer_id: int, now: datetime) -> bool:
        """The customer allowed us to quote their testimonial: consent and its date stored."""
        async with self.db.session() as s:
            result = await s.execute(
                update(Testimonial)
                .where(Testimonial.id == testimonial_id, Testimonial.customer_id == customer_id)
                .values(consent=True, consent_at=now)
            )
        return bool(result.rowcount)

    # --- referral credit ------------------------------------------------------------------

    async def credit_referrals(self, now: datetime) -> int:
        """Credit every purchase that came with a known referral code, once per purchase.

        The unique ``purchase_id`` makes a replayed purchase (or two workers at once) credit
        only once. Codes of forgotten ambassadors no longer exist; self-referrals are skipped.
        """
        pending = (
            select(Purchase.id, TrackedLink.customer_id, TrackedLink.code)
            .join(
                TrackedLink,
                and_(
                    TrackedLink.code == func.lower(Purchase.referral_code),
                    TrackedLink.kind == "referral",
                    TrackedLink.customer_id.is_not(None),
                    TrackedLink.customer_id != Purchase.customer_id,
                ),
            )
            .outerjoin(ReferralCredit, ReferralCredit.purchase_id == Purchase.id)
            .where(Purchase.referral_code.is_not(None), ReferralCredit.id.is_(None))
            .order_by(Purchase.id)
            .limit(1000)
        )
        credited = 0
        async with self.db.session() as s:
            rows = (await s.execute(pending)).all()
            for purchase_id, ambassador_id, code in rows:
                result = await s.execute(
                    _insert(self.db.dialect, CREDITS)
                    .values(
                        purchase_id=purchase_id,
                        ambassador_id=ambassador_id,
                        code=code,
                        credited_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=[CREDITS.c.purchase_id])
                    .returning(CREDITS.c.id)
                )
                if result.scalar() is not None:
                    credited += 1
                    s.add(
                        Event(
                            kind="advocacy.referral_credited",
                            customer_id=ambassador_id,
                            data={"purchase_id": purchase_id},
                            at=now,
                        )
                    )
        return credited

    async def claim_thanks(self, now: datetime, limit: int) -> list[ThanksContext]:
        """Claim credits not thanked yet (their ``thanked_at`` is set now: at most once)."""
        async with self.db.session() as s:
            if self.db.dialect == "sqlite":
                await s.execute(update(CREDITS).where(CREDITS.c.id == -1).values(code="x"))
            pick = (
                select(CREDITS.c.id)
                .where(CREDITS.c.thanked_at.is_(None))
                .order_by(CREDITS.c.id)
                .limit(limit)
            )
            if self.db.dialect == "postgresql":
                pick = pick.with_for_update(of=CREDITS, skip_locked=True)
            ids = [r[0] for r in (await s.execute(pick)).all()]
            if not ids:
                return []
            await s.execute(update(CREDITS).where(CREDITS.c.id.in_(ids)).values(thanked_at=now))
            rows = (
                await s.execute(
                    select(ReferralCredit, Customer, ChannelLink.chat_id)
                    .join(Customer, Customer.id == ReferralCredit.ambassador_id)
                    .outerjoin(
                        ChannelLink,
                        and_(
                            ChannelLink.customer_id == Customer.id,
                            ChannelLink.channel == "telegram",
                        ),
                    )
                    .where(ReferralCredit.id.in_(ids))
                    .order_by(ReferralCredit.id)
                )
            ).all()
        return [ThanksContext(r[0], r[1], r[2]) for r in rows]

    async def release_thanks(self, credit_ids: list[int]) -> None:
        """Give claimed thank-yous back (quiet hours, or a send that may be retried)."""
        if not credit_ids:
            return
        async with self.db.session() as s:
            await s.execute(
                update(CREDITS).where(CREDITS.c.id.in_(credit_ids)).values(thanked_at=None)
            )

    async def credits_of(self, ambassador_id: int) -> list[ReferralCredit]:
        """The purchases credited to an ambassador."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(ReferralCredit)
                .where(ReferralCredit.ambassador_id == ambassador_id)
                .order_by(ReferralCredit.id)
            )
        return list(rows.scalars().all())

    # --- for managers ---------------------------------------------------------------------

    async def quotable_testimonials(self) -> list[Testimonial]:
        """Testimonials customers allowed us to quote, newest first."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(Testimonial)
                .where(Testimonial.consent.is_(True))
                .order_by(Testimonial.created_at.desc(), Testimonial.id.desc())
            )
        return list(rows.scalars().all())
