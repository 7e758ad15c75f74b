"""install_insights fills a Mentorbot: manager commands, the digest job, the service for Slack."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import Mentorbot
from bot.config import Config
from handlers.insights.service import InsightsService, Requester
from sandbox.local_servers.slack_api import LocalSlackApi
from tests.bot.channels.harness import FakeClock
from tests.storage.insights.insights_data import NOW, load

SLACK_TOKEN = "xoxb-wiring-test"


async def test_install_fills_commands_jobs_and_the_service(
    make_config: Callable[..., Config], db_url: tuple[str, str | None]
) -> None:
    config = make_config(
        managers={"slack_user_ids": ["U0BOSS"], "telegram_user_ids": [7]},
        insights={"digest_day": "fri", "digest_hour": 17, "digest_minute": 30},
        timezone="Europe/Amsterdam",
    )
    bot = Mentorbot(config, db_schema=db_url[1])
    try:
        service = bot.insights
        assert bot.insights is service and isinstance(service, InsightsService)  # type: ignore[attr-defined]
        assert {"mentor", "stats", "trend", "cases"} <= set(bot.assembly.commands)
        assert "help" not in bot.assembly.commands  # the customers' /help stays theirs
        (job,) = [j for j in bot.jobs if j.name == "insights_digest"]
        assert job.trigger == "cron" and job.args == {
            "day_of_week": "fri",
            "hour": 17,
            "minute": 30,
            "timezone": "Europe/Amsterdam",
        }
        assert service.settings.telegram_user_ids == frozenset({"7"})
        assert await service.is_manager(Requester("slack", "U0BOSS"))
    finally:
        await bot.close()


async def test_digest_can_be_turned_off(
    make_config: Callable[..., Config], db_url: tuple[str, str | None]
) -> None:
    bot = Mentorbot(make_config(insights={"digest_enabled": False}), db_schema=db_url[1])
    try:
        assert [j for j in bot.jobs if j.name == "insights_digest"] == []
    finally:
        await bot.close()


async def test_digest_job_posts_to_the_manager_channel(
    make_config: Callable[..., Config], db_url: tuple[str, str | None]
) -> None:
    async with LocalSlackApi(SLACK_TOKEN) as slack:
        config = make_config(
            slack={
                "bot_token": SLACK_TOKEN,
                "signing_secret": "wiring-secret",
                "support_channel": "C0SUPPORT",
                "manager_channel": "C0MGMT",
                "base_url": slack.base_url,
            },
            managers={"telegram_user_ids": [7]},
            insights={"timezone": "UTC"},
        )
        bot = Mentorbot(config, clock=FakeClock(NOW), db_schema=db_url[1])
        try:
            await load(bot.db)
            (job,) = [j for j in bot.jobs if j.name == "insights_digest"]
            report = await job.run()  # Telegram not built: only Slack gets it
            assert report.delivered == ["slack"]  # type: ignore[attr-defined]
            message, shared = slack.top_level("C0MGMT")  # the digest, then the chart's share
            assert message["text"].startswith("Weekly digest from Mentorbot")
            # the manager channel only: not the support channel, nobody's ephemeral view
            assert slack.top_level("C0SUPPORT") == [] and slack.ephemerals == []
            assert "Stats, 7d (08 Nov - 14 Nov 2026)" in message["text"]
            (upload,) = slack.files.values()
            assert upload.channel == "C0MGMT" and upload.content[:4] == b"\x89PNG"  # type: ignore[index]
            assert [f["id"] for f in shared["files"]] == [upload.id]
            # a second worker firing at the same minute leaves it to the first one
            other = Mentorbot(config, clock=FakeClock(NOW), db_schema=db_url[1])
            other.worker = "other-host:1"
            try:
                (second,) = [j for j in other.jobs if j.name == "insights_digest"]
                assert (await second.run()).delivered == []  # type: ignore[attr-defined]
                assert len(slack.top_level("C0MGMT")) == 2  # nothing more
            finally:
                await other.close()
        finally:
            await bot.close()


async def test_rollup_job_rolls_up_once_per_round_across_workers(
    make_config: Callable[..., Config], db_url: tuple[str, str | None]
) -> None:
    config = make_config(insights={"timezone": "UTC"})
    bot = Mentorbot(config, clock=FakeClock(NOW), db_schema=db_url[1])
    other = Mentorbot(config, clock=FakeClock(NOW), db_schema=db_url[1])
    other.worker = "other-host:1"
    try:
        service = bot.insights
        await load(bot.db)
        (job,) = [j for j in bot.jobs if j.name == "insights_rollup"]
        assert job.trigger == "interval" and job.args == {"seconds": 1800}
        (second,) = [j for j in other.jobs if j.name == "insights_rollup"]
        assert await job.run() > 0  # every day of the data set up to the day before NOW
        assert await second.run() == 0  # the other worker leaves the round to the first
        assert await job.run() == 0  # nothing new
        reply = await service.run("stats 14d")
        assert "NPS +20" in reply.text
    finally:
        await other.close()
        await bot.close()
