"""Plugs managers' insights into a Mentorbot: Telegram commands, the weekly digest job, and
the service the Slack adapter registers ``/mentor`` with (``bot.insights``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from handlers.insights.commands import MANAGER_MENU, manager_commands
from handlers.insights.digest import DigestReport, PostDigest, digest_job, send_digest
from handlers.insights.service import InsightReply, InsightsService, InsightsSettings
from handlers.jobs import Job
from handlers.texts import COMMANDS
from storage.insights.store import InsightsStore

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.assembly import Plugs
    from bot.config import Config

log = logging.getLogger(__name__)
DIGEST_LEASE = "insights_digest"
DIGEST_HOLD = timedelta(hours=1)  # longer than any clock skew between workers, far below a week
ROLLUP_LEASE = "insights_rollup"
ROLLUP_EVERY = timedelta(minutes=30)
ROLLUP_HOLD = timedelta(minutes=20)  # one worker a round; a stuck one is taken over next round


def insights_settings(config: Config) -> InsightsSettings:
    """The service's settings from the config (managers, time zone, thresholds)."""
    ins, managers = config.insights, config.managers
    return InsightsSettings(
        timezone=ins.timezone or config.timezone,
        small_sample=ins.small_sample,
        trend_weeks=ins.trend_weeks,
        top_themes=ins.top_themes,
        slack_user_ids=frozenset(managers.slack_user_ids),
        slack_usergroup=managers.slack_usergroup,
        telegram_user_ids=frozenset(str(u) for u in managers.telegram_user_ids),
    )


def slack_digest_poster(config: Config) -> PostDigest | None:
    """Posts the digest to ``slack.manager_channel`` (None when Slack or the channel is not set).

    The Web API client is made on first use, never at start-up.
    """
    slack = config.slack
    token = slack.bot_token.get_secret_value() if slack.bot_token else ""
    if not (token and slack.manager_channel):
        return None
    channel = slack.manager_channel
    holder: dict[str, Any] = {}

    async def post(reply: InsightReply) -> None:
        from slack_sdk.web.async_client import AsyncWebClient

        from bot.channels.slack_insights import post_digest

        if "client" not in holder:
            holder["client"] = AsyncWebClient(token=token, base_url=slack.base_url)
        await post_digest(holder["client"], channel, reply)

    return post


def install_insights(bot: Mentorbot, plugs: Plugs) -> InsightsService:
    """Plug in the managers' commands, the digest and the daily rollup of answers
    (``storage.insights.rollup_job``) and set ``bot.insights`` (its
    ``answer`` is what ``register_insights`` needs). Installing twice returns the service
    installed first."""
    existing = getattr(bot, "insights", None)
    if isinstance(existing, InsightsService):
        return existing
    config = bot.config
    data = InsightsStore(bot.db)
    service = InsightsService(data, insights_settings(config), bot.clock)
    plugs.commands(manager_commands(service))
    bot.insights = service  # type: ignore[attr-defined]
    post_slack = slack_digest_poster(config)
    chats = list(config.managers.telegram_user_ids)
    if chats:  # a manager's private chat id is their user id
        menu = {lang: COMMANDS[lang] + MANAGER_MENU[lang] for lang in COMMANDS}
        plugs.chat_menu(chats, menu)

    async def run_digest() -> DigestReport:
        # Every worker's scheduler fires; the lease lets exactly one of them send it.
        if not await bot.repos.leases.take_lease(
            DIGEST_LEASE, bot.worker, bot.clock(), DIGEST_HOLD
        ):
            log.info("insights digest: another worker is sending it")
            return DigestReport()
        channel = bot.deps.channel if bot.deps is not None else None
        report = await send_digest(service, channel, chats, post_slack)
        log.info("insights digest: sent to %s, failed %s", report.delivered, report.failed)
        return report

    bot.insights_digest = run_digest  # type: ignore[attr-defined]

    async def run_rollup() -> int:
        # Every worker's scheduler fires; one takes the round (a second one at once would
        # still be safe: each day is recomputed under its row's lock).
        if not await bot.repos.leases.take_lease(
            ROLLUP_LEASE, bot.worker, bot.clock(), ROLLUP_HOLD
        ):
            return 0
        days = await data.roll_up(bot.clock())
        if days:
            log.info("insights rollup: %s days rolled up", days)
        return days

    plugs.job(
        Job("insights_rollup", run_rollup, args={"seconds": int(ROLLUP_EVERY.total_seconds())})
    )
    ins = config.insights
    if ins.digest_enabled:
        plugs.job(
            digest_job(
                run_digest,
                day=ins.digest_day,
                hour=ins.digest_hour,
                minute=ins.digest_minute,
                timezone=ins.timezone or config.timezone,
            )
        )
    return service
