"""``mentorbot stats`` and ``mentorbot export``, run in-process on a SQLite database."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage import models
from storage.db import Database
from storage.migrate import upgrade
from tests.storage.insights.insights_data import load

runner = CliRunner()
RANGE = "2026-11-01..2026-11-14"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)

    async def fill() -> None:
        db = Database(url)
        ids = await load(db)
        async with db.session() as s:
            s.add(models.Testimonial(customer_id=ids["ann"], text="Best kettle", consent=True))
            s.add(models.Testimonial(customer_id=ids["kees"], text="Not for quoting"))
        await db.dispose()

    asyncio.run(fill())
    path = tmp_path / "config.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\ntimezone: UTC\ndatabase:\n  url: {url}\n")
    return path


def test_stats_json_has_the_figures(config_file: Path) -> None:
    result = runner.invoke(app, ["stats", RANGE, "--json", "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["current"]["nps"] == 20.0 and data["current"]["nps_ci95"] == [-34.0, 74.0]
    assert data["change"]["nps"] == 45.0 and data["current"]["csat"] == 60.0
    assert data["responses"]["rate"] == 75.0
    assert data["themes"][0] == {
        "theme": "product_quality",
        "count": 2,
        "polarity": 0.0,
        "quote": "Works great, very quiet",
    }


def test_stats_tables_with_a_breakdown(config_file: Path) -> None:
    result = runner.invoke(
        app,
        ["stats", RANGE, "--by", "touchpoint", "--config", str(config_file)],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "NPS (95% CI)" in result.output and "20 [-34, +74] n=10 small sample" in result.output
    assert "Per touchpoint" in result.output and "delivery" in result.output
    assert "Works great, very quiet" in result.output


def test_stats_with_a_filter_and_a_typo(config_file: Path) -> None:
    kettle = runner.invoke(
        app, ["stats", RANGE, "product=kettle", "--json", "--config", str(config_file)]
    )
    assert json.loads(kettle.stdout)["filters"]["product"] == "Kettle"
    typo = runner.invoke(app, ["stats", "3od", "--config", str(config_file)])
    assert typo.exit_code == 2 and "Did you mean 30d?" in typo.output


def test_export_answers_csv_round_trip_without_personal_data(
    config_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "answers.csv"
    result = runner.invoke(
        app, ["export", "answers", "--format", "csv", "-o", str(out), "-c", str(config_file)]
    )
    assert result.exit_code == 0, result.output
    assert "Exported 27 answers" in result.output
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 27 and "email" not in rows[0] and "name" not in rows[0]
    content = out.read_text()
    assert "ann@example.com" not in content and "Ann Smith" not in content
    leak = next(r for r in rows if r["text"] == "It leaked, water everywhere")
    assert leak["themes"] == "damage;product_quality" and leak["segment"] == "detractor"
    assert [int(r["answer_id"]) for r in rows] == sorted(int(r["answer_id"]) for r in rows)


def test_export_answers_jsonl_with_personal_data_and_a_period(
    config_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "answers.jsonl"
    args = ["export", "answers", "--format", "jsonl", "--with-personal-data"]
    result = runner.invoke(
        app, [*args, "--period", "2026-11", "-o", str(out), "-c", str(config_file)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 21  # the previous period's 6 answers are in October
    assert {r["email"] for r in rows} == {"ann@example.com", "kees@example.nl"}
    assert rows[0]["created_at"].startswith("2026-11-01")


def test_export_testimonials_only_with_consent(config_file: Path) -> None:
    result = runner.invoke(app, ["export", "testimonials", "-f", "jsonl", "-c", str(config_file)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [t["text"] for t in lines] == ["Best kettle"] and "name" not in lines[0]


def test_export_refuses_unknown_format_and_period(config_file: Path) -> None:
    bad = runner.invoke(app, ["export", "answers", "-f", "xml", "-c", str(config_file)])
    assert bad.exit_code == 2 and "use csv or jsonl" in bad.output
    bad = runner.invoke(app, ["export", "answers", "--period", "soon", "-c", str(config_file)])
    assert bad.exit_code == 2 and "unknown period" in bad.output


def test_stats_per_channel(config_file: Path) -> None:
    """Answers stored before channels were recorded count as Telegram's (the column's default)."""
    result = runner.invoke(
        app,
        ["stats", RANGE, "--by", "channel", "--config", str(config_file)],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "Per channel" in result.output and "│ telegram │" in result.output
    wrong = runner.invoke(app, ["stats", "--by", "planet", "--config", str(config_file)])
    assert wrong.exit_code == 2 and "channel" in wrong.output
