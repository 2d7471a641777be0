"""`raci import` and `raci export`: whole-portfolio documents (and RACI matrices kept in a
spreadsheet) in and out of a running server, through its public API."""

import json
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

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
from raci_client.matrix_csv import MatrixCsvError, merge_into, read_matrix_csv

# Bodies below this go in one piece: a progress bar that flashes by only adds noise.
PROGRESS_THRESHOLD_BYTES = 256 * 1024
UPLOAD_CHUNK_BYTES = 64 * 1024
EXPORT_CONCURRENCY = 4

READ_ONLY = frozenset({"version", "created_at", "updated_at"})
KPI_READ_ONLY = READ_ONLY | {"joint", "latest", "status"}
MEASUREMENT_FIELDS = ("value", "measured_at", "note")


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


def _document_from_csv(
    client: RaciClient, file: Path, body: bytes, initiative: str | None
) -> bytes:
    """The import document that sets the CSV's cells on the initiatives it names."""
    try:
        rows = read_matrix_csv(body.decode("utf-8-sig"), initiative)
    except UnicodeDecodeError:
        raise ApiError(f"{file} is not UTF-8 text") from None
    except MatrixCsvError as error:
        raise ApiError(f"{file}: {error.message}", lines=error.lines) from None
    keys = list(dict.fromkeys(row.initiative for row in rows))
    current: dict[str, Mapping[str, Any]] = {}
    unknown: list[str] = []
    for key in keys:
        response = client.request(
            "GET",
            f"/initiatives/{quote(key, safe='')}",
            params=[("expand", "components")],
            allow=(404,),
        )
        if response.status_code == 404:
            unknown.append(key)
        else:
            current[key] = response.json()
    if unknown:
        lines = [
            f"line {next(r.line for r in rows if r.initiative == key)}: no initiative '{key}'"
            for key in unknown
        ]
        raise ApiError(
            f"{file} names {len(unknown)} unknown initiative{'s' if len(unknown) != 1 else ''}; "
            "nothing was sent",
            lines=lines,
        )
    try:
        initiatives = [
            merge_into(current[key], [row for row in rows if row.initiative == key]) for key in keys
        ]
    except MatrixCsvError as error:
        raise ApiError(error.message, lines=error.lines) from None
    return json.dumps({"initiatives": initiatives}, ensure_ascii=False).encode()


