"""The mentorbot command line, run in-process on a temporary SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.migrate import head_revision
from tests.handlers.intake.test_csv_import import CSV

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\ndatabase:\n  url: sqlite:///{tmp_path}/m.db\n")
    return path


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "check-config", "import", "db", "purchase"):
        assert command in result.output


def test_check_config_reports_a_broken_key_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("survey:\n  min_gap: tomorrow\n")
    result = runner.invoke(app, ["check-config", "--config", str(bad)])
    assert result.exit_code == 2
    assert "survey.min_gap" in result.output and "not a duration" in result.output


def test_check_config_ok(config_file: Path) -> None:
    result = runner.invoke(app, ["--config", str(config_file), "check-config"])
    assert result.exit_code == 0 and "OK" in result.output and "m.db" in result.output


def test_db_upgrade(config_file: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--config", str(config_file)])
    assert result.exit_code == 0 and f"revision {head_revision()}" in result.output


def test_purchase_add_prints_the_opt_in_link_and_is_idempotent(config_file: Path) -> None:
    args = [
        "purchase",
        "add",
        "--config",
        str(config_file),
        "--order-id",
        "P-1",
        "--name",
        "Ann",
        "--email",
        "ann@example.com",
        "--product",
        "Kettle",
        "--purchased-at",
        "2026-11-01",
    ]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0 and "created" in first.output
    assert "https://t.me/mentorbot_demo_bot?start=" in first.output
    assert second.exit_code == 0 and "unchanged" in second.output


def test_purchase_add_rejects_bad_input(config_file: Path) -> None:
    result = runner.invoke(
        app,
        [
            "purchase",
            "add",
            "--config",
            str(config_file),
            "--order-id",
            "P-2",
            "--name",
            "Ann",
            "--product",
            "Kettle",
        ],
    )
    assert result.exit_code == 2 and "needs an email or a phone number" in result.output


def test_import_reports_summary_and_bad_rows(config_file: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(CSV)
    dry = runner.invoke(app, ["import", str(csv_path), "--config", str(config_file), "--dry-run"])
    result = runner.invoke(app, ["import", str(csv_path), "--config", str(config_file)])
    assert dry.exit_code == 1 and "2 would be created" in dry.output and "dry run" in dry.output
    assert result.exit_code == 1
    assert "7 rows: 2 created, 0 updated, 1 skipped" in result.output
    assert "C-4" in result.output and "customer.language" in result.output


def test_import_missing_file(config_file: Path) -> None:
    result = runner.invoke(app, ["import", "nope.csv", "--config", str(config_file)])
    assert result.exit_code == 2 and "No such file" in result.output


def test_run_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "config.yaml"
        path.write_text(
            f"data_dir: {tmp_path / 'data'}\ndatabase:\n  url: sqlite:///{tmp_path}/m.db\n"
            f"web:\n  port: {port}\n  public_url: https://bot.example.test\n"
            "telegram:\n  token: '1:T'\n  base_url: http://127.0.0.1:9/bot\n"
            "  mode: webhook\n  webhook_secret: s3cret-token\n"
        )
        result = runner.invoke(app, ["--config", str(path), "run"])
    assert result.exit_code == 4
    assert "Not started" in result.output and f"127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output and "listening" not in result.output
