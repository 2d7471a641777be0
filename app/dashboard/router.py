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
from app.core.auth_limits import AuthLimiter
from app.core.errors import DomainError
from app.core.report_limits import TooManyReports
from app.dashboard.views import Filters, build_dashboard
from app.deps import Principal, SessionDep, get_key_resolver, get_report_limiter
from app.initiatives.schemas import Portfolio
from app.keys import service as keys_service

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
# The sign-in and sign-out forms are read before any key is known: a key and little else.
FORM_BODY_LIMIT = 4096


def body_limits() -> dict[str, int]:
    """Body limits of the dashboard's forms, for the body guard (app.core.body_guard)."""
    return {f"{COOKIE_PATH}/login": FORM_BODY_LIMIT, f"{COOKIE_PATH}/logout": FORM_BODY_LIMIT}


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


def _limiter(request: Request) -> AuthLimiter | None:
    limiter = getattr(request.app.state, "auth_failures", None)
    return limiter if isinstance(limiter, AuthLimiter) else None


def _too_many(request: Request, refused: DomainError) -> HTMLResponse:
    response = _page(
        request,
        "login.html",
        {"error": refused.detail, "principal": None},
        status_code=refused.status,
    )
    response.headers.update(refused.headers)
    return response


def _principal(request: Request, secret: str) -> Principal | DomainError | None:
    """The read key `secret` names; None when it does not authenticate, or the limiter's
    429 when it does not and this address or key prefix is over the failed-authentication
    limit (app.core.auth_limits: the API's limits; a key that authenticates is never
    refused).

    Looked up afresh rather than from the cache: a page is no hot path, and this keeps a
    revoked key's cookie from showing even one more page.
    """
    limiter = _limiter(request)
    address = limiter.address(request.scope) if limiter is not None else ""
    if limiter is not None and (refused := limiter.known_wrong(address, secret)) is not None:
        return refused
    key = (
        get_key_resolver(request).resolve(secret, cached=False)
        if 0 < len(secret) <= MAX_KEY_LENGTH
        else None
    )
    if key is not None and grants(key.scope, "read"):
        return Principal(name=key.name, scope=key.scope)  # type: ignore[arg-type]
    if key is None and limiter is not None:
        return limiter.failed(address, secret)
    return None


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
    key: Annotated[str, Form(max_length=MAX_KEY_LENGTH)] = "",
) -> Response:
    if not _same_origin(request):
        return _cross_site(request)
    secret = key.strip()
    if not secret:
        return _page(request, "login.html", {"error": "Enter an API key.", "principal": None}, 400)
    principal = _principal(request, secret)
    if isinstance(principal, DomainError):
        return _too_many(request, principal)
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
    portfolio: Annotated[list[Portfolio] | None, Query()] = None,
    include_closed: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The page: summary, a page of heat maps (`page`, 10 initiatives each), workload, KPIs
    and findings, each bounded (app.dashboard.views). Reading the whole portfolio, it counts
    as an expensive report: one key renders at most `reports_per_key` at once (else 429)."""
    secret = request.cookies.get(COOKIE)
    principal = _principal(request, secret) if secret else None
    if isinstance(principal, DomainError):
        return _too_many(request, principal)
    if principal is None:
        response = _redirect(request, "/dashboard/login")
        if secret:
            response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
        return response
    filters = Filters(
        portfolios=tuple(sorted(set(portfolio or ()))), include_closed=include_closed, page=page
    )
    reports = get_report_limiter(request)
    try:
        reports.acquire(principal.name)
    except TooManyReports as busy:
        return _too_many(request, busy)
    try:
        built = build_dashboard(session, filters)
    finally:
        reports.release(principal.name)
    acting = keys_service.acts_for_key(session, principal.name)
    return _page(
        request, "dashboard.html", {"d": built, "principal": principal, "acts_for": acting}
    )
