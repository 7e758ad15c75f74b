"""The support desk's config: incomplete Slack settings and broken targets are named at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import load_config
from bot.support_wiring import desk_settings
from tests.bot.test_config import problems

SLACK = "slack:\n  bot_token: xoxb-1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SLACK + "  signing_secret: s\n", "slack.support_channel is needed"),
        (SLACK + "  support_channel: C1\n", "slack.signing_secret is needed"),
        (SLACK + "  support_channel: C1\n  socket_mode: true\n", "needs slack.app_token"),
        ("support:\n  remind_after: 2h\n  escalate_after: 1h\n", "remind_after must be shorter"),
        ("support:\n  business_hours:\n    start: '18:00'\n    end: '09:00'\n", "before end"),
        ("support:\n  business_hours:\n    days: [mon, someday]\n", "support.business_hours.days"),
        ("support:\n  timezone: Mars/Olympus\n", "support.timezone"),
    ],
)
def test_broken_support_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert any(expected in line for line in problems(tmp_path, text)), problems(tmp_path, text)


def test_desk_settings_come_from_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        SLACK
        + "  signing_secret: s\n  support_channel: C1\n  escalation_usergroup: S1\n"
        + "support:\n  remind_after: 10m\n  business_hours:\n    days: [mon, sat]\n"
    )
    settings = desk_settings(load_config(path, env={}))
    assert settings.support_channel == "C1" and settings.escalation_usergroup == "S1"
    assert settings.remind_after.total_seconds() == 600
    assert settings.hours.days == frozenset({0, 5})
    assert settings.hours.timezone == "Europe/Amsterdam"
    assert (settings.recovery_journey, settings.recovery_touchpoint) == ("recovery", "recovery")
    assert settings.recovery_delay.days == 2


def test_check_config_says_where_cases_go(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(SLACK + "  signing_secret: s\n  support_channel: C0SUPPORT\n")
    result = CliRunner().invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "support desk in C0SUPPORT over POST /slack/events" in result.output
