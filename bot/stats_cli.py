"""``mentorbot stats`` (the managers' figures as rich tables, or JSON) and ``mentorbot export``
(answers or testimonials as CSV or JSON lines, streamed, with a progress bar)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from bot.cli_common import get_config, parent_config, run_async

if TYPE_CHECKING:
    from bot.config import Config
    from handlers.insights.figures import Summary
    from handlers.insights.service import InsightsService

err = Console(stderr=True)
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (YAML).", show_default=False),
]

Format = Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
]
Personal = Annotated[
    bool,
    typer.Option(
        "--with-personal-data",
        help="Add name, e-mail and phone (otherwise only an internal customer id).",
    ),
]
Period = Annotated[
    str | None, typer.Option(help="Only this period, e.g. 30d, 2026-10, last-month.")
]


def _config(path: Path | None) -> Config:
    return get_config(path or parent_config())


def _run(coro: Any) -> Any:
    return run_async(coro)


def _service(config: Config) -> tuple[InsightsService, Any]:
    from bot.insights_wiring import insights_settings
    from handlers.insights.service import InsightsService
    from storage.db import Database
    from storage.insights.store import InsightsStore
    from storage.models import utcnow

    db = Database(config.database_url)
    return InsightsService(InsightsStore(db), insights_settings(config), utcnow), db


def _fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _chg(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:+.{digits}f}"


def print_summary(console: Console, summary: Summary) -> None:
    """The summary as rich tables: figures with their change, then themes."""
    from handlers.insights.figures import change
    from handlers.insights.formatting import duration, heading

    cur, prev, s = summary.current, summary.previous, summary
    nps, nps_b = s.nps, s.nps_before
    table = Table(title=heading("Stats", s.query), title_justify="left")
    for col in ("Figure", "This period", "Previous", "Change"):
        table.add_column(col, justify="left" if col == "Figure" else "right")
    ci = f" [{nps.low:+.0f}, {nps.high:+.0f}]" if nps else ""
    warn = " small sample" if nps and nps.small_sample else ""
    table.add_row(
        "NPS (95% CI)",
        f"{_fmt(cur.nps, 0)}{ci} n={cur.nps_n}{warn}",
        f"{_fmt(prev.nps)} n={prev.nps_n}",
        _chg(change(nps.score if nps else None, nps_b.score if nps_b else None)),
    )
    for name, c, p in (
        ("CSAT", cur.csat, prev.csat),
        ("CES", cur.ces, prev.ces),
        ("Response rate", s.responses.rate, s.responses_before.rate),
    ):
        table.add_row(name, _fmt(c, 0, "%"), _fmt(p, 0, "%"), _chg(change(c, p)))
    table.add_row(
        "Sentiment",
        _fmt(cur.sentiment, 2),
        _fmt(prev.sentiment, 2),
        _chg(change(cur.sentiment, prev.sentiment), 2),
    )
    r = s.responses
    table.add_row("Check-ins sent/answered/expired", f"{r.sent}/{r.answered}/{r.expired}", "", "")
    for seg, count in sorted(cur.segments.items()):
        before = prev.segments.get(seg, 0)
        table.add_row(f"Segment {seg}", str(count), str(before), _chg(count - before))
    c, cb = s.cases, s.cases_before
    table.add_row("Cases opened", str(c.opened), str(cb.opened), _chg(c.opened - cb.opened))
    table.add_row("Cases open now", str(c.open_now), "", "")
    table.add_row(
        "Median time to claim", duration(c.median_claim_s), duration(cb.median_claim_s), ""
    )
    table.add_row(
        "Median time to resolve", duration(c.median_resolve_s), duration(cb.median_resolve_s), ""
    )
    table.add_row(
        "Targets missed",
        str(c.missed_target),
        str(cb.missed_target),
        _chg(c.missed_target - cb.missed_target),
    )
    table.add_row(
        "Detractors recovered",
        f"{c.recovered}/{c.recovery_asked}",
        f"{cb.recovered}/{cb.recovery_asked}",
        "",
    )
    console.print(table)
    if s.themes:
        themes = Table(title="Top themes", title_justify="left")
        for col in ("Theme", "Count", "Typical quote"):
            themes.add_column(col)
        for t in s.themes:
            themes.add_row(t.name, str(t.count), t.quote or "")
        console.print(themes)


def print_breakdown(console: Console, rows: list[Any], by: str) -> None:
    """Figures per product, touchpoint or language as a table."""
    table = Table(title=f"Per {by}", title_justify="left")
    for col in (by, "NPS", "n", "CSAT", "CES", "Answers"):
        table.add_column(col, justify="left" if col == by else "right")
    for name, cur, _prev in rows:
        table.add_row(
            name,
            _fmt(cur.nps),
            str(cur.nps_n),
            _fmt(cur.csat, 0, "%"),
            _fmt(cur.ces, 0, "%"),
            str(cur.answers),
        )
    console.print(table)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def write_export(
    kind: str,
    config: Config,
    out: TextIO,
    fmt: str,
    *,
    personal: bool = False,
    period: str | None = None,
    progress: bool = True,
) -> int:
    """Stream ``kind`` (answers or testimonials) to ``out``; returns the rows written."""
    from zoneinfo import ZoneInfo

    from rich.progress import Progress

    from handlers.insights.query import parse_period
    from storage.db import Database
    from storage.insights import export as ex
    from storage.models import utcnow

    start = end = None
    if period:
        tz = ZoneInfo(config.insights.timezone or config.timezone)
        found = parse_period(period, utcnow(), tz)
        if found is None:
            raise ValueError(f"unknown period {period!r}: use e.g. 30d, 2026-10, last-month")
        start, end = found.start, found.end
    db = Database(config.database_url)
    try:
        if kind == "answers":
            total = await ex.count_answers(db, start, end)
            fields, batches = ex.ANSWER_FIELDS, ex.stream_answers(db, start, end, personal=personal)
        else:
            total = await ex.count_testimonials(db, start, end)
            fields = ex.TESTIMONIAL_FIELDS
            batches = ex.stream_testimonials(db, start, end, personal=personal)
        fields = fields + (ex.PERSONAL_FIELDS if personal else [])
        writer = csv.DictWriter(out, fieldnames=fields) if fmt == "csv" else None
        if writer is not None:
            writer.writeheader()
        written = 0
        with Progress(console=err, disable=not progress, transient=True) as bar:
            task = bar.add_task(f"Exporting {kind}", total=total)
            async for rows in batches:
                for row in rows:
                    if writer is not None:
                        writer.writerow({k: _csv_value(v) for k, v in row.items()})
                    else:
                        out.write(json.dumps(row, default=_json_default, ensure_ascii=False))
                        out.write("\n")
                written += len(rows)
                bar.update(task, advance=len(rows))
        return written
    finally:
        await db.dispose()


def register(app: typer.Typer) -> None:
    """Add ``stats`` and ``export answers|testimonials`` to the ``mentorbot`` CLI."""
    export_app = typer.Typer(
        help="Export answers or testimonials (streamed).", no_args_is_help=True
    )
    app.add_typer(export_app, name="export")

    @app.command("stats")
    def stats(
        words: Annotated[
            list[str] | None,
            typer.Argument(
                help="Period and filters, as in chat: 30d, last-month, 2026-10, "
                "2026-10-01..2026-10-15, product=..., touchpoint=..., language=nl.",
                show_default=False,
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        by: Annotated[
            str | None,
            typer.Option(help="Also show figures per product, touchpoint, language or channel."),
        ] = None,
        config: ConfigOption = None,
    ) -> None:
        """Managers' figures: NPS with its 95% interval, CSAT, CES, response rate, cases ..."""
        from handlers.insights.figures import summary_dict
        from handlers.insights.query import QueryError
        from storage.migrate import upgrade_async

        cfg = _config(config)
        if by is not None and by not in ("product", "touchpoint", "language", "channel"):
            err.print(f"[red]--by {by}:[/red] use product, touchpoint, language or channel")
            raise typer.Exit(2)
        service, db = _service(cfg)

        async def go() -> tuple[Any, list[Any]]:
            try:
                await upgrade_async(cfg.database_url)
                query = await service.checked(service.parse(" ".join(["stats", *(words or [])])))
                summary = await service.summary(query)
                rows = await service.data.breakdown(query.filter(), by) if by else []
                return summary, rows
            finally:
                await db.dispose()

        try:
            summary, rows = _run(go())
        except QueryError as exc:
            err.print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(2) from None
        if as_json:
            data = summary_dict(summary)
            if by:
                data["breakdown"] = {
                    name: {"nps": cur.nps, "nps_n": cur.nps_n, "csat": cur.csat, "ces": cur.ces}
                    for name, cur, _ in rows
                }
            sys.stdout.write(json.dumps(data, default=_json_default, indent=2) + "\n")
            return
        console = Console()
        print_summary(console, summary)
        if by:
            print_breakdown(console, rows, by)

    def export(
        kind: str,
        fmt: str,
        output: Path | None,
        personal: bool,
        period: str | None,
        config: Path | None,
    ) -> None:
        if fmt not in ("csv", "jsonl"):
            err.print(f"[red]--format {fmt}:[/red] use csv or jsonl")
            raise typer.Exit(2)
        cfg = _config(config)
        handle: TextIO = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        try:
            written = _run(
                write_export(
                    kind, cfg, handle, fmt, personal=personal, period=period, progress=bool(output)
                )
            )
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(2) from None
        finally:
            if output:
                handle.close()
        where = str(output) if output else "stdout"
        note = "with personal data" if personal else "without personal data"
        err.print(f"Exported {written} {kind} to {where} ({note}).")

    @export_app.command("answers")
    def export_answers(
        fmt: Format = "csv",
        output: Output = None,
        with_personal_data: Personal = False,
        period: Period = None,
        config: ConfigOption = None,
    ) -> None:
        """Every answer with its scores, sentiment and themes."""
        export("answers", fmt, output, with_personal_data, period, config)

    @export_app.command("testimonials")
    def export_testimonials(
        fmt: Format = "csv",
        output: Output = None,
        with_personal_data: Personal = False,
        period: Period = None,
        config: ConfigOption = None,
    ) -> None:
        """Testimonials customers allowed us to quote."""
        export("testimonials", fmt, output, with_personal_data, period, config)
