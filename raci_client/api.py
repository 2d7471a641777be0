"""A small typed client for the raci-tracker API, and the one place its failures become
one-line messages a person can act on."""

import inspect
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.text import Text

API_PREFIX = "/api/v1"
DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_SECONDS = 60.0
JSON = "application/json"
CSV = "text/csv"

# Exit codes: 1 is kept for "the command worked and found something" (a --fail-on gate), so
# that a pipeline can tell a governance gap from a broken call.
EXIT_GATE = 1
EXIT_ERROR = 2

QueryParams = Sequence[tuple[str, str]]


class ApiError(Exception):
    """A call that failed; `str()` is the message for the terminal (one line, or one line
    followed by one line per validation error)."""

    def __init__(self, message: str, *, status: int | None = None, lines: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.status = status
        self.lines = list(lines)

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {line}" for line in self.lines)])


def format_loc(loc: Iterable[Any]) -> str:
    """A 422 error's `loc` as the contract writes paths: `initiatives[3].components[0].raci.CIO`."""
    parts = list(loc)
    # The server's locations start with where the value came from; "body" says nothing to
    # someone who sent a file, while "query" helps to see that a filter was meant.
    if parts and parts[0] == "body":
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def problem_lines(response: httpx.Response) -> tuple[str, list[str]]:
    """A problem+json answer as its headline (`title: detail`) and one `path: msg` per error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        text = response.text.strip().splitlines()
        return (text[0][:200] if text else response.reason_phrase or "no detail"), []
    title = str(body.get("title") or response.reason_phrase or "error")
    detail = body.get("detail")
    headline = f"{title}: {detail}" if detail and detail != title else title
    errors = body.get("errors")
    lines = []
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, Mapping):
                lines.append(_error_line(error))
    return headline, lines


def _error_line(error: Mapping[str, Any]) -> str:
    """`path: msg`, or for an error in a sheet `line 3, column 2 ('X'): msg`."""
    msg = str(error.get("msg", ""))
    if error.get("line") is not None or error.get("column") is not None:
        where = ", ".join(
            f"{name} {error[name]}" for name in ("line", "column") if error.get(name) is not None
        )
        value = error.get("value")
        shown = f" ({value!r})" if value not in (None, "") else ""
        return f"{where}{shown}: {msg}"
    where = format_loc(error.get("loc") or [])
    return f"{where}: {msg}" if where else msg


def _prefix_for(base_url: httpx.URL) -> str:
    return "" if base_url.path.rstrip("/").endswith(API_PREFIX) else API_PREFIX


def normalise_base_url(url: str) -> str:
    """The API root for a server address given with or without `/api/v1`."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class RaciClient:
    """Calls to one server. Wraps any `httpx.Client` (tests pass FastAPI's TestClient) whose
    base URL is either the server's root or its `/api/v1`."""

    def __init__(self, http: httpx.Client, *, key: str | None = None) -> None:
        self.http = http
        self.key = key
        self._prefix = _prefix_for(http.base_url)

    @property
    def api_url(self) -> str:
        return str(self.http.base_url).rstrip("/") + self._prefix

    def url_of(self, path: str) -> str:
        return self.api_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        accept: str = JSON,
        json_body: Any = None,
        content: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        allow: Sequence[int] = (),
    ) -> httpx.Response:
        """The response, or an ApiError for a transport failure or a 4xx/5xx not in `allow`."""
        sent_headers = {"Accept": accept, **(headers or {})}
        if self.key:
            sent_headers["Authorization"] = f"Bearer {self.key}"
        if json_body is not None:
            sent_headers.setdefault("Content-Type", JSON)
        url = self.url_of(path)
        try:
            response = self.http.request(
                method,
                self._prefix + path,
                params=list(params or []),
                json=json_body,
                content=content,
                headers=sent_headers,
            )
        except httpx.TimeoutException:
            raise ApiError(f"cannot reach {url}: timed out") from None
        except httpx.ConnectError as exc:
            raise ApiError(f"cannot reach {url}: {_connect_reason(exc)}") from None
        except httpx.TransportError as exc:
            raise ApiError(f"cannot reach {url}: {exc or type(exc).__name__}") from None
        if response.status_code >= 400 and response.status_code not in allow:
            raise error_for(response, method, path)
        return response

    def get(
        self, path: str, *, params: QueryParams | None = None, accept: str = JSON
    ) -> httpx.Response:
        return self.request("GET", path, params=params, accept=accept)

    def get_json(self, path: str, *, params: QueryParams | None = None) -> Any:
        response = self.get(path, params=params)
        try:
            return response.json()
        except ValueError:
            raise ApiError(f"GET {path}: the server did not answer JSON") from None

    def list_all(self, path: str, *, params: QueryParams = (), limit: int = 500) -> list[Any]:
        """Every item of a paged list, following `next_cursor`."""
        items: list[Any] = []
        cursor: str | None = None
        while True:
            page_params = [*params, ("limit", str(limit))]
            if cursor:
                page_params.append(("cursor", cursor))
            page = self.get_json(path, params=page_params)
            items.extend(page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def _connect_reason(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return str(exc) or "connection failed"


def error_for(response: httpx.Response, method: str, path: str) -> ApiError:
    """The ApiError for a 4xx/5xx answer."""
    status = response.status_code
    headline, lines = problem_lines(response)
    if status in (401, 403):
        hint = (
            " (set RACI_API_KEY or pass --key)"
            if status == 401 and "authorization" not in response.request.headers
            else ""
        )
        return ApiError(f"the API key was refused: {status} {headline}{hint}", status=status)
    return ApiError(f"{method} {path} failed: {status} {headline}", status=status, lines=lines)


# Options shared by every command that calls the server.
UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="RACI_URL",
        help="The server, with or without /api/v1.",
        show_default=True,
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="RACI_API_KEY",
        help="An API key (read scope for reports, write scope for imports).",
        show_default=False,
    ),
]


@contextmanager
def connect(ctx: typer.Context, url: str, key: str | None) -> Iterator[RaciClient]:
    """A client for the command: the `httpx.Client` a caller put in the Typer context (tests
    inject FastAPI's TestClient this way), else a new one for `url`."""
    injected = ctx.find_object(httpx.Client)
    if injected is not None:
        yield RaciClient(injected, key=key)
        return
    timeout = float(os.environ.get("RACI_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    with httpx.Client(base_url=normalise_base_url(url), timeout=timeout) as http:
        yield RaciClient(http, key=key)


def reflow(doc: str | None) -> str:
    """A docstring as command help: each paragraph one line, for the terminal to wrap (Typer's
    rich help otherwise keeps the source's line breaks)."""
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def fail(error: ApiError | str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print the message on stderr, as the rest of the command line does, and return the Exit
    to raise."""
    Console(stderr=True, highlight=False).print(
        Text(f"Error: {error}", style="bold red"), soft_wrap=True
    )
    return typer.Exit(code)
