"""Advocacy queries on tracked links, clicks, testimonials and referral credits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storage.customers.preferred import preferred_link_id
from storage.db import Database
from storage.models import (
    ChannelLink,
    Customer,
    Event,
    LinkClick,
    Purchase,
    ReferralCredit,
    Testimonial,
    TrackedLink,
)

log = logging.getLogger(__name__)

CREDITS = ReferralCredit.__table__


@dataclass(frozen=True)
class ThanksContext:
    """A referral credit whose ambassador is to be thanked."""

    credit: ReferralCredit
    customer: Customer
    chat_id: int | None


def insert_for(dialect: str, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT, for SQLite or PostgreSQL."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


class LinkQueries:
    """Queries on tracked links, clicks, testimonials and referral credits."""

    db: Database

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
                    insert_for(self.db.dialect, CREDITS)
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
                        ChannelLink.id == preferred_link_id(Customer.id),
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
