"""/mentor on the support desk's own Bolt app (as the composition root will register it)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.app import Mentorbot
from bot.channels.slack_insights import register_insights
from bot.config import Config
from bot.insights_wiring import install_insights
from bot.local_servers.slack_api import LocalSlackApi
from bot.local_servers.slack_signing import post_signed, slash_command
from tests.bot.channels.harness import FakeClock
from tests.storage.insights_data import NOW, load

TOKEN = "xoxb-support-app"
SECRET = "support-app-secret"


async def test_mentor_next_to_the_desk_listeners(
    make_config: Callable[..., Config], db_url: tuple[str, str | None]
) -> None:
    async with LocalSlackApi(TOKEN) as slack:
        config = make_config(
            slack={
                "bot_token": TOKEN,
                "signing_secret": SECRET,
                "support_channel": "C0SUPPORT",
                "base_url": slack.base_url,
            },
            managers={"slack_user_ids": ["U0BOSS"]},
            insights={"timezone": "UTC"},
        )
        bot = Mentorbot(config, clock=FakeClock(NOW), db_schema=db_url[1])
        try:
            service = install_insights(bot)
            await load(bot.db)
            assert bot.support is not None
            register_insights(bot.support.bolt, service.answer)
            web = bot.web_app()
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
                body = slash_command(
                    command="/mentor",
                    text="cases 2026-11-01..2026-11-14",
                    user_id="U0BOSS",
                    response_url=slack.new_response_url("C0MGMT"),
                )
                response = await post_signed(
                    "http://bot/slack/events", body, secret=SECRET, client=http
                )
                assert response.status_code == 200
                await slack.wait_for("response_url", timeout=5)
            assert "Opened 3 (+3)" in slack.response_posts[0].body["text"]
        finally:
            await bot.close()
