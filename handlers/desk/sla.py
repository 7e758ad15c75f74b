"""Response-time targets: an unclaimed case is reminded in its thread, then escalated."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers.desk.business_hours import business_time_between
from handlers.desk.port import DeskDeps
from handlers.events import CaseChanged

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlaReport:
    """What one round of checking did."""

    reminded: int = 0
    escalated: int = 0


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


async def check_response_times(dd: DeskDeps) -> SlaReport:
    """Remind or escalate unclaimed cases whose business-time wait passed the targets."""
    s = dd.settings
    now = dd.clock()
    reminded = escalated = 0
    for case in await dd.cases.unclaimed_cases():
        waited = business_time_between(case.opened_at, now, s.hours)
        if waited >= s.escalate_after:
            who = (
                dd.desk.markup.group_mention(s.escalation_usergroup)
                if s.escalation_usergroup
                else "Managers"
            )
            text = (
                f"🚨 {who}: case #{case.id} ({case.priority}) has waited "
                f"{_minutes(waited.total_seconds())} of business time without an owner."
            )
            channel = None if s.escalation_usergroup or not s.manager_channel else s.manager_channel
            if await dd.cases.mark_case_late(case.id or 0, "escalated", now, text, channel):
                escalated += 1
                await dd.events.publish(CaseChanged(case.id or 0, "escalated"))
                log.warning("case %s escalated after %s unclaimed", case.id, waited)
        elif waited >= s.remind_after and case.reminded_at is None:
            text = (
                f"⏰ Reminder: case #{case.id} has waited {_minutes(waited.total_seconds())} "
                "without an owner. Press Claim to take it."
            )
            if await dd.cases.mark_case_late(case.id or 0, "reminded", now, text):
                reminded += 1
                await dd.events.publish(CaseChanged(case.id or 0, "reminded"))
                log.info("case %s reminded after %s unclaimed", case.id, waited)
    return SlaReport(reminded, escalated)
