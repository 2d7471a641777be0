"""The `raci` command line: serve the API, migrate the database, manage API keys.

Every command reads its settings (RACI_DATABASE_URL, ...) through app.core.config. Errors are
one readable line on stderr and a non-zero exit, never a traceback.

To add a command, decorate a function with `@cli.command()` (or group several under a
`typer.Typer()` added with `cli.add_typer(...)`) and run its body inside
`with reported_errors():`.
"""

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from app.cli_admin import db_cli, keys_cli, webhooks_cli
from app.cli_common import (
    EXIT_FAILURE,
    describe_database,
    ensure_first_admin,
    err,
    first_admin_panel,
    first_line,
    load_settings,
    open_command_database,
    out,
    reported_errors,
    safe_url,
)
from app.core.config import Settings
from app.db import migrate
from app.db.base import utcnow
from app.demo import load_demo, remove_demo
from app.reviews.service import open_due_reviews
from raci_client import report_cli, transfer_cli

cli = typer.Typer(
    name="raci",
    help="raci-tracker: who is Responsible, Accountable, Consulted and Informed.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback is no answer for an operator; reported_errors() words every failure.
    pretty_exceptions_enable=False,
)
cli.add_typer(db_cli, name="db")
cli.add_typer(keys_cli, name="keys", no_args_is_help=True)
reviews_cli = typer.Typer(help="Governance reviews of joint KPIs that fall off track.")
cli.add_typer(reviews_cli, name="reviews", no_args_is_help=True)
cli.add_typer(webhooks_cli, name="webhooks")


@cli.callback()
def _root() -> None:
    """raci-tracker: who is Responsible, Accountable, Consulted and Informed, and what falls
    between the chairs. Settings come from RACI_* environment variables."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Migrate the database to the newest revision, then serve the API (Swagger UI at /docs)."""
    with reported_errors():
        settings = load_settings()
        revision = migrate.upgrade(settings.database_url)
        ready = f"Database {safe_url(settings.database_url)} at revision {revision} (head)."
        if settings.log_json:  # the server's stderr is then JSON lines only
            from app.observability.logging import JsonFormatter

            line = logging.LogRecord("raci.cli", logging.INFO, __file__, 0, ready, None, None)
            typer.echo(JsonFormatter().format(line), err=True)
        else:
            err.print(ready)
        secret = ensure_first_admin(settings)
    if secret is not None:
        out.print(first_admin_panel(secret, host, port))
    import uvicorn

    from app.observability.metrics import shared_metrics

    with shared_metrics(workers), _clean_exit_on_stop_signals():
        _run_uvicorn(uvicorn, host, port, workers, settings)


@cli.command()
def demo(
    remove: Annotated[
        bool,
        typer.Option(
            "--remove",
            help="Take the demo out again: only what the demo created (its initiatives, "
            "capabilities, KPIs and their measurements), nothing of yours.",
        ),
    ] = False,
) -> None:
    """Load the demo portfolio (eight initiatives, their capabilities and KPIs) into the
    database, migrating it first: every kind of finding shows at once. Loading it again
    changes nothing. Says which database it wrote to, and where that choice comes from."""
    with reported_errors():
        settings = load_settings()
        migrate.upgrade(settings.database_url)
        with open_command_database(settings) as database, database.transaction() as session:
            if remove:
                removed = remove_demo(session)
            else:
                result = load_demo(session)
    # Once it worked: a failure stays one line (which already names the database).
    err.print(describe_database(settings))
    if remove:
        total = sum(len(keys) for keys in removed.values())
        if not total:
            err.print("No demo data to remove: nothing the demo created is left.")
            return
        table = Table("resource", "removed", title="Demo portfolio removed")
        for resource, keys in removed.items():
            table.add_row(resource, ", ".join(keys) or "-")
        err.print(table)
        return
    table = Table("resource", "created", "updated", "unchanged", title="Demo portfolio loaded")
    for resource, counts in result:
        table.add_row(resource, str(counts.created), str(counts.updated), str(counts.unchanged))
    err.print(table)
    err.print("See the findings: GET /api/v1/reports/findings, or /dashboard in a browser.")
    err.print("Take it out again with: raci demo --remove")


@reviews_cli.command("check")
def reviews_check() -> None:
    """Open a governance review for each joint KPI whose target date passed unmet and that
    has none since (what `raci serve` does every RACI_REVIEW_CHECK_SECONDS). Prints the keys
    of the reviews opened, one a line; running it again opens nothing more."""
    with reported_errors():
        settings = load_settings()
        migrate.upgrade(settings.database_url)
        with open_command_database(settings) as database, database.transaction() as session:
            opened = [review.key for review in open_due_reviews(session, utcnow().date())]
    for key in opened:
        out.print(key, highlight=False)
    err.print(f"{len(opened)} governance review(s) opened.")


@contextmanager
def _clean_exit_on_stop_signals() -> Iterator[None]:
    """uvicorn finishes the requests in flight on SIGTERM or SIGINT, then raises the signal
    again with the handlers it found in place, so that the process would die of it. A stop
    the server obeyed is a clean exit: those handlers exit 0."""

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_uvicorn(uvicorn: Any, host: str, port: int, workers: int, settings: Settings) -> None:
    from app.observability.logging import log_config

    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # Every line, uvicorn's too, as JSON (RACI_LOG_JSON); the app logs each request.
        log_config=log_config(settings.log_level, settings.log_json),
        access_log=False,
        # The client's address is the TCP peer's unless the app trusts the peer as a proxy
        # (RACI_TRUSTED_PROXIES, app.core.auth_limits): uvicorn must not rewrite it first
        # from X-Forwarded-For, which it would do for any local peer by default.
        proxy_headers=False,
        # SIGTERM: stop accepting, let in-flight requests finish (this long at most), exit 0.
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


@cli.command("openapi")
def openapi(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Print (or write) the API's OpenAPI document: sorted keys, indent 2."""
    with reported_errors():
        from app.main import app as application  # the whole app, only for this command
        from app.openapi import document, render

        text = render(document(application))
        if output is None:
            typer.echo(text, nl=False)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    err.print(f"Wrote {output}.")


# The commands that talk to a running server over HTTP (reports, import, export).
report_cli.register(cli)
transfer_cli.register(cli)


def main() -> None:
    """The `raci` entry point."""
    try:
        cli()
    except Exception as exc:
        # Last resort for a failure no command foresaw: still one line, not a traceback.
        err.print(
            Text(
                f"Error: unexpected {type(exc).__name__}: {first_line(str(exc))}", style="bold red"
            ),
            soft_wrap=True,
        )
        raise SystemExit(EXIT_FAILURE) from None


if __name__ == "__main__":
    main()
