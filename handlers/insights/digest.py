"""The managers' weekly digest: last week's figures and the NPS trend chart, on a schedule,
to a Slack channel and/or the managers' private Telegram chats."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handlers.insights.commands import send_reply
from handlers.insights.service import InsightReply, InsightsService
from handlers.jobs import Job

if TYPE_CHECKING:
    from handlers.ports import CustomerChannel

log = logging.getLogger(__name__)
PostDigest = Callable[[InsightReply], Awaitable[None]]
"""Posts a digest somewhere (e.g. the Slack manager channel)."""


@dataclass
class DigestReport:
    """Where the digest went and where it could not go."""

    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


async def send_digest(
    service: InsightsService,
    telegram: CustomerChannel | None,
    telegram_chats: Sequence[int],
    post_slack: PostDigest | None = None,
) -> DigestReport:
    """Build the digest once and send it to every target; one failing target skips only itself."""
    report = DigestReport()
    if telegram is None and telegram_chats:
        log.warning("insights digest: Telegram is not running; managers' chats skipped")
    if post_slack is None and not (telegram and telegram_chats):
        log.info("insights digest: nobody to send it to (no manager channel or chats)")
        return report
    reply = await service.digest()
    if post_slack is not None:
        try:
            await post_slack(reply)
            report.delivered.append("slack")
        except Exception:
            log.exception("insights digest: posting to Slack failed")
            report.failed.append("slack")
    for chat_id in telegram_chats if telegram is not None else ():
        try:
            await send_reply(telegram, chat_id, reply)
            report.delivered.append(f"telegram:{chat_id}")
        except Exception as exc:
            log.warning("insights digest: chat %s not reached: %s", chat_id, exc)
            report.failed.append(f"telegram:{chat_id}")
    return report


def digest_job(
    run: Callable[[], Awaitable[object]],
    *,
    day: str = "mon",
    hour: int = 9,
    minute: int = 0,
    timezone: str = "UTC",
) -> Job:
    """The APScheduler cron job that sends the digest, e.g. every Monday 09:00 in ``timezone``."""
    return Job(
        "insights_digest",
        run,
        trigger="cron",
        args={"day_of_week": day, "hour": hour, "minute": minute, "timezone": timezone},
    )
