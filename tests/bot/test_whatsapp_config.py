"""``whatsapp`` and ``channels`` in the config: a journey without a template stops the start,
naming the key; the example config carries both sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.config_loading import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
ENABLED = """
whatsapp:
  enabled: true
  token: t
  phone_number_id: "1"
  app_secret: s
  verify_token: v
  business_number: "31201234567"
  templates: {templates}
"""


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_config(path, env={})


def test_a_touchpoint_without_a_template_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, ENABLED.format(templates="{delivery: mb_delivery, usage: mb_usage}"))
    assert "whatsapp.templates.recovery is missing" in str(error.value)
    assert "journey recovery" in str(error.value)


def test_complete_templates_and_the_click_to_chat_link(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        ENABLED.format(templates="{delivery: mb_d, usage: mb_u, recovery: mb_r}")
        + "channels: {default: whatsapp}\n",
    )
    assert config.channels.default == "whatsapp"
    assert config.whatsapp.click_to_chat("abc") == "https://wa.me/31201234567?text=START%20abc"


def test_secrets_are_required_when_enabled_and_names_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"whatsapp\.app_secret is required"):
        load(tmp_path, "whatsapp: {enabled: true, token: t, phone_number_id: '1'}\n")
    with pytest.raises(ConfigError, match="is not a template name"):
        load(tmp_path, "whatsapp: {templates: {delivery: Bad Name}}\n")


def test_the_example_config_has_whatsapp_off_with_every_default_touchpoint() -> None:
    config = load_config(EXAMPLE, env={})
    assert not config.whatsapp.enabled and config.channels.default == "telegram"
    touchpoints = {t.name for j in config.journeys.values() for t in j.touchpoints}
    assert touchpoints <= set(config.whatsapp.templates)


SLACK = """
slack: {bot_token: xoxb-1, signing_secret: s, support_channel: C1}
"""
ASKS = """
advocacy:
  public_url: https://bot.example
  ambassadors: {enabled: true, referral_url: "https://shop.example/?ref={code}"}
"""
TOUCHPOINTS = "delivery: mb_d, usage: mb_u, recovery: mb_r"


def test_the_desk_needs_the_case_update_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, ENABLED.format(templates="{" + TOUCHPOINTS + "}") + SLACK)
    assert "whatsapp.templates.case_update is missing" in str(error.value)
    assert "resolve notes" in str(error.value)
    config = load(
        tmp_path, ENABLED.format(templates="{" + TOUCHPOINTS + ", case_update: mb_c}") + SLACK
    )
    assert config.whatsapp.templates["case_update"] == "mb_c"


def test_advocacy_asks_need_the_advocacy_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, ENABLED.format(templates="{" + TOUCHPOINTS + "}") + ASKS)
    assert "whatsapp.templates.advocacy is missing" in str(error.value)
    config = load(
        tmp_path, ENABLED.format(templates="{" + TOUCHPOINTS + ", advocacy: mb_a}") + ASKS
    )
    assert config.whatsapp.templates["advocacy"] == "mb_a"
