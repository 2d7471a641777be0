"""The ASGI application: `app.main:app` for uvicorn or gunicorn."""

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from app import __doc__ as package_doc
from app import docs, openapi
from app.agreements.router import router as agreements_router
from app.audit.router import router as audit_router
from app.auth.middleware import AuthenticationMiddleware
from app.auth.resolver import KeyResolver
from app.capabilities.router import router as capabilities_router
from app.components.router import router as components_router
from app.core import problems
from app.core.auth_limits import AuthLimiter, ClientAddresses
from app.core.body_guard import BodyGuard
from app.core.config import Settings, get_settings
from app.core.format_paths import FormatSuffix
from app.core.head import HeadAsGet
from app.core.http import API_PREFIX
from app.core.json_guard import RejectDuplicateKeys
from app.core.report_limits import ReportLimiter
from app.dashboard.router import body_limits as dashboard_body_limits
from app.dashboard.router import router as dashboard_router
from app.db import errors as db_errors
from app.db.engine import Database
from app.governance.router import router as governance_router
from app.health import router as health_router
from app.idempotency.middleware import IdempotencyMiddleware
from app.imports.router import router as imports_router
from app.initiatives.router import router as initiatives_router
from app.keys import service as keys_service
from app.keys.router import router as keys_router
from app.kpis.router import router as kpis_router
from app.observability import metrics
from app.observability.logging import configure_if_unconfigured
from app.observability.middleware import ObservabilityMiddleware
from app.raci.router import router as raci_router
from app.renames.router import router as renames_router
from app.reports.router import router as reports_router
from app.reviews.checks import check_periodically
from app.reviews.router import router as reviews_router
from app.roles.router import router as roles_router
from app.rules.router import router as rules_router
from app.settings.router import router as settings_router
from app.waivers.router import router as waivers_router
from app.webhooks.delivery import start_delivery_worker
from app.webhooks.router import router as webhooks_router
from app.wiring import open_database, wire

log = logging.getLogger("raci")

DESCRIPTION = """
Who is **Responsible, Accountable, Consulted and Informed** for each part of each digital
initiative, and what falls between the chairs.

A portfolio holds **initiatives** made of **components**; for every component each executive
**role** may hold one RACI **cell**. **Capabilities** recognise the same kind of work across
initiatives and name the role agreed to own it. **KPIs**, owned by one or more roles, receive
**measurements**. The **reports** tell what is unowned, what overlaps, where one side works
alone and which KPIs are off track. A joint KPI that falls off track opens a governance **review**.

Every call needs `Authorization: Bearer <key>`: press **Authorize** and paste a key
(`raci keys create NAME --scope write` prints one). Without one, or with a wrong one, the
answer is a 401 (a 429 with `Retry-After` when an address keeps trying) before the request's
body is even read.

Every `GET` also answers `HEAD`. `PUT` creates or replaces; `If-Match` (strong comparison)
and `If-None-Match: *` (create only) make writes conditional. A JSON body whose objects
repeat a key is a 400; `true` or `false` for a number is a 422. When the database cannot
take a request the answer is a 503 (or a 507 for a full disk) with `Retry-After`, and
nothing was changed.
"""

TAGS = [
    {"name": "roles", "description": "Executives who hold RACI cells (CMO, CIO, CDO, CEO, ...)."},
    {"name": "capabilities", "description": "Shared vocabulary of work, with the agreed owner."},
    {
        "name": "initiatives",
        "description": "Chatbots, IoT programmes, campaigns...; nested components on PUT.",
    },
    {"name": "components", "description": "Parts of an initiative."},
    {"name": "raci", "description": "One role's letter for one component, and the matrix."},
    {"name": "kpis", "description": "Joint KPIs, their measurements and status."},
    {
        "name": "reports",
        "description": "Findings (gaps, overlaps, silos, drift, KPIs) and workload.",
    },
    {
        "name": "agreements",
        "description": "Who agreed to what: keys acting for a role agree to or dispute its cells.",
    },
    {
        "name": "governance models",
        "description": "Named sets of agreed owners (CDO beside or above...); one is active.",
    },
    {"name": "rules", "description": "Switch findings rules on or off, change their severity."},
    {
        "name": "settings",
        "description": "Governance settings: agreement grace, re-confirmation, review due days.",
    },
    {
        "name": "waivers",
        "description": "Findings accepted knowingly, with the rationale: left out of the reports.",
    },
    {
        "name": "reviews",
        "description": "Governance reviews, opened when a joint KPI falls off track.",
    },
    {"name": "imports", "description": "Whole-portfolio pushes from PMO tools, all or nothing."},
    {"name": "audit", "description": "Who changed what, when: a change feed."},
    {"name": "keys", "description": "API keys (admin scope)."},
    {
        "name": "webhooks",
        "description": "Signed event deliveries routed by RACI letter (admin scope).",
    },
    {"name": "health", "description": "Probes for orchestrators."},
]


