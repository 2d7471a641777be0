"""`raci db ...`, `raci keys ...` and `raci webhooks ...`: migrations, API keys and webhook
endpoints, straight on the database."""

import os
import re
import signal
import threading
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.exc import IntegrityError

from app.cli_common import (
    EXIT_USAGE,
    SCOPES,
    CliError,
    describe_database,
    err,
    load_settings,
    open_command_database,
    out,
    reported_errors,
    require_migrated,
    safe_url,
)
from app.core.identifiers import KEY_PATTERN
from app.core.preconditions import IfMatch
from app.db import migrate
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from app.webhooks import service as webhooks_service
from app.webhooks.delivery import DeliveryWorker
from app.webhooks.routing import EVENT_TYPES
from app.webhooks.schemas import WebhookCreate

db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys (created here, or over HTTP with an admin key).")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest migration (creating it if need be)."""
    with reported_errors():
        settings = load_settings()
        before = migrate.current(settings.database_url)
        after = migrate.upgrade(settings.database_url)
    where = safe_url(settings.database_url)
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
    acts_for: Annotated[
        list[str] | None,
        typer.Option(
            "--acts-for",
            help="A role code the key acts for (it may agree to that role's RACI cells); "
            "repeat it, or give a comma-separated list.",
        ),
    ] = None,
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
        roles = [code.strip() for given in acts_for or [] for code in given.split(",")]
        try:
            data = ApiKeyCreate(name=name, scope=scope, acts_for=[c for c in roles if c])
        except ValidationError as exc:
            raise CliError(
                f"--acts-for takes role codes (e.g. CIO): {exc.errors()[0]['msg']}", EXIT_USAGE
            ) from exc
        settings = load_settings()
        require_migrated(settings)
        with open_command_database(settings) as database:
            try:
                with database.transaction() as session:
                    _, secret = keys_service.create_key(session, data)
            except IntegrityError as exc:
                raise CliError(f"An API key named '{name}' already exists") from exc
    err.print(describe_database(settings))
    acting = f", acting for {', '.join(sorted(set(data.acts_for)))}" if data.acts_for else ""
    err.print(
        f"Created API key '{name}' with the {scope} scope{acting}; its secret is shown only once:"
    )
    print(secret)


@keys_cli.command("list")
def keys_list() -> None:
    """List the API keys (never their secrets)."""
    with reported_errors():
        settings = load_settings()
        require_migrated(settings)
        with (
            open_command_database(settings) as database,
            database.transaction(write=False) as session,
        ):
            keys = keys_service.list_keys(session)
            roles = keys_service.acts_for(session, [key.id for key in keys])
            rows = [
                (key.name, key.scope, roles.get(key.id, []), key.created_at, key.last_used_at)
                for key in keys
            ]
    err.print(describe_database(settings))
    if not rows:
        err.print("No API keys. Create one with: raci keys create NAME --scope admin")
        return
    table = Table("name", "scope", "acts for", "created", "last used")
    for name, scope, acting_for, created_at, last_used_at in rows:
        table.add_row(
            name,
            scope,
            ", ".join(acting_for) or "-",
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
        require_migrated(settings)
        with open_command_database(settings) as database, database.transaction() as session:
            keys_service.revoke_key(session, name, force=force)
    err.print(describe_database(settings))
    out.print(f"Revoked API key '{name}'.")


webhooks_cli = typer.Typer(
    help="Webhook endpoints (registered here, or over HTTP with an admin key).",
    no_args_is_help=True,
)


@webhooks_cli.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="Where to POST the events (http or https).")],
    event: Annotated[
        list[str],
        typer.Option(
            "--event", help=f"An event type to receive (repeatable): {', '.join(EVENT_TYPES)}."
        ),
    ],
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="Route by RACI letter to this role (repeatable); none: every event.",
        ),
    ] = None,
    description: Annotated[str | None, typer.Option(help="What the endpoint is.")] = None,
) -> None:
    """Register a webhook endpoint; print its id on stderr and its signing secret (and
    nothing else) on stdout, this once."""
    with reported_errors():
        unknown = [name for name in event if name not in EVENT_TYPES]
        if unknown:
            raise CliError(
                f"unknown event type {unknown[0]!r}; use one of {', '.join(EVENT_TYPES)}",
                EXIT_USAGE,
            )
        try:
            data = WebhookCreate.model_validate(
                {"url": url, "events": event, "roles": role or [], "description": description}
            )
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise CliError(f"{where}: {problem['msg']}", EXIT_USAGE) from None
        settings = load_settings()
        require_migrated(settings)
        with open_command_database(settings) as database, database.transaction() as session:
            endpoint, secret = webhooks_service.create_endpoint(
                session, data, allow_private=settings.webhook_allow_private
            )
            endpoint_id = endpoint.id
    err.print(describe_database(settings))
    err.print(
        f"Registered webhook endpoint {endpoint_id} for {', '.join(data.events)}"
        + (f" routed to {', '.join(data.roles)}" if data.roles else "")
        + "; its signing secret is shown only once:"
    )
    print(secret)


