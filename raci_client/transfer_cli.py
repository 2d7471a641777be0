"""`raci import` (and the registration of `raci export`): whole-portfolio documents and RACI
sheets kept in a spreadsheet or a wiki, into a running server through its public API."""

import json
import sys
import uuid
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from raci_client import render
from raci_client.api import (
    DEFAULT_URL,
    JSON,
    ApiError,
    KeyOption,
    RaciClient,
    UrlOption,
    connect,
    fail,
    problem_lines,
    reflow,
)
from raci_client.export_cli import export_command
from raci_client.sheet_import import SheetOptions, is_sheet, post_sheet
from raci_client.sheet_import import report as report_sheet

# Bodies below this go in one piece: a progress bar that flashes by only adds noise.
PROGRESS_THRESHOLD_BYTES = 256 * 1024
UPLOAD_CHUNK_BYTES = 64 * 1024


class ImportOutput(StrEnum):
    table = "table"
    json = "json"


def idempotency_key() -> str:
    """A key for this one run of the command.

    An Idempotency-Key names one operation, not one content: were it derived from the file,
    importing the same file again to restore what someone changed since would be answered
    from the first import for 24 hours and change nothing. A script that retries a run passes
    its own key with --idempotency-key.
    """
    return f"raci-import-{uuid.uuid4()}"


def upload_chunks(
    body: bytes, on_sent: Callable[[int], None], chunk_bytes: int = UPLOAD_CHUNK_BYTES
) -> Iterator[bytes]:
    """`body` in chunks, calling `on_sent` with each chunk's size once the transport took it."""
    for start in range(0, len(body), chunk_bytes):
        chunk = body[start : start + chunk_bytes]
        yield chunk
        on_sent(len(chunk))


def _upload_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=render.console(),
        transient=True,
    )


def post_import(
    client: RaciClient, body: bytes, *, show_progress: bool, retry_key: str | None = None
) -> Any:
    """POST the document to /imports and return the response; an ApiError on any failure, with
    every 422 error as `path: message`."""
    headers = {
        "Content-Type": JSON,
        "Content-Length": str(len(body)),
        "Idempotency-Key": retry_key or idempotency_key(),
    }
    if show_progress:
        with _upload_progress() as progress:
            task = progress.add_task("uploading", total=len(body))

            def sent(size: int) -> None:
                progress.advance(task, size)
                if progress.tasks[0].finished:
                    progress.update(task, description="importing")

            response = client.request(
                "POST",
                "/imports",
                content=upload_chunks(body, sent),
                headers=headers,
                allow=(422,),
            )
    else:
        response = client.request("POST", "/imports", content=body, headers=headers, allow=(422,))
    if response.status_code == 422:
        headline, lines = problem_lines(response)
        count = len(lines) or 1
        raise ApiError(
            f"the import was refused, nothing was written ({count} error{'s' if count != 1 else ''}): {headline}",
            status=422,
            lines=lines,
        )
    return response


def _report_import(response: Any, output: ImportOutput) -> None:
    if output is ImportOutput.json:
        sys.stdout.write(response.text)
        if not response.text.endswith("\n"):
            sys.stdout.write("\n")
        return
    table, line = render.import_table(response.json())
    out = render.console()
    out.print(table)
    out.print(line)


def _read_json_document(file: Path, body: bytes) -> None:
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise ApiError(f"{file} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        hint = "; for a RACI matrix use --csv" if file.suffix.lower() == ".csv" else ""
        raise ApiError(
            f"{file} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}{hint}"
        ) from None
    if not isinstance(document, dict):
        raise ApiError(
            f"{file} is not an import document: expected an object with roles, capabilities, "
            "initiatives, kpis and/or measurements"
        )


def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="An import document (.json), or with --initiative a RACI sheet (.csv, .tsv, "
            ".md, .xlsx).",
            show_default=False,
        ),
    ],
    initiative: Annotated[
        str | None,
        typer.Option(
            "--initiative",
            help="FILE is a RACI sheet for this initiative: sent to "
            "POST /initiatives/KEY/raci/import, which reads it.",
            show_default=False,
        ),
    ] = None,
    create: Annotated[
        bool, typer.Option("--create", help="With a sheet: create the initiative if needed.")
    ] = False,
    create_roles: Annotated[
        bool,
        typer.Option("--create-roles", help="With a sheet: create a role for each unknown header."),
    ] = False,
    role_function: Annotated[
        str,
        typer.Option(
            "--role-function",
            help="With --create-roles: the function of the roles created (marketing, "
            "technology, data, digital, executive or other).",
        ),
    ] = "other",
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="With a sheet: HEADER=CODE, the column headed HEADER holds role CODE's cells "
            "(repeat for several).",
            show_default=False,
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="With a sheet: make the initiative's matrix exactly the sheet (default: "
            "merge, setting the cells the sheet gives).",
        ),
    ] = False,
    retry_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="The Idempotency-Key to send (default: a new one per run). A script that "
            "retries an import passes the same key each time: for 24 hours the server answers "
            "a repeated key from the first import instead of applying it again.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="A document: print what would be sent. A sheet: print the changes the server "
            "would make. Nothing is written.",
        ),
    ] = False,
    output: Annotated[
        ImportOutput,
        typer.Option(
            "--format", "-f", help="table, or the API's JSON answer.", case_sensitive=False
        ),
    ] = ImportOutput.table,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Push a whole portfolio (roles, capabilities, initiatives with their components and RACI
    cells, KPIs, measurements) to the server in one transaction: all of it or none of it; or,
    with --initiative, one initiative's RACI sheet as people keep it (CSV, TSV, Markdown or
    Excel; matrix, list or long form; letters such as `R/A`, `c, i`).

    Importing the same file twice is harmless: the second time everything is `unchanged`. A
    script that retries after a time-out passes the same --idempotency-key on each try, so
    the server answers the retry from the first attempt instead of doing the work again. On a
    422 every error is printed (`path: message`, or for a sheet its line, column and value)
    and nothing is written."""
    sheet_only = create or create_roles or replace or bool(role)
    try:
        body = file.read_bytes()
        if initiative is None and (sheet_only or is_sheet(file)):
            raise ApiError(
                f"{file} is a sheet: say which initiative it is for with --initiative KEY"
            )
        with connect(ctx, url, key) as client:
            if initiative is not None:
                options = SheetOptions(
                    initiative,
                    create,
                    create_roles,
                    tuple(role or ()),
                    replace,
                    dry_run,
                    role_function,
                )
                answer = post_sheet(client, file, body, options)
                if output is ImportOutput.json:
                    sys.stdout.write(answer.text.rstrip("\n") + "\n")
                else:
                    report_sheet(answer.json())
                return
            _read_json_document(file, body)
            if dry_run:
                sys.stdout.write(json.dumps(json.loads(body), indent=2, ensure_ascii=False) + "\n")
                return
            show_progress = len(body) >= PROGRESS_THRESHOLD_BYTES and sys.stdout.isatty()
            response = post_import(client, body, show_progress=show_progress, retry_key=retry_key)
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}") from None
    except ApiError as error:
        raise fail(error) from None
    _report_import(response, output)


def register(app: typer.Typer) -> None:
    """Add `raci import` and `raci export` to the command line."""
    app.command("import", help=reflow(import_command.__doc__))(import_command)
    app.command("export", help=reflow(export_command.__doc__))(export_command)
