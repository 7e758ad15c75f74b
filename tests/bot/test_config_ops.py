"""The metrics, logging and privacy sections: defaults, accepted forms, errors naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.config_ops import parse_retention


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_defaults_keep_data_until_forget_and_log_text_at_info() -> None:
    cfg = load_config(None, env={})
    assert cfg.privacy.retention is None and cfg.privacy.sweep_hour == 3
    assert (cfg.logging.format, cfg.logging.level) == ("text", "INFO")
    assert cfg.metrics.enabled and cfg.metrics.port is None and cfg.metrics.token is None


@pytest.mark.parametrize(
    ("value", "days"),
    [("24 months", 744), ("2 years", 732), ("400 days", 400), ("60d", 60), ("9 weeks", 63)],
)
def test_retention_periods(value: str, days: int) -> None:
    assert parse_retention(value) == timedelta(days=days)


def test_sections_load_from_yaml(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            "metrics: {port: 9464, token: '${TOKEN}'}\n"
            "logging: {format: json, level: warning}\n"
            "privacy: {retention: 24 months, sweep_hour: 5}\n",
        ),
        env={"TOKEN": "a-scrape-token-of-some-length"},
    )
    assert cfg.metrics.port == 9464 and cfg.metrics.token is not None
    assert cfg.metrics.token.get_secret_value() == "a-scrape-token-of-some-length"
    assert (cfg.logging.format, cfg.logging.level) == ("json", "WARNING")
    assert cfg.privacy.retention == timedelta(days=744) and cfg.privacy.sweep_hour == 5


def test_errors_name_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "metrics: {port: 70000, token: short, scrape: yes}\n"
        "logging: {format: xml}\n"
        "privacy: {retention: soon, sweep_hour: 25}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    problems = "\n".join(caught.value.problems)
    for key in (
        "metrics.port:",
        "metrics.token: needs at least 16 characters",
        "metrics.scrape: unknown key",
        "logging.format:",
        "privacy.retention: not a retention period: 'soon'",
        "privacy.sweep_hour:",
    ):
        assert key in problems, problems


def test_a_retention_shorter_than_a_month_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "privacy: {retention: 7 days}\n"), env={})
    assert caught.value.problems == ["privacy.retention: must be at least 30 days"]
