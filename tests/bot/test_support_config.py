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
        (
            "support:\n  gestures:\n    - name: V\n      voucher: {pattern: 'AB-##'}\n",
            "needs at least 6 '#'",
        ),
        (
            "support:\n  gestures:\n    - name: V\n      voucher: {}\n",
            "codes (a pool) or a pattern",
        ),
        (
            "support:\n  gestures:\n    - name: V\n      voucher: {codes: [A1]}\n"
            "      text: {en: 'Here you go', nl: 'Alsjeblieft {code}'}\n",
            "a voucher's text must show {code}",
        ),
        ("support:\n  gestures: [Card, card]\n", "two gestures have the same name"),
        (
            "support:\n  gestures:\n    - {name: A, voucher: {codes: [X1]}}\n"
            "    - {name: B, voucher: {codes: [X1]}}\n",
            "in the pools of two gestures",
        ),
        (
            "support:\n  acknowledgement: {en: 'Hi {naam}', nl: 'Hoi'}\n",
            "support.acknowledgement",
        ),
        ("support:\n  resolve_message: {en: 'Hi {code}', nl: 'Hoi'}\n", "unknown placeholder"),
        ("support:\n  reply_within: soon\n", "support.reply_within"),
        ("support:\n  relay_max_mb: 0\n", "support.relay_max_mb"),
        ("support:\n  relay_max_mb: 101\n", "support.relay_max_mb"),
        ("support:\n  relay_files_per_hour: 0\n", "support.relay_files_per_hour"),
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
        + "  relay_max_mb: 3\n  relay_files_per_hour: 4\n"
    )
    settings = desk_settings(load_config(path, env={}))
    assert settings.relay_max_bytes == 3 * 1024 * 1024
    assert settings.relay_files_per_hour == 4
    assert settings.support_channel == "C1" and settings.escalation_usergroup == "S1"
    assert settings.remind_after.total_seconds() == 600
    assert settings.hours.days == frozenset({0, 5})
    assert settings.hours.timezone == "Europe/Amsterdam"
    assert (settings.recovery_journey, settings.recovery_touchpoint) == ("recovery", "recovery")
    assert settings.recovery_delay.days == 2
    assert [g.name for g in settings.gestures] == [
        "Free replacement part",
        "Refund",
        "Handwritten card",
    ]
    assert settings.acknowledgement["nl"].startswith("Dank je")
    assert settings.reply_within is None  # the promise falls back to escalate_after


def test_gestures_with_a_pool_a_pattern_and_a_plain_name(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        SLACK
        + "  signing_secret: s\n  support_channel: C1\n"
        + "support:\n  reply_within: 4h\n  gestures:\n"
        + "    - name: Voucher €10\n      voucher: {codes: [A-1, B-2], pattern: 'S-######'}\n"
        + "    - Handwritten card\n"
    )
    settings = desk_settings(load_config(path, env={}))
    voucher, card = settings.gestures
    assert voucher.is_voucher and voucher.codes == ("A-1", "B-2") and voucher.pattern == "S-######"
    assert voucher.text("nl", "A-1") == "Als klein gebaar van ons krijg je deze vouchercode: A-1"
    assert not card.is_voucher
    assert card.text("en") == "As a small gesture from us: Handwritten card."
    assert settings.reply_within is not None and settings.reply_within.total_seconds() == 4 * 3600


def test_check_config_says_where_cases_go(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(SLACK + "  signing_secret: s\n  support_channel: C0SUPPORT\n")
    result = CliRunner().invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "support desk in C0SUPPORT over POST /slack/events" in result.output


def test_the_example_config_documents_the_defaults() -> None:
    from bot.config_support import SupportConfig
    from tests.bot.test_config import EXAMPLE

    support = load_config(EXAMPLE, env={"MENTORBOT_API_KEY": "k" * 20}).support
    assert support == SupportConfig()
