"""Swagger UI at /docs and ReDoc at /redoc, served entirely from this server.

Their scripts and styles come from the `fastapi-offline` package (Swagger UI's and ReDoc's
own distribution files, shipped on PyPI), so the pages work on a machine without internet
access and load no code from a CDN. The pages carry no inline script: a Content-Security-
Policy allows scripts from this server only. Swagger UI keeps the key pasted into Authorize
in the tab's memory, never in the browser's storage.
"""

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
ASSETS = Path(str(files("fastapi_offline").joinpath("static")))
INIT_SCRIPT = "/static/docs/swagger-init.js"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # Swagger UI and ReDoc set style attributes and ReDoc injects <style> elements.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # The page holds no secret, but a key typed into it should not linger in a cache.
    "Cache-Control": "no-store",
}


def _swagger_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - Swagger UI</title>
<link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{INIT_SCRIPT}"></script>
</body>
</html>
"""


def _redoc_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - ReDoc</title>
<link rel="icon" href="/static/favicon.svg">
</head>
<body>
<redoc spec-url="{escape(openapi_url)}"></redoc>
<script src="{ASSETS_URL}/redoc.standalone.js"></script>
</body>
</html>
"""


# Module-level, so that every app shares these two functions: FastAPI caches what it learns
# of each endpoint function, and a function made per app would keep that app alive.
_router = APIRouter(include_in_schema=False)


@_router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    return HTMLResponse(_swagger_page(app.title, _openapi_url(app)), headers=HEADERS)


@_router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    return HTMLResponse(_redoc_page(app.title, _openapi_url(app)), headers=HEADERS)


def _openapi_url(app: FastAPI) -> str:
    return app.openapi_url or "/openapi.json"


def install(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets to `app` (created with docs_url=None and
    redoc_url=None, so that FastAPI's CDN pages are not there)."""
    app.include_router(_router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
