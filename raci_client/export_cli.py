"""`raci export`: the whole portfolio out of a running server as an import document, from
`GET /export` or, from an older server, assembled from the public API."""

import json
import os
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from raci_client import render
from raci_client.api import DEFAULT_URL, ApiError, KeyOption, RaciClient, UrlOption, connect, fail

EXPORT_CONCURRENCY = 4
READ_ONLY = frozenset({"version", "created_at", "updated_at"})
KPI_READ_ONLY = READ_ONLY | {"joint", "latest", "status"}
MEASUREMENT_FIELDS = ("value", "measured_at", "note")


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
