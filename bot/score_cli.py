"""The ``mentorbot score`` command: analyse replies for people (rich) or scripts (JSON lines)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

JSONL_HELP = 'read JSON lines {"text", "lang", "score", "question"} from stdin, write JSON lines'


def score_one(obj: Any, backend: str) -> dict[str, Any]:
    """Analyse one decoded JSON line; return the result dict or an ``error`` dict."""
    from sentiment import get_analyzer

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
        result = get_analyzer(backend).analyze(
            text, lang=lang, score=score, question=obj.get("question")
        )
    except ValueError as exc:
        return {"error": str(exc)}
    return result.to_dict()


def run_jsonl(lines: Any, out: Any, backend: str) -> int:
    """Score each input line and write one JSON line per input, in order; returns error count."""
    errors = 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            result = score_one(json.loads(raw), backend)
        except json.JSONDecodeError as exc:
            result = {"error": f"invalid JSON: {exc.msg}"}
        except Exception as exc:  # a bad line must never stop the stream
            result = {"error": f"{type(exc).__name__}: {exc}"}
        errors += "error" in result
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return errors


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
    table.add_row("intents", ", ".join(data["intents"]) or "-")
    table.add_row("themes", ", ".join(data["themes"]) or "-")
    table.add_row("reasons", "\n".join(data["reasons"]) or "-")
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
        backend: Annotated[str, typer.Option("--backend", help="rules or embeddings")] = "rules",
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    ) -> None:
        """Analyse a reply: sentiment, language, segment, escalation, themes and reasons."""
        if jsonl:
            run_jsonl(sys.stdin, sys.stdout, backend)
            return
        if text is None:
            raise typer.BadParameter("give a text, or --jsonl to read JSON lines from stdin")
        result = score_one(
            {"text": text, "lang": lang, "score": score_, "question": question}, backend
        )
        if "error" in result:
            typer.echo(f"error: {result['error']}", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            print_analysis(result)