@webhooks_cli.command("list")
def webhooks_list() -> None:
    """List the webhook endpoints (never their secrets)."""
    with reported_errors():
        settings = load_settings()
        require_migrated(settings)
        with (
            open_command_database(settings) as database,
            database.transaction(write=False) as session,
        ):
            rows = [
                (e.id, e.url, list(e.events), list(e.roles), e.enabled, e.failing_since)
                for e in webhooks_service.list_endpoints(session)
            ]
    err.print(describe_database(settings))
    if not rows:
        err.print("No webhook endpoints. Add one with: raci webhooks add URL --event cell.changed")
        return
    table = Table("url", "events", "roles", "enabled", "failing since")
    table.add_column("id", no_wrap=True)
    for endpoint_id, url, events, roles, enabled, failing_since in rows:
        table.add_row(
            url,
            ", ".join(events),
            ", ".join(roles) or "(all)",
            "yes" if enabled else "no",
            failing_since.isoformat(timespec="seconds") if failing_since else "",
            endpoint_id,
        )
    out.print(table)


@webhooks_cli.command("remove")
def webhooks_remove(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id (ep_...).")],
) -> None:
    """Remove a webhook endpoint and its delivery log; what was pending is never sent."""
    with reported_errors():
        settings = load_settings()
        require_migrated(settings)
        with open_command_database(settings) as database, database.transaction() as session:
            webhooks_service.delete_endpoint(session, endpoint_id, IfMatch(None))
    err.print(describe_database(settings))
    out.print(f"Removed webhook endpoint '{endpoint_id}'.")


@webhooks_cli.command("work")
def webhooks_work(
    parent: Annotated[
        int | None,
        typer.Option(
            "--parent", help="Stop when the process with this id (its starter) has ended."
        ),
    ] = None,
) -> None:
    """Deliver webhooks in this process until stopped (Ctrl-C, SIGTERM). `raci serve` starts
    one (RACI_WEBHOOK_WORKER=process); run more, here or on other hosts, to send more at
    once: they never send one delivery twice at the same time."""
    with reported_errors():
        settings = load_settings()
        require_migrated(settings)
        with open_command_database(settings) as database:
            worker = DeliveryWorker(database, settings)
            if parent is None:  # started by `raci serve`: its stderr is JSON lines only
                err.print(describe_database(settings))
                err.print("Delivering webhooks; stop with Ctrl-C.")
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            worker.start()
            try:
                while not stop.wait(1.0):
                    if parent is not None and os.getppid() != parent:
                        break  # the server is gone (killed): so is its worker
            except KeyboardInterrupt:
                pass
            finally:
                worker.stop()
    if parent is None:
        err.print("Stopped.")
