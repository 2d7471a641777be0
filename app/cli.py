"""The `raci` command line: serve the API, migrate the database, manage API keys.

Every command reads its settings (RACI_DATABASE_URL, ...) through app.core.config. Errors are
one readable line on stderr and a non-zero exit, never a traceback.

To add a command, decorate a function with `@cli.command()` (or group several under a
`typer.Typer()` added with `cli.add_typer(...)`) and run its body inside
`with reported_errors():`.
"""

import logging
import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from alembic.util import CommandError
from dotenv import dotenv_values
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from app.core.config import Settings
from app.core.errors import DomainError
from app.core.identifiers import KEY_PATTERN
from app.db import migrate
from app.db.engine import Database
from app.demo import load_demo, remove_demo
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from app.keys.service import FIRST_ADMIN_KEY_NAME
from app.wiring import open_database
from raci_client import report_cli, transfer_cli

SCOPES = ("read", "write", "admin")
EXIT_FAILURE = 1
EXIT_USAGE = 2

# Data (a secret, a JSON document) goes to stdout so that scripts can capture it; messages
# for the person at the terminal go to stderr.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

cli = typer.Typer(
    name="raci",
    help="raci-tracker: who is Responsible, Accountable, Consulted and Informed.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback is no answer for an operator; reported_errors() words every failure.
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys (created here, or over HTTP with an admin key).")
cli.add_typer(db_cli, name="db")
cli.add_typer(keys_cli, name="keys", no_args_is_help=True)


class CliError(Exception):
    """A failure to report as one line, with the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    err.print(Text(f"Error: {message}", style="bold red"), soft_wrap=True)
    raise typer.Exit(exit_code)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _settings_problem(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if message.startswith("RACI_"):
            parts.append(message)
        else:
            parts.append(f"RACI_{field.upper()}: {message}")
    return "invalid settings: " + "; ".join(parts)


def _database_problem(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    return f"database error: {_first_line(str(cause))}"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and a non-zero exit."""
    try:
        yield
    except typer.Exit:
        raise
    except CliError as exc:
        fail(str(exc), exc.exit_code)
    except ValidationError as exc:
        fail(_settings_problem(exc))
    except DomainError as exc:
        fail(exc.detail)
    except ArgumentError as exc:
        fail(f"RACI_DATABASE_URL is not a database URL: {_first_line(str(exc))}")
    except SQLAlchemyError as exc:
        fail(_database_problem(exc))
    except (migrate.MigrationsNotFound, CommandError) as exc:
        fail(_first_line(str(exc)))
    except OSError as exc:
        fail(str(exc))
    except ModuleNotFoundError as exc:
        fail(f"a database driver is missing: {exc}")


def load_settings() -> Settings:
    """Settings from the environment, read afresh by each command (no cached copy)."""
    return Settings()


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def database_source() -> str:
    """Where the database URL came from: the environment, a `.env` file in this folder, or
    the default (a SQLite file in this folder)."""
    if os.environ.get("RACI_DATABASE_URL"):
        return "from RACI_DATABASE_URL"
    env_file = Path(".env")
    if env_file.is_file() and dotenv_values(env_file).get("RACI_DATABASE_URL"):
        return f"from {env_file.resolve()}"
    return f"the default: raci.db in this folder ({Path.cwd()}); set RACI_DATABASE_URL to choose"


def describe_database(settings: Settings) -> str:
    """`Database: <url> (<where that comes from>)`, with a SQLite file shown by its full path
    (a relative one depends on the folder a command runs in)."""
    url = _safe_url(settings.database_url)
    try:
        parsed = make_url(settings.database_url)
    except ArgumentError:
        parsed = None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        file = parsed.database
        if file and file != ":memory:" and not file.startswith("file:"):
            url = f"sqlite:///{Path(file).resolve()}"
    return f"Database: {url} ({database_source()})"


@contextmanager
def _open_database(settings: Settings) -> Iterator[Database]:
    database = open_database(settings.model_copy(update={"db_pool_size": 1}))
    try:
        yield database
    finally:
        database.dispose()


def _require_migrated(settings: Settings) -> None:
    at = migrate.current(settings.database_url)
    head = migrate.head()
    if at != head:
        state = "has never been migrated" if at is None else f"is at revision {at}, not {head}"
        raise CliError(
            f"the database {_safe_url(settings.database_url)} {state}; run 'raci db upgrade' first"
        )


def ensure_first_admin(settings: Settings, database: Database | None = None) -> str | None:
    """On a database with no API key (and no bootstrap key configured), create an admin key
    named `first-admin`; its secret, or None when nothing was created."""
    if settings.bootstrap_admin_key is not None:
        return None

    def create(db: Database) -> str | None:
        try:
            with db.transaction() as session:
                return keys_service.create_first_admin_if_none(session)
        except IntegrityError:
            # Another `raci serve` on the same database created it at the same moment.
            return None

    if database is not None:
        return create(database)
    with _open_database(settings) as db:
        return create(db)


def _first_admin_panel(secret: str, host: str, port: int) -> Panel:
    shown_host = "localhost" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
    base = f"http://{shown_host}:{port}"
    body = Text()
    body.append(f"An admin API key named '{FIRST_ADMIN_KEY_NAME}' was created.\n")
    body.append("Its secret is shown only this once; store it now:\n\n")
    body.append(f"  {secret}\n\n", style="bold green")
    body.append(f"Swagger UI: {base}/docs, press Authorize, paste it.\n")
    body.append("Scripts: send 'Authorization: Bearer <secret>'.\n")
    body.append("More keys: raci keys create NAME --scope write")
    return Panel(body, title="First admin key", border_style="green", expand=False)


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
        ready = f"Database {_safe_url(settings.database_url)} at revision {revision} (head)."
        if settings.log_json:  # the server's stderr is then JSON lines only
            from app.observability.logging import JsonFormatter

            line = logging.LogRecord("raci.cli", logging.INFO, __file__, 0, ready, None, None)
            typer.echo(JsonFormatter().format(line), err=True)
        else:
            err.print(ready)
        secret = ensure_first_admin(settings)
    if secret is not None:
        out.print(_first_admin_panel(secret, host, port))
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
    """Load the demo portfolio (seven initiatives, their capabilities and KPIs) into the
    database, migrating it first: every kind of finding shows at once. Loading it again
    changes nothing. Says which database it wrote to, and where that choice comes from."""
    with reported_errors():
        settings = load_settings()
        migrate.upgrade(settings.database_url)
        with _open_database(settings) as database, database.transaction() as session:
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


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest migration (creating it if need be)."""
    with reported_errors():
        settings = load_settings()
        before = migrate.current(settings.database_url)
        after = migrate.upgrade(settings.database_url)
    where = _safe_url(settings.database_url)
    if before == after:
        out.print(f"Database {where} already at revision {after} (head).")
    else:
        out.print(f"Database {where} upgraded from {before or 'empty'} to {after} (head).")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's migration revision and whether it is the newest."""
    with reported_errors():
        settings = load_settings()
        at = migrate.current(settings.database_url)
        head = migrate.head()
    if at is None:
        out.print("none (never migrated; run 'raci db upgrade')")
    elif at == head:
        out.print(f"{at} (head)")
    else:
        out.print(f"{at} (head is {head}; run 'raci db upgrade')")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A unique name, e.g. pmo-sync.")],
    scope: Annotated[
        str, typer.Option(help="read, write (implies read) or admin (implies both).")
    ] = "read",
) -> None:
    """Create an API key and print its secret (and nothing else) on stdout, this once."""
    with reported_errors():
        if scope not in SCOPES:
            raise CliError(f"--scope must be one of read, write, admin; not '{scope}'", EXIT_USAGE)
        if not re.fullmatch(KEY_PATTERN, name):
            raise CliError(
                f"'{name}' is not a valid key name: use lower-case letters, digits, '.', '_' "
                "and '-', starting with a letter or digit, at most 64 characters",
                EXIT_USAGE,
            )
        settings = load_settings()
        _require_migrated(settings)
        with _open_database(settings) as database:
            try:
                with database.transaction() as session:
                    _, secret = keys_service.create_key(
                        session,
                        ApiKeyCreate(name=name, scope=scope),
                    )
            except IntegrityError as exc:
                raise CliError(f"An API key named '{name}' already exists") from exc
    err.print(describe_database(settings))
    err.print(f"Created API key '{name}' with the {scope} scope; its secret is shown only once:")
    print(secret)


