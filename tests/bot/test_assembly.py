"""A built bot's assembly is fixed: capabilities plug in through one interface while it is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Mentorbot
from bot.assembly import AssemblyFinished, Plugs
from bot.config import Config
from handlers.events import AnswerScored, BusFrozen, CaseChanged, EventBus
from handlers.jobs import Job


async def nothing(*_args: object) -> None:
    """A job or subscriber that does nothing."""


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
        built = bot.assembly
        for seam in (built.button_routes, built.text_routes, built.after_checkin, built.jobs):
            with pytest.raises(AttributeError):
                seam.append(None)  # type: ignore[attr-defined]
        with pytest.raises(TypeError):
            built.commands["late"] = None  # type: ignore[index]
        with pytest.raises(AttributeError):
            built.jobs = ()  # type: ignore[misc]
        with pytest.raises(BusFrozen):
            bot.events.subscribe(CaseChanged, nothing)
        assert isinstance(bot.jobs[0], Job)
    finally:
        await bot.close()


def test_plugs_refuse_anything_after_finish_and_names_taken_twice() -> None:
    events = EventBus()
    plugs = Plugs(events)
    plugs.job(Job("round", nothing))
    plugs.command("stats", nothing)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="round"):
        plugs.job(Job("round", nothing))
    with pytest.raises(ValueError, match="/stats"):
        plugs.command("stats", nothing)  # type: ignore[arg-type]
    plugs.subscribe(CaseChanged, nothing)
    built = plugs.finish()
    assert [j.name for j in built.jobs] == ["round"] and set(built.commands) == {"stats"}
    assert plugs.finish() is built  # finishing twice changes nothing
    assert events.subscribers(CaseChanged) == 1
    with pytest.raises(AssemblyFinished):
        plugs.text_route(nothing)  # type: ignore[arg-type]
    with pytest.raises(AssemblyFinished):
        plugs.subscribe(CaseChanged, nothing)
    with pytest.raises(BusFrozen):
        events.subscribe(CaseChanged, nothing)
