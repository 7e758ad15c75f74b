"""``mentorbot import``: CSV purchase import with a progress bar, a summary and an error report."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.app import Mentorbot
from bot.config import Config
from handlers.intake.csv_import import (
    BadCsv,
    ImportSummary,
    count_rows,
    import_purchases,
    read_rows,
)

MAX_ERRORS_SHOWN = 50


async def run_import(
    config: Config, file: Path, *, dry_run: bool, batch_size: int, out: Console, err: Console
) -> int:
    """Import ``file``; returns the exit code (0 all good, 1 some rows bad, 2 file unusable)."""
    if not await asyncio.to_thread(file.is_file):
        err.print(f"[red]No such file:[/red] {file}")
        return 2
    total = count_rows(file)
    bot = Mentorbot(config)
    try:
        await bot.migrate()
        with Progress(
            TextColumn("[bold]importing" if not dry_run else "[bold]checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("rows", total=total)
            summary = await import_purchases(
                bot.repos.purchases,
                bot.units,
                bot.intake,
                read_rows(file),
                bot.clock(),
                batch_size=batch_size,
                dry_run=dry_run,
                on_progress=lambda n: progress.advance(task, n),
            )
    except BadCsv as exc:
        err.print(f"[red]Cannot import:[/red] {exc}")
        return 2
    except UnicodeDecodeError:
        err.print(f"[red]Cannot import:[/red] {file} is not UTF-8 text")
        return 2
    finally:
        await bot.close()
    print_summary(summary, out, err)
    return 1 if summary.errors else 0


def print_summary(summary: ImportSummary, out: Console, err: Console) -> None:
    """The created / updated / skipped counts and a table of bad rows."""
    verb = "would be " if summary.dry_run else ""
    out.print(
        f"{summary.rows} rows: {summary.created} {verb}created, {summary.updated} "
        f"{verb}updated, {summary.unchanged} skipped (already known), "
        f"{len(summary.errors)} with errors"
        + (" (dry run: nothing stored)" if summary.dry_run else ""),
        soft_wrap=True,
    )
    if not summary.errors:
        return
    table = Table("line", "order id", "problem", title="Rows not imported")
    for row in summary.errors[:MAX_ERRORS_SHOWN]:
        table.add_row(str(row.line), row.order_id or "-", "; ".join(row.problems))
    err.print(table)
    if len(summary.errors) > MAX_ERRORS_SHOWN:
        err.print(f"... and {len(summary.errors) - MAX_ERRORS_SHOWN} more rows with errors")
