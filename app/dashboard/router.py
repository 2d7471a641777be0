"""The dashboard's routes: a login form, the page itself and a logout. Read-only.

The API key a person types in is validated and kept in an `HttpOnly; SameSite=Strict`
cookie scoped to `/dashboard` (Secure over https): never in a URL, never in the page,
never readable by a script and never sent to the API. The login and logout forms are
POSTs whose Origin (or Referer) must name this very host, and the cookie is not sent on a
request another site starts, so another site can neither log a browser in or out nor read
the page.
"""

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import jinja2
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.auth.scopes import grants
from app.core.errors import DomainError
from app.dashboard.views import Filters, build_dashboard
from app.deps import DatabaseDep, Principal, SessionDep, get_key_resolver
from app.initiatives.schemas import Portfolio

COOKIE = "raci_dashboard"
COOKIE_PATH = "/dashboard"
COOKIE_MAX_AGE = 8 * 60 * 60  # a working day; then the key is asked for again
MAX_KEY_LENGTH = 512

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

# Everything the page loads comes from this app; no script runs at all.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin: the Referer stays available for the login form's same-host check.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix="/dashboard", include_in_schema=False)


def _page(
    request: Request, template: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "root": _root(request),
            "static": lambda name: f"{_root(request)}/static/{name}",
            **context,
        },
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _redirect(request: Request, path: str) -> RedirectResponse:
    """A 303 to a path of this app (no host: it stays on whatever host the browser used)."""
    return RedirectResponse(f"{_root(request)}{path}", status_code=303, headers=SECURITY_HEADERS)


def _record_failure(request: Request) -> None:
    limiter = getattr(request.app.state, "auth_failures", None)
    if limiter is not None:
        limiter.record_failure(request)


def _refused_by_limiter(request: Request) -> DomainError | None:
    """The failed-authentication limiter's 429 when this client is over its limit: checked
    before a key is looked up, as the API does."""
    check = getattr(getattr(request.app.state, "auth_failures", None), "check", None)
    if check is None:
        return None
    try:
        check(request)
    except DomainError as refused:
        return refused
    return None


def _too_many(request: Request, refused: DomainError) -> HTMLResponse:
    response = _page(
        request,
        "login.html",
        {"error": refused.detail, "principal": None},
        status_code=refused.status,
    )
    response.headers.update(refused.headers)
    return response


def _principal(request: Request, database: DatabaseDep, secret: str) -> Principal | None:
    """The read key `secret` names, or None (a failed authentication is recorded).

    Looked up afresh rather than from the cache: a page is no hot path, and this keeps a
    revoked key's cookie from showing even one more page.
    """
    key = (
        get_key_resolver(request).resolve(secret, cached=False)
        if 0 < len(secret) <= MAX_KEY_LENGTH
        else None
    )
    if key is None or not grants(key.scope, "read"):
        _record_failure(request)
        return None
    return Principal(name=key.name, scope=key.scope)  # type: ignore[arg-type]


def _same_origin(request: Request) -> bool:
    """Whether a form POST comes from a page of this host (CSRF check).

    Browsers send Origin on every POST; Referer is the fallback for old ones. A POST with
    neither is refused: a form of this app always has one.
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    host = request.headers.get("host", "")
    return parts.scheme in {"http", "https"} and parts.netloc.lower() == host.lower()


def _cross_site(request: Request) -> HTMLResponse:
    return _page(
        request,
        "login.html",
        {"error": "This form must be sent from the dashboard's own page.", "principal": None},
        status_code=403,
    )


@router.get("/login", name="dashboard_login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _page(request, "login.html", {"error": None, "principal": None})


@router.post("/login", response_model=None)
def login(
    request: Request,
    database: DatabaseDep,
    key: Annotated[str, Form(max_length=MAX_KEY_LENGTH)] = "",
) -> Response:
    if not _same_origin(request):
        return _cross_site(request)
    refused = _refused_by_limiter(request)
    if refused is not None:
        return _too_many(request, refused)
    secret = key.strip()
    if not secret:
        return _page(request, "login.html", {"error": "Enter an API key.", "principal": None}, 400)
    principal = _principal(request, database, secret)
    if principal is None:
        return _page(
            request,
            "login.html",
            {"error": "That key is unknown or has been revoked.", "principal": None},
            status_code=401,
        )
    response = _redirect(request, "/dashboard")
    response.set_cookie(
        COOKIE,
        secret,
        max_age=COOKIE_MAX_AGE,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout", response_model=None)
def logout(request: Request) -> Response:
    if not _same_origin(request):
        return _cross_site(request)
    response = _redirect(request, "/dashboard/login")
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("", name="dashboard", response_model=None)
def dashboard(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    portfolio: Annotated[list[Portfolio] | None, Query()] = None,
    include_closed: bool = False,
) -> Response:
    secret = request.cookies.get(COOKIE)
    if secret and (refused := _refused_by_limiter(request)) is not None:
        return _too_many(request, refused)
    principal = _principal(request, database, secret) if secret else None
    if principal is None:
        response = _redirect(request, "/dashboard/login")
        if secret:
            response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
        return response
    filters = Filters(portfolios=tuple(sorted(set(portfolio or ()))), include_closed=include_closed)
    return _page(
        request,
        "dashboard.html",
        {"d": build_dashboard(session, filters), "principal": principal},
    )
