"""What every server-side command shares: one-line errors and exit codes, the settings, the
database the command opens and how it is named to the person at the terminal."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from alembic.util import CommandError
from dotenv import dotenv_values
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from app.core.config import Settings
from app.core.errors import DomainError
from app.db import migrate
from app.db.engine import Database
from app.keys import service as keys_service
from app.keys.service import FIRST_ADMIN_KEY_NAME
from app.wiring import open_database

SCOPES = ("read", "write", "admin")
EXIT_FAILURE = 1
EXIT_USAGE = 2

# Data (a secret, a JSON document) goes to stdout so that scripts can capture it; messages
# for the person at the terminal go to stderr.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    """A failure to report as one line, with the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    err.print(Text(f"Error: {message}", style="bold red"), soft_wrap=True)
    raise typer.Exit(exit_code)


def first_line(text: str) -> str:
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
    return f"database error: {first_line(str(cause))}"


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
        fail(f"RACI_DATABASE_URL is not a database URL: {first_line(str(exc))}")
    except SQLAlchemyError as exc:
        fail(_database_problem(exc))
    except (migrate.MigrationsNotFound, CommandError) as exc:
        fail(first_line(str(exc)))
    except OSError as exc:
        fail(str(exc))
    except ModuleNotFoundError as exc:
        fail(f"a database driver is missing: {exc}")


def load_settings() -> Settings:
    """Settings from the environment, read afresh by each command (no cached copy)."""
    return Settings()


def safe_url(url: str) -> str:
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
    url = safe_url(settings.database_url)
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
def open_command_database(settings: Settings) -> Iterator[Database]:
    database = open_database(settings.model_copy(update={"db_pool_size": 1}))
    try:
        yield database
    finally:
        database.dispose()


def require_migrated(settings: Settings) -> None:
    at = migrate.current(settings.database_url)
    head = migrate.head()
    if at != head:
        state = "has never been migrated" if at is None else f"is at revision {at}, not {head}"
        raise CliError(
            f"the database {safe_url(settings.database_url)} {state}; run 'raci db upgrade' first"
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
    with open_command_database(settings) as db:
        return create(db)


def first_admin_panel(secret: str, host: str, port: int) -> Panel:
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
