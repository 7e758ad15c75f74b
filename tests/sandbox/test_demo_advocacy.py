"""The demo's advocacy story, on the demo's bot with advocacy configured and installed: one
ambassador from a finished check-in to a referred purchase."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from bot.app import Mentorbot
from bot.config import Config
from sandbox.demo import DemoClock
from sandbox.demo_advocacy import DEMO_ADVOCACY, run_advocacy_story
from sandbox.local_servers.bot_api import LocalBotApi
from storage.models import ReferralCredit
from storage.models import Testimonial as Quote


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[LocalBotApi, Mentorbot, DemoClock]]:
    """The demo's bot (as ``start_demo_bot`` makes it) with the advocacy section added."""
    async with LocalBotApi() as server:
        start = datetime.now(UTC).astimezone().replace(hour=10, minute=0, second=0, microsecond=0)
        clock = DemoClock(start.astimezone(UTC))
        config = Config.model_validate(
            {
                "data_dir": str(tmp_path),
                "database": {"url": f"sqlite:///{tmp_path / 'demo.db'}"},
                "telegram": {
                    "token": "1:DEMO",
                    "base_url": server.base_url,
                    "base_file_url": server.base_file_url,
                    "rate_limit": False,
                },
                "advocacy": DEMO_ADVOCACY,
            }
        )
        bot = Mentorbot(config, clock=clock)
        await bot.migrate()
        bot.build_telegram()
        await bot.start_telegram(poll_interval=0)
        try:
            yield server, bot, clock
        finally:
            await bot.stop_telegram()
            await bot.close()


async def test_one_ambassador_from_check_in_to_referred_purchase(
    demo: tuple[LocalBotApi, Mentorbot, DemoClock],
) -> None:
    server, bot, clock = demo
    buffer = io.StringIO()
    out = Console(file=buffer, width=200, color_system=None)
    lines = await run_advocacy_story(server, bot, clock, out)
    joined = "\n".join(lines)
    assert "Mia Chen → taps [10]" in joined
    assert "honest review" in joined and "/r/" in joined
    assert "Mia Chen → taps [🔗 A link to share with friends]" in joined
    assert "302 to https://shop.example/welcome?ref=" in joined
    assert "unchanged (the shop's webhook again: a replay)" in joined
    assert buffer.getvalue().count("Mia Chen →") >= 8  # printed as it happens
    assert "Good news, Mia: someone just ordered through your recommendation" in joined
    assert lines[-1].endswith(
        "1 referred purchase credited (once, despite the replay), "
        "1 click on her link, segment ambassador"
    )
    async with bot.db.session() as s:
        assert len((await s.execute(select(ReferralCredit))).scalars().all()) == 1
        (quote,) = (await s.execute(select(Quote))).scalars().all()
    assert quote.consent and quote.text.startswith("The best espresso")
