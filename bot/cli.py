"""The ``mentorbot`` command line."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import (
    err,
    get_config,
    given,
    out,
    parent_config,
    resolve_config_path,
    run_async,
)
from bot.log_context import CHATTY_LOGGERS as CHATTY_LOGGERS  # re-exported
from bot.log_context import setup_logging

app = typer.Typer(
    name="mentorbot",
    help="Mentorbot: checks in with customers after a purchase, hears how it went, gets "
    "unhappy customers to support and tells managers how satisfied customers are.\n\n"
    "Without a command it runs the bot (migrations are applied on start).",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
purchase_app = typer.Typer(help="Add purchases by hand.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(purchase_app, name="purchase")


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (YAML). Default: $MENTORBOT_CONFIG, "
        "else ./config.yaml if present, else the built-in defaults.",
        show_default=False,
    ),
]


def _setup_logging(verbose: bool, fmt: str = "text", level: str = "INFO") -> None:
    """One line per event on stderr, as text or JSON (``logging.*``); APScheduler's per-run
    lines (CHATTY_LOGGERS) only with --verbose."""
    setup_logging(fmt, level, verbose)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Run the bot when no command is given."""
    given["config"] = config
    if ctx.invoked_subcommand is None:
        run(config=config, verbose=verbose)


@app.command()
def run(config: ConfigOption = None, verbose: bool = False) -> None:
    """Run the bot: apply migrations, then serve the web server (purchase API, webhooks)."""
    from bot.app import Mentorbot, WebServerFailed

    cfg = get_config(config or parent_config())
    _setup_logging(verbose, cfg.logging.format, cfg.logging.level)
    try:
        cfg.require_customer_channel()
    except ValueError as exc:
        err.print(f"[red]Not started:[/red] {exc}")
        raise typer.Exit(2) from None
    bot = Mentorbot(cfg)

    def listening(url: str) -> None:
        out.print(f"Mentorbot listening on {url} (database: {bot.db.dialect})")

    try:
        run_async(bot.serve(on_listening=listening))
    except WebServerFailed as exc:
        err.print(f"[red]Not started:[/red] {exc}. Is another Mentorbot running on that port?")
        raise typer.Exit(4) from None
    except KeyboardInterrupt:
        out.print("Stopped.")


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the config file and say what it sets up."""
    config = config or parent_config()
    path = resolve_config_path(config)
    cfg = get_config(config)
    out.print(f"[green]OK[/green] {path or 'built-in defaults'}")
    out.print(f"  database: {cfg.database_url}")
    journeys = ", ".join(f"{n} ({len(j.touchpoints)} touchpoints)" for n, j in cfg.journeys.items())
    out.print(f"  journeys: {journeys}")
    out.print(
        f"  telegram: {'token set' if cfg.telegram_configured else 'no token'}, "
        f"mode {cfg.telegram.mode}"
    )
    slack = cfg.slack
    desk = (
        f"support desk in {slack.support_channel} over "
        + ("Socket Mode" if slack.socket_mode else "POST /slack/events")
        if slack.enabled
        else "not configured (no support desk)"
    )
    out.print(f"  slack: {desk}")
    wa = cfg.whatsapp
    out.print(f"  whatsapp: {'number ' + str(wa.phone_number_id) if wa.enabled else 'off'}")
    try:
        cfg.require_customer_channel()
    except ValueError as exc:
        out.print(f"  [yellow]{exc}[/yellow]: `mentorbot run` refuses to start (the demo runs)")
    out.print(f"  purchase API keys: {len(cfg.api.keys)}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the database migrations (also done on every start)."""
    from storage.migrate import upgrade

    cfg = get_config(config or parent_config())
    try:
        revision = upgrade(cfg.database_url)
    except Exception as exc:
        err.print(f"[red]Migration failed:[/red] {exc}")
        raise typer.Exit(3) from None
    out.print(f"Database at revision {revision} ({cfg.database_url})")


