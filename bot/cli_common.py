"""What every part of the ``mentorbot`` command line shares: the consoles, the config it runs
with (``--config`` before the command, $MENTORBOT_CONFIG or ./config.yaml) and running a
coroutine with a clear message when the database is away.

The main CLI (:mod:`bot.cli`) and its command groups (stats, score, ops) import this module, so
none of them imports another.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from bot.config import Config, ConfigError, load_config

out = Console()
err = Console(stderr=True)
given: dict[str, Path | None] = {"config": None}
"""Options given before the command name: ``mentorbot -c x.yaml import ...``."""


def resolve_config_path(path: Path | None) -> Path | None:
    """The config file to use: the option, $MENTORBOT_CONFIG, ./config.yaml, or none."""
    if path is not None:
        return path
    if os.environ.get("MENTORBOT_CONFIG"):
        return Path(os.environ["MENTORBOT_CONFIG"])
    default = Path("config.yaml")
    return default if default.exists() else None


def get_config(path: Path | None) -> Config:
    """Load the config or stop with every problem listed (exit code 2)."""
    try:
        return load_config(resolve_config_path(path))
    except ConfigError as exc:
        err.print(f"[red]Config error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def parent_config() -> Path | None:
    """The ``--config`` given before the command name (``mentorbot -c x.yaml import ...``)."""
    return given["config"]


def run_async(coro: Any) -> Any:
    """Run a coroutine; a lost database becomes a clear message and exit code 3."""
    try:
        return asyncio.run(coro)
    except ConnectionError as exc:
        err.print(f"[red]Database unavailable:[/red] {exc}. Check database.url and try again.")
        raise typer.Exit(3) from None