@keys_cli.command("list")
def keys_list() -> None:
    """List the API keys (never their secrets)."""
    with reported_errors():
        settings = load_settings()
        _require_migrated(settings)
        with _open_database(settings) as database, database.transaction(write=False) as session:
            rows = [
                (key.name, key.scope, key.created_at, key.last_used_at)
                for key in keys_service.list_keys(session)
            ]
    err.print(describe_database(settings))
    if not rows:
        err.print("No API keys. Create one with: raci keys create NAME --scope admin")
        return
    table = Table("name", "scope", "created", "last used")
    for name, scope, created_at, last_used_at in rows:
        table.add_row(
            name,
            scope,
            created_at.isoformat(timespec="seconds"),
            last_used_at.isoformat(timespec="seconds") if last_used_at else "never",
        )
    out.print(table)


@keys_cli.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    force: Annotated[
        bool, typer.Option("--force", help="Revoke it even if it is the last admin key.")
    ] = False,
) -> None:
    """Revoke an API key: requests made with it are refused at once, and its secret never
    works again (not even as RACI_BOOTSTRAP_ADMIN_KEY). The last admin key needs --force."""
    with reported_errors():
        settings = load_settings()
        _require_migrated(settings)
        with _open_database(settings) as database, database.transaction() as session:
            keys_service.revoke_key(session, name, force=force)
    err.print(describe_database(settings))
    out.print(f"Revoked API key '{name}'.")


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
                f"Error: unexpected {type(exc).__name__}: {_first_line(str(exc))}", style="bold red"
            ),
            soft_wrap=True,
        )
        raise SystemExit(EXIT_FAILURE) from None


if __name__ == "__main__":
    main()