def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="An import document (JSON), or with --csv a RACI matrix.",
            show_default=False,
        ),
    ],
    csv_matrix: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="FILE is a RACI matrix CSV (initiative, component, [name], one column per "
            "role): its cells are merged into the initiatives' current components.",
        ),
    ] = False,
    initiative: Annotated[
        str | None,
        typer.Option(
            "--initiative",
            help="With --csv, for a matrix without an initiative column (as one initiative's "
            "matrix CSV export has): the initiative its rows belong to.",
            show_default=False,
        ),
    ] = None,
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
        typer.Option("--dry-run", help="Print the document that would be sent; send nothing."),
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
    cells, KPIs, measurements) to the server in one transaction: all of it or none of it.

    Importing the same file twice is harmless: the second time everything is `unchanged`. A
    script that retries after a time-out passes the same --idempotency-key on each try, so
    the server answers the retry from the first attempt instead of doing the work again. On a 422 every error is printed as `path: message`
    and nothing is written."""
    try:
        body = file.read_bytes()
        with connect(ctx, url, key) as client:
            if initiative is not None and not csv_matrix:
                raise ApiError("--initiative goes with --csv")
            if csv_matrix:
                body = _document_from_csv(client, file, body, initiative)
            else:
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


def _without(item: Mapping[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in fields}


def _initiative_document(initiative: Mapping[str, Any]) -> dict[str, Any]:
    document = _without(initiative, READ_ONLY)
    components = []
    for component in initiative.get("components") or []:
        nested = _without(component, READ_ONLY)
        raci = component.get("raci")
        if isinstance(raci, Mapping):
            nested["raci"] = {
                role: _without(cell, READ_ONLY) if isinstance(cell, Mapping) else cell
                for role, cell in raci.items()
            }
        components.append(nested)
    document["components"] = components
    return document


def assemble_export(client: RaciClient, concurrency: int = EXPORT_CONCURRENCY) -> dict[str, Any]:
    """The portfolio as an import document, built from the list endpoints (for servers
    without GET /export)."""
    roles = [_without(role, READ_ONLY) for role in client.list_all("/roles")]
    capabilities = [_without(item, READ_ONLY) for item in client.list_all("/capabilities")]
    keys = [str(item["key"]) for item in client.list_all("/initiatives")]

    def initiative(key: str) -> dict[str, Any]:
        detail = client.get_json(
            f"/initiatives/{quote(key, safe='')}", params=[("expand", "components")]
        )
        if "components" not in detail:
            raise ApiError(
                f"GET /initiatives/{key}?expand=components did not return the components"
            )
        return _initiative_document(detail)

    # A few requests at a time: a large portfolio exports quickly without flooding the server.
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        initiatives = list(pool.map(initiative, keys))
    kpis = [_without(kpi, KPI_READ_ONLY) for kpi in client.list_all("/kpis")]

    def measurements(kpi_key: str) -> list[dict[str, Any]]:
        items = client.list_all(f"/kpis/{quote(kpi_key, safe='')}/measurements")
        return [{name: m[name] for name in MEASUREMENT_FIELDS if name in m} for m in items]

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        by_kpi = dict(
            zip(
                (kpi["key"] for kpi in kpis),
                pool.map(measurements, [str(kpi["key"]) for kpi in kpis]),
                strict=True,
            )
        )
    return {
        "roles": roles,
        "capabilities": capabilities,
        "initiatives": initiatives,
        "kpis": kpis,
        "measurements": {kpi: items for kpi, items in by_kpi.items() if items},
    }


def fetch_export(client: RaciClient, concurrency: int = EXPORT_CONCURRENCY) -> tuple[bytes, bool]:
    """The export document's bytes, and whether the server's GET /export made them."""
    response = client.request("GET", "/export", allow=(404, 405))
    if response.status_code < 400:
        return response.content, True
    document = assemble_export(client, concurrency)
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode(), False


def describe(document: Mapping[str, Any]) -> str:
    """`4 roles, 8 capabilities, 5 initiatives (12 components), 3 KPIs, 10 measurements`."""
    initiatives = document.get("initiatives") or []
    components = sum(len(item.get("components") or []) for item in initiatives)
    measurements = sum(len(items) for items in (document.get("measurements") or {}).values())
    return (
        f"{len(document.get('roles') or [])} roles, "
        f"{len(document.get('capabilities') or [])} capabilities, "
        f"{len(initiatives)} initiatives ({components} components), "
        f"{len(document.get('kpis') or [])} KPIs, {measurements} measurements"
    )


def _write_atomically(file: Path, data: bytes) -> None:
    # A half-written export must never be taken for a whole one by the next import.
    directory = file.parent if str(file.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            dir_okay=False,
            help="Where to write the document; - for standard output.",
            show_default=False,
        ),
    ],
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Parallel requests when the server has no GET /export and the document is "
            "assembled from the list endpoints.",
        ),
    ] = EXPORT_CONCURRENCY,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Write the whole portfolio as an import document: `raci import` of it into an empty
    database gives the same findings and the same matrices."""
    try:
        with connect(ctx, url, key) as client:
            data, _from_server = fetch_export(client, concurrency)
        summary = describe(json.loads(data))
        if str(file) == "-":
            render.write_bytes(data)
        else:
            _write_atomically(file, data)
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror or exc}") from None
    except ApiError as error:
        raise fail(error) from None
    except ValueError:
        raise fail(ApiError("the server's export is not a JSON document")) from None
    target = "standard output" if str(file) == "-" else str(file)
    typer.echo(f"exported {summary} to {target}", err=True)


def register(app: typer.Typer) -> None:
    """Add `raci import` and `raci export` to the command line."""
    app.command("import", help=reflow(import_command.__doc__))(import_command)
    app.command("export", help=reflow(export_command.__doc__))(export_command)