# Every route under API_PREFIX takes a key; the key check also refuses unknown query parameters.
API_ROUTERS: tuple[APIRouter, ...] = (
    roles_router,
    capabilities_router,
    initiatives_router,
    components_router,
    raci_router,
    agreements_router,
    kpis_router,
    reports_router,
    rules_router,
    settings_router,
    waivers_router,
    governance_router,
    reviews_router,
    renames_router,
    imports_router,
    audit_router,
    keys_router,
    webhooks_router,
)


def _register_bootstrap_key(database: Database, settings: Settings) -> None:
    if settings.bootstrap_admin_key is None:
        return
    from sqlalchemy.exc import IntegrityError

    try:
        with database.transaction() as session:
            registered = keys_service.ensure_bootstrap_key(
                session, settings.bootstrap_admin_key.get_secret_value()
            )
        if not registered:
            log.warning(
                "RACI_BOOTSTRAP_ADMIN_KEY names a secret that was revoked: not registered "
                "again; set a new secret to have a bootstrap key"
            )
    except IntegrityError:
        # Another worker registered it at the same moment.
        log.info("bootstrap key registered by another worker")


def _protected_paths(settings: Settings) -> Callable[[str], bool]:
    """The paths that need an API key: the API, and /metrics unless it is made public."""
    api = API_PREFIX + "/"

    def protects(path: str) -> bool:
        return path.startswith(api) or (path == metrics.PATH and not settings.metrics_public)

    return protects


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The application. Tests pass their own settings and database."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_if_unconfigured(settings.log_level, settings.log_json)
        _register_bootstrap_key(app.state.database, settings)
        checker = (
            asyncio.create_task(
                check_periodically(app.state.database, settings.review_check_seconds)
            )
            if settings.review_check_seconds > 0
            else None
        )
        webhooks = start_delivery_worker(app.state.database, settings)
        yield
        if webhooks is not None:
            webhooks.stop()
        if checker is not None:
            checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checker
        if database is None:
            app.state.database.dispose()

    app = FastAPI(
        title="raci-tracker",
        version="0.1.0",
        summary=package_doc,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=openapi.operation_id,
        lifespan=lifespan,
        # Swagger UI and ReDoc come from this server (app.docs), not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = wire(database) if database is not None else open_database(settings)
    app.state.keys = KeyResolver(app.state.database)
    problems.install(app)
    db_errors.install(app)
    app.state.reports = ReportLimiter(settings.reports_per_key)
    # Innermost first (Starlette wraps each middleware added around the ones before it).
    # The idempotency records read a body only once the key has resolved and the body guard
    # has let it through.
    app.add_middleware(
        IdempotencyMiddleware,
        database=app.state.database,
        ttl_hours=settings.idempotency_ttl_hours,
        path_prefix=API_PREFIX + "/",
    )
    app.add_middleware(RejectDuplicateKeys, path_prefix=API_PREFIX + "/")
    app.add_middleware(
        BodyGuard,
        max_body_bytes=settings.max_body_bytes,
        path_limits=dashboard_body_limits(),
        other_media=re.compile(API_PREFIX + r"/initiatives/[^/]+/raci/import$"),
    )
    # Before any body is read, parsed or stored: no key, an unknown key, or too many of
    # either from one address, and the answer is a 401 or 429 costing no more than a lookup.
    app.state.auth_failures = AuthLimiter(
        settings.auth_failures_per_minute,
        settings.anonymous_requests_per_minute,
        addresses=ClientAddresses(settings.proxies),
    )
    app.add_middleware(
        AuthenticationMiddleware,
        resolver=app.state.keys,
        limiter=app.state.auth_failures,
        protects=_protected_paths(settings),
    )
    app.add_middleware(HeadAsGet)
    # `/reports/findings.csv` is `/reports/findings?format=csv`, before the key check and
    # routing see it (after the access log and metrics, which name the path as asked).
    app.add_middleware(FormatSuffix, document=lambda: app.openapi())
    # Outermost: every answer gets X-Request-ID, is counted, timed and logged.
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(health_router)
    app.include_router(
        metrics.router(
            metrics.FindingsCollector(
                app.state.database, settings.metrics_findings_max_age_seconds
            ),
            public=settings.metrics_public,
        )
    )
    # Each with the prefix given here: FastAPI then builds a route once, when first routed,
    # instead of again for every router it passes through.
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    # The read-only dashboard in the browser, and the CSS and images it loads (no CDN).
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    docs.install(app)

    app.openapi = lambda: openapi.build(app)  # type: ignore[method-assign]
    return app


app = create_app()
