"""``mentorbot backup``, ``mentorbot restore`` and ``mentorbot privacy sweep``."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from storage.backup import BackupError, backup_sqlite, pg_commands, restore_sqlite, sqlite_path

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (YAML), as for `mentorbot run`.", show_default=False
    ),
]
privacy_app = typer.Typer(help="Personal data: the retention sweep.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the operations commands to the ``mentorbot`` app."""
    from bot import cli_common as cli

    @app.command()
    def backup(
        file: Annotated[Path, typer.Argument(help="Where to write the backup.")],
        config: ConfigOption = None,
    ) -> None:
        """Back up the database (SQLite: consistent while the bot runs; PostgreSQL: pg_dump).

        PostgreSQL: runs pg_dump when it is installed here, else prints the command."""
        cfg = cli.get_config(config or cli.parent_config())
        try:
            source = sqlite_path(cfg.database_url)
            if source is None:
                _pg_dump(cfg.database_url, file)
                return
            pages = backup_sqlite(source, file)
        except BackupError as exc:
            cli.err.print(f"[red]Backup failed:[/red] {exc}")
            raise typer.Exit(1) from None
        cli.out.print(f"Backed up {source} to {file} ({pages} pages)")

    @app.command()
    def restore(
        file: Annotated[Path, typer.Argument(help="A backup made by `mentorbot backup`.")],
        yes: Annotated[
            bool, typer.Option("--yes", help="Replace the database without asking.")
        ] = False,
        config: ConfigOption = None,
    ) -> None:
        """Replace the database with a backup (stop the bot first).

        Started afterwards, the bot applies any newer migrations. PostgreSQL: pg_restore."""
        cfg = cli.get_config(config or cli.parent_config())
        if not yes:
            typer.confirm(f"Replace the database of {cfg.database_url} with {file}?", abort=True)
        try:
            if not file.is_file():
                raise BackupError(f"no backup at {file}")
            target = sqlite_path(cfg.database_url)
            if target is None:
                _postgres(pg_commands(cfg.database_url, file), "restore", file)
                return
            restore_sqlite(file, target)
        except BackupError as exc:
            cli.err.print(f"[red]Restore failed:[/red] {exc}")
            raise typer.Exit(1) from None
        cli.out.print(f"Restored {file} to {target}; the previous file is beside it.")

    @privacy_app.command("sweep")
    def privacy_sweep(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="List what would be erased; erase nothing.")
        ] = False,
        config: ConfigOption = None,
    ) -> None:
        """Erase the personal data of customers past privacy.retention, as /forget does.

        The daily job does the same. Prints counts and internal ids only."""
        cfg = cli.get_config(config or cli.parent_config())
        if cfg.privacy.retention is None:
            cli.err.print("privacy.retention is not set: customers' data is kept until /forget.")
            raise typer.Exit(2)
        report = cli.run_async(_sweep(cfg, dry_run))
        verb = "would erase" if dry_run else "erased"
        if report.skipped_lease:
            cli.out.print("Another worker is sweeping right now; nothing done.")
            return
        cli.out.print(
            f"Retention {cfg.privacy.retention.days} days, cutoff {report.cutoff:%Y-%m-%d}: "
            f"{verb} {report.customers} customer(s) "
            f"({report.purchases} purchases, {report.answers} answers kept anonymised)",
            soft_wrap=True,
        )
        if report.customer_ids:
            ids = " ".join(str(i) for i in report.customer_ids)
            cli.out.print(f"customer ids: {ids}", soft_wrap=True)

    app.add_typer(privacy_app, name="privacy")


async def _sweep(cfg: object, dry_run: bool) -> object:
    from bot.app import Mentorbot
    from bot.retention_wiring import run_sweep

    bot = Mentorbot(cfg)  # type: ignore[arg-type]
    try:
        await bot.migrate()
        return await run_sweep(bot, dry_run=dry_run)
    finally:
        await bot.close()


def _pg_dump(url: str, file: Path) -> None:
    """pg_dump into ``file`` (its folder made if missing) through a partial file, so a failed
    dump never leaves something that looks like a backup."""
    if shutil.which("pg_dump") is None:
        _postgres(pg_commands(url, file), "dump", file)  # prints the command to run elsewhere
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    try:
        _postgres(pg_commands(url, partial), "dump", file)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(file)


def _postgres(commands: object, which: str, file: Path) -> None:
    from bot import cli_common as cli

    argv: list[str] = getattr(commands, which)
    env: dict[str, str] = commands.env  # type: ignore[attr-defined]
    shown = shlex.join(argv)
    if shutil.which(argv[0]) is None:
        cli.out.print(f"{argv[0]} is not installed here. Run, where it is:")
        cli.out.print(("PGPASSWORD=... " if env else "") + shown, soft_wrap=True)
        raise typer.Exit(1)
    cli.out.print(f"Running: {shown}", soft_wrap=True)
    done = subprocess.run(argv, env={**os.environ, **env}, check=False)
    if done.returncode != 0:
        cli.err.print(f"[red]{argv[0]} failed[/red] (exit {done.returncode})")
        raise typer.Exit(1)
    cli.out.print(f"{'Backed up to' if which == 'dump' else 'Restored from'} {file}")
