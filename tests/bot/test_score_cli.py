"""The ``mentorbot score`` command, driven through Typer's CliRunner."""

import json

import typer
from typer.testing import CliRunner

from bot.score_cli import register

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "score" a named sub-command
        """Do nothing."""

    return app


def test_score_prints_readable_result():
    result = runner.invoke(make_app(), ["score", "The parcel never arrived", "--score", "2"])
    assert result.exit_code == 0, result.output
    assert "negative" in result.output
    assert "detractor" in result.output
    assert "missing_order" in result.output


def test_score_json_option():
    result = runner.invoke(make_app(), ["score", "Heel plezant", "--lang", "nl", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["sentiment"] == "positive" and data["lang"] == "nl" and data["segment"] is None


def test_jsonl_in_order_with_errors_on_their_line():
    lines = [
        json.dumps({"text": "Love it, thanks!", "lang": "en", "score": 10}),
        "this is not json",
        json.dumps({"text": "Het pakket is nog steeds niet binnen", "lang": None, "score": 3}),
        json.dumps({"text": "fine", "score": 11}),
        json.dumps({"lang": "en"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "uitschrijven graag"}),
    ]
    result = runner.invoke(make_app(), ["score", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 7
    assert out[0]["sentiment"] == "positive" and out[0]["segment"] == "ambassador_candidate"
    assert out[0]["escalate"] is False and out[0]["priority"] is None
    assert "error" in out[1]
    assert out[2]["lang"] == "nl" and out[2]["escalate"] is True
    assert out[2]["segment"] == "detractor"
    assert out[2]["priority"] in ("high", "urgent")
    assert "error" in out[3] and "0-10" in out[3]["error"]
    assert "error" in out[4] and "error" in out[5]
    assert out[6]["intents"] == ["opt_out"] and out[6]["escalate"] is False
    for row in (out[0], out[2], out[6]):
        for key in (
            "sentiment",
            "polarity",
            "lang",
            "segment",
            "escalate",
            "priority",
            "themes",
            "reasons",
        ):
            assert key in row


def test_score_without_text_fails_cleanly():
    result = runner.invoke(make_app(), ["score"])
    assert result.exit_code != 0


def test_jsonl_takes_the_customers_history_and_says_why():
    line = {"text": "Too expensive", "score": 5, "question": "nps", "lang": "en"}
    lines = [
        json.dumps(line),
        json.dumps({**line, "history": {"recent_complaints": 1}}),
        json.dumps({**line, "history": {"open_case": "maybe"}}),
    ]
    result = runner.invoke(
        make_app(), ["score", "--jsonl", "--backend", "rules"], input="\n".join(lines) + "\n"
    )
    first, second, bad = (json.loads(x) for x in result.output.splitlines())
    assert first["escalate"] is False and second["escalate"] is True
    assert "history: another complaint (1 before in the window)" in second["reasons"]
    assert "open_case must be true or false" in bad["error"]
