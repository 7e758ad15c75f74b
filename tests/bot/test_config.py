"""Config loading: defaults, the example file, ${ENV} substitution, errors that name the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, default_journeys, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env=env or {})
    return info.value.problems


def test_defaults_need_no_file() -> None:
    config = load_config(None, env={})
    assert config.database_url == "sqlite:///data/mentorbot.db"
    assert config.survey.min_gap == timedelta(days=3)
    assert [t.name for t in config.journeys["standard"].touchpoints] == ["delivery", "usage"]


def test_example_file_loads_and_matches_the_defaults() -> None:
    config = load_config(EXAMPLE, env={"MENTORBOT_API_KEY": "k" * 20})
    assert config.journeys == default_journeys()
    assert config.api.keys[0].get_secret_value() == "k" * 20
    assert config.telegram.token is None or config.telegram.token.get_secret_value() == ""


def test_env_substitution_with_and_without_fallback(tmp_path: Path) -> None:
    path = write(tmp_path, "telegram:\n  token: ${TG_TOKEN}\n  bot_username: ${BOT:-shop_bot}\n")
    config = load_config(path, env={"TG_TOKEN": "123:abc"})
    assert config.telegram.token.get_secret_value() == "123:abc"
    assert config.telegram.bot_username == "shop_bot"


def test_unset_env_var_names_key_and_variable(tmp_path: Path) -> None:
    assert problems(tmp_path, "slack:\n  bot_token: ${SLACK_TOKEN}\n") == [
        "slack.bot_token: environment variable SLACK_TOKEN is not set"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("telegram:\n  mode: hook\n", "telegram.mode: Input should be 'polling' or 'webhook'"),
        ("survey:\n  min_gap: soon\n", "survey.min_gap: not a duration: 'soon'"),
        (
            "survey:\n  reminder_after: 5d\n",
            "reminder_after must be shorter than survey.expire_after",
        ),
        ("timezone: Mars/Olympus\n", "timezone: unknown time zone 'Mars/Olympus'"),
        ("telegarm:\n  token: x\n", "telegarm: unknown key"),
        (
            "telegram:\n  base_url: http://127.0.0.1:1/bot/\n",
            "telegram.base_url: must not end with '/'",
        ),
        ("slack:\n  base_url: http://127.0.0.1:1/api\n", "slack.base_url: must end with '/'"),
        ("api:\n  keys: [short]\n", "api.keys: every API key needs at least 16 characters"),
        ("default_journey: vip\n", "journey(s) not defined under journeys: ['vip']"),
        ("web:\n  port: 99999\n", "web.port: Input should be less than or equal to 65535"),
        ("telegram:\n  mode: webhook\n", "webhook mode needs telegram.webhook_secret"),
        (
            "journeys:\n  standard:\n    touchpoints:\n      - name: delivery\n        delay: 1d\n"
            "        intro: {en: hi, nl: hoi}\n        questions: []\n",
            "journeys.standard.touchpoints.0.questions: List should have at least 1 item",
        ),
        (
            "journeys:\n  standard:\n    touchpoints:\n      - name: d\n        delay: 1d\n"
            "        intro: {en: hi}\n        questions: []\n",
            "journeys.standard.touchpoints.0.intro.nl: required key is missing",
        ),
    ],
)
def test_broken_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found


def test_bad_yaml_says_where(tmp_path: Path) -> None:
    found = problems(tmp_path, "telegram:\n  token: [unclosed\n")
    assert found[0].startswith("line ") and "not valid YAML" in found[0]


def test_not_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, "- a\n- b\n") == ["(top): expected a mapping of keys, got list"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", env={})
