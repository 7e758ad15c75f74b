"""Plugs the retention sweep into a Mentorbot: a daily job when ``privacy.retention`` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.customers.retention import SweepReport, sweep
from handlers.jobs import Job

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.assembly import Plugs


async def run_sweep(bot: Mentorbot, dry_run: bool = False) -> SweepReport | None:
    """One retention sweep of ``bot``'s database (None when no retention is configured)."""
    privacy = bot.config.privacy
    if privacy.retention is None:
        return None
    return await sweep(
        bot.repos.customers,
        bot.repos.leases,
        bot.units,
        privacy.retention,
        bot.clock(),
        worker=bot.worker,
        batch=privacy.sweep_batch,
        dry_run=dry_run,
    )


def install_retention(bot: Mentorbot, plugs: Plugs) -> None:
    """The daily ``privacy_sweep`` job at ``privacy.sweep_hour`` in the bot's time zone."""
    privacy = bot.config.privacy
    if privacy.retention is None:
        return

    async def daily() -> SweepReport | None:
        return await run_sweep(bot)

    plugs.job(
        Job(
            "privacy_sweep",
            daily,
            "cron",
            {"hour": privacy.sweep_hour, "minute": 17, "timezone": bot.config.timezone},
        )
    )
