"""A built bot's assembly is fixed: no capability can plug in after construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Mentorbot
from bot.config import Config
from handlers.events import AnswerScored, BusFrozen, CaseChanged
from handlers.jobs import Job


async def test_routes_hooks_jobs_commands_and_events_are_fixed_once_built(
    tmp_path: Path,
) -> None:
    config = Config.model_validate(
        {"data_dir": str(tmp_path), "database": {"url": f"sqlite:///{tmp_path / 'm.db'}"}}
    )
    bot = Mentorbot(config)
    try:
        assert any(j.name == "advocacy" for j in bot.jobs)  # installed while being built
        assert bot.events.subscribers(AnswerScored) == 0  # no desk without Slack
        for seam in (bot.button_routes, bot.text_routes, bot.after_checkin, bot.jobs):
            with pytest.raises(AttributeError):
                seam.append(None)  # type: ignore[attr-defined]
        with pytest.raises(TypeError):
            bot.commands["late"] = None  # type: ignore[index]
        with pytest.raises(BusFrozen):

            async def late(_event: CaseChanged) -> None:
                pass

            bot.events.subscribe(CaseChanged, late)
        assert isinstance(bot.jobs[0], Job)
    finally:
        await bot.close()
