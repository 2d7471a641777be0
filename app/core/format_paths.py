"""A report's other formats at paths of their own: `/reports/findings.csv` is
`/reports/findings?format=csv`, `/initiatives/{key}/raci.xlsx` is `...raci?format=xlsx`.

Content negotiation (`?format=`, `Accept`) stays the way to ask; these paths exist for
generated clients, which pick one media type per operation (JSON, when JSON is offered):
an operation of its own per format is the only way such a client reads a CSV answer as text.
Every GET whose OpenAPI 200 offers one of these media types and that takes `format` gets
them, so a new report has them without a line of its own (app.openapi documents them).
"""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.csv_answers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

FORMAT_PARAMETER = "format"
# Media type -> the path's suffix, which is also the `format` value asked for.
FORMAT_SUFFIXES = {CSV_MEDIA_TYPE: "csv", XLSX_MEDIA_TYPE: "xlsx"}


def takes_format(operation: dict[str, Any]) -> bool:
    """Whether an OpenAPI operation has the `format` query parameter."""
    return any(
        parameter.get("in") == "query" and parameter.get("name") == FORMAT_PARAMETER
        for parameter in operation.get("parameters", [])
    )


def suffixes(operation: dict[str, Any]) -> list[tuple[str, str]]:
    """(suffix, media type) of each format of an OpenAPI GET that has a path of its own."""
    if not takes_format(operation):
        return []
    offered = operation.get("responses", {}).get("200", {}).get("content", {})
    return [(suffix, media) for media, suffix in FORMAT_SUFFIXES.items() if media in offered]


def _template_pattern(template: str, suffix: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/]+?\})", template)
    body = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"({body})\\.{re.escape(suffix)}")


class FormatSuffix:
    """Serves `{path}.{suffix}` as `{path}?format={suffix}` for the paths the
    OpenAPI document gives those formats; any other path is left alone (and so a 404)."""

    def __init__(self, app: ASGIApp, *, document: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self._document = document
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None

    def _routes(self) -> list[tuple[re.Pattern[str], str]]:
        if self._patterns is None:
            self._patterns = [
                (_template_pattern(path, suffix), suffix)
                for path, item in self._document().get("paths", {}).items()
                if "get" in item
                for suffix, _ in suffixes(item["get"])
            ]
        return self._patterns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every method: another than GET is then the 405 (naming GET) that the path's
        # report gives it.
        if scope["type"] == "http":
            path: str = scope["path"]
            for pattern, suffix in self._routes():
                match = pattern.fullmatch(path)
                if match is not None:
                    scope = _as_format(scope, match.group(1), suffix)
                    break
        await self.app(scope, receive, send)


def _as_format(scope: Scope, path: str, suffix: str) -> Scope:
    query = [
        (name, value)
        for name, value in parse_qsl(
            scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        )
        if name != FORMAT_PARAMETER
    ]
    query.append((FORMAT_PARAMETER, suffix))
    return {
        **scope,
        "path": path,
        "raw_path": quote(path).encode("ascii"),
        "query_string": urlencode(query).encode("latin-1"),
    }
