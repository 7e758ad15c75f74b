"""/mentor on the support desk's own Bolt app (as the composition root will register it)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.app import Mentorbot
from bot.channels.slack_insights import register_insights
from bot.config import Config
from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import post_signed, slash_command
from tests.bot.channels.harness import FakeClock
from tests.storage.insights.insights_data import NOW, load

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
            service = bot.insights
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


async def test_the_composed_bot_keeps_customers_words_out_of_public_channels(
    make_config: Callable[..., Config], db_url: tuple[str, str | None]
) -> None:
    """``/mentor detractors`` as the running bot registers it: in the support channel only the
    asking manager sees the words; in ``slack.manager_channel`` the managers all do."""
    async with LocalSlackApi(TOKEN) as slack:
        config = make_config(
            slack={
                "bot_token": TOKEN,
                "signing_secret": SECRET,
                "support_channel": "C0SUPPORT",
                "manager_channel": "C0MANAGERS",
                "base_url": slack.base_url,
            },
            managers={"slack_user_ids": ["U0BOSS"]},
            insights={"timezone": "UTC"},
        )
        bot = Mentorbot(config, clock=FakeClock(NOW), db_schema=db_url[1])
        try:
            await load(bot.db)
            transport = httpx.ASGITransport(app=bot.web_app())
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
                for n, channel in enumerate(("C0SUPPORT", "C0MANAGERS"), start=1):
                    body = slash_command(
                        command="/mentor",
                        text="detractors 2026-11-01..2026-11-14",
                        user_id="U0BOSS",
                        channel_id=channel,
                        channel_name=channel.lower(),
                        response_url=slack.new_response_url(channel, user="U0BOSS"),
                    )
                    response = await post_signed(
                        "http://bot/slack/events", body, secret=SECRET, client=http
                    )
                    assert response.status_code == 200
                    await slack.wait_for("response_url", timeout=5, count=n)
            public, managers = slack.response_posts
            assert public.body["response_type"] == "ephemeral"
            assert slack.top_level("C0SUPPORT") == []
            (shown,) = slack.ephemerals
            assert shown["user"] == "U0BOSS" and "It leaked, water everywhere" in shown["text"]
            assert managers.body["response_type"] == "in_channel"
            (posted,) = slack.top_level("C0MANAGERS")
            assert "It leaked, water everywhere" in posted["text"]
        finally:
            await bot.close()
