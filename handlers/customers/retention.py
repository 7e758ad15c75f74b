"""The retention sweep: erase the personal data of customers past ``privacy.retention``, the way
``/forget`` does, in batches, one worker at a time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.customers.forgetting import forget_customer
from handlers.repositories.customers import Customers
from handlers.repositories.leases import Leases
from handlers.unit_of_work import UnitOfWorkFactory
from storage.customers.retention import SweepPlan

log = logging.getLogger(__name__)
LEASE = "privacy_sweep"
LEASE_TTL = timedelta(hours=1)
# For support staff, in the thread of a case still open when its customer's data expired.
RETENTION_CASE_NOTE = (
    "🗑️ This customer's personal data reached the end of its retention period and was erased."
    " They can no longer be reached, so this case is closed."
)


@dataclass
class SweepReport:
    """What one sweep did (or, dry, would do): counts and internal ids only."""

    cutoff: datetime
    dry_run: bool
    customer_ids: list[int] = field(default_factory=list)
    purchases: int = 0
    answers: int = 0
    skipped_lease: bool = False

    @property
    def customers(self) -> int:
        """How many customers were (or would be) erased."""
        return len(self.customer_ids)


async def sweep(
    customers: Customers,
    leases: Leases,
    units: UnitOfWorkFactory,
    retention: timedelta,
    now: datetime,
    *,
    worker: str,
    batch: int = 200,
    dry_run: bool = False,
    max_batches: int = 1000,
) -> SweepReport:
    """Erase (or with ``dry_run`` only list) every customer whose last purchase and answer are
    older than ``now - retention``. Takes the ``privacy_sweep`` lease so workers do not race."""
    cutoff = now - retention
    report = SweepReport(cutoff, dry_run)
    if not dry_run and not await leases.take_lease(LEASE, worker, now, LEASE_TTL):
        report.skipped_lease = True
        return report
    try:
        after = 0
        for _ in range(max_batches):
            plan: SweepPlan = await customers.past_retention(cutoff, batch, after)
            for candidate in plan.candidates:
                report.customer_ids.append(candidate.customer_id)
                report.purchases += candidate.purchases
                report.answers += candidate.answers
                if not dry_run:
                    await forget_customer(units, candidate.customer_id, RETENTION_CASE_NOTE, now)
            if len(plan.candidates) < batch:
                break
            after = plan.candidates[-1].customer_id
    finally:
        if not dry_run:
            await leases.release_lease(LEASE, worker)
    if not dry_run and report.customers:
        log.info(
            "retention sweep: erased the personal data of %d customer(s) inactive since %s",
            report.customers,
            cutoff.date().isoformat(),
        )
    return report
