"""``mentorbot run`` and ``check-config`` about the customer channels: Telegram, WhatsApp, or
both; with neither, run refuses to start and names the keys."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()
WHATSAPP = """
whatsapp:
  enabled: true
  token: t
  phone_number_id: "1234567890"
  app_secret: s
  verify_token: v
  templates: {delivery: mb_d, usage: mb_u, recovery: mb_r}
"""


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"data_dir: {tmp_path / 'data'}\ndatabase:\n  url: sqlite:///{tmp_path}/m.db\n{extra}"
    )
    return path


def test_run_without_a_customer_channel_names_the_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--config", str(config(tmp_path))])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "no customer channel is configured" in text
    assert "telegram.token" in text and "whatsapp.enabled" in text
    assert not (tmp_path / "m.db").exists()  # refused before touching the database


def test_check_config_of_a_whatsapp_only_shop(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-config", "--config", str(config(tmp_path, WHATSAPP))])
    assert result.exit_code == 0
    assert "telegram: no token" in result.output
    assert "whatsapp: number 1234567890" in result.output
    assert "refuses to start" not in result.output
    bare = runner.invoke(app, ["check-config", "--config", str(config(tmp_path))])
    assert bare.exit_code == 0 and "refuses to start" in " ".join(bare.output.split())