@app.command("import")
def import_csv(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header: order_id, name, email, phone, "
            "language, timezone, postcode, product, sku, amount, "
            "currency, purchased_at, delivered_at, journey."
        ),
    ],
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; store nothing.")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 500,
) -> None:
    """Import purchases from a CSV file; bad rows are reported and the good ones imported."""
    from bot.import_command import run_import

    cfg = get_config(config or parent_config())
    code = run_async(
        run_import(cfg, file, dry_run=dry_run, batch_size=batch_size, out=out, err=err)
    )
    raise typer.Exit(code)


@purchase_app.command("add")
def purchase_add(
    order_id: Annotated[str, typer.Option(help="The shop's order number.")],
    name: Annotated[str, typer.Option(help="Customer name.")],
    product: Annotated[str, typer.Option(help="Product name.")],
    email: Annotated[str | None, typer.Option(help="Customer e-mail.")] = None,
    phone: Annotated[str | None, typer.Option(help="Customer phone.")] = None,
    language: Annotated[str | None, typer.Option(help="en or nl.")] = None,
    timezone: Annotated[str | None, typer.Option(help="e.g. Europe/Amsterdam.")] = None,
    sku: Annotated[str | None, typer.Option()] = None,
    amount: Annotated[str | None, typer.Option()] = None,
    currency: Annotated[str | None, typer.Option()] = None,
    purchased_at: Annotated[str | None, typer.Option(help="ISO date/time; default now.")] = None,
    delivered_at: Annotated[str | None, typer.Option(help="ISO date/time.")] = None,
    config: ConfigOption = None,
) -> None:
    """Add one purchase and print the customer's opt-in link."""
    from bot.app import Mentorbot
    from handlers.intake.purchases import validate_purchases

    cfg = get_config(config or parent_config())
    customer = {
        k: v
        for k, v in {
            "name": name,
            "email": email,
            "phone": phone,
            "language": language,
            "timezone": timezone,
        }.items()
        if v
    }
    raw = {
        k: v
        for k, v in {
            "order_id": order_id,
            "product": product,
            "sku": sku,
            "amount": amount,
            "currency": currency,
            "delivered_at": delivered_at,
            "purchased_at": purchased_at or datetime.now().astimezone().isoformat(),
        }.items()
        if v
    } | {"customer": customer}
    valid, errors = validate_purchases([raw])
    if errors:
        for problem in errors[0]["problems"]:
            err.print(f"[red]Invalid:[/red] {problem}")
        raise typer.Exit(2)

    async def add() -> Any:
        bot = Mentorbot(cfg)
        try:
            await bot.migrate()
            return await bot.add_purchase(valid[0])
        finally:
            await bot.close()

    result = run_async(add())
    out.print(f"Purchase {result.order_id}: {result.status} (customer {result.customer_id})")
    if result.opt_in_link:
        out.print(f"Opt-in link for the customer: {result.opt_in_link}", soft_wrap=True)
    else:
        out.print("The customer already opted in on Telegram.")


@app.command()
def demo(
    interactive: Annotated[
        bool,
        typer.Option("--interactive", "-i", help="Play one customer yourself in the terminal."),
    ] = False,
    language: Annotated[
        str, typer.Option(help="Your language in interactive mode: en or nl.")
    ] = "en",
    channel: Annotated[
        str, typer.Option(help="telegram, or whatsapp: a Dutch customer's journey on WhatsApp.")
    ] = "telegram",
) -> None:
    """Run the bot against a local Telegram with simulated customers (no tokens, no network)."""
    if channel == "whatsapp":
        from sandbox.demo_whatsapp import run_whatsapp_demo

        asyncio.run(run_whatsapp_demo(out))
        return
    if interactive:
        from sandbox.demo_interactive import run_interactive

        asyncio.run(run_interactive(out, language=language))
        return
    from sandbox.demo import run_demo

    asyncio.run(run_demo(out))


def _register_score() -> None:
    from bot.score_cli import register

    register(app)


def _register_stats() -> None:
    from bot.stats_cli import register

    register(app)


def _register_ops() -> None:
    from bot.ops_cli import register

    register(app)


_register_score()
_register_stats()
_register_ops()


def main() -> None:
    """Entry point of the ``mentorbot`` console script."""
    app(prog_name="mentorbot")


if __name__ == "__main__":
    sys.exit(main())
