"""``/docs`` (Swagger UI) and ``/redoc`` served with no internet access.

FastAPI's default pages load their JavaScript, CSS and favicon from a CDN. These load them from
the service itself: the upstream builds of Swagger UI (Apache-2.0) and ReDoc (MIT) ship in the
maintained ``fastapi-offline`` package (MIT), mounted here under ``/static/docs``. ReDoc's Google
Fonts and Swagger UI's validator badge (both outside calls) are switched off.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_offline") / "static"))
STATIC_URL = "/static/docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def install_docs(app: FastAPI) -> None:
    """Call with an app built with ``docs_url=None, redoc_url=None``."""
    app.mount(STATIC_URL, StaticFiles(directory=ASSETS), name="docs-static")

    def url(request: Request, path: str) -> str:
        return f"{request.scope.get('root_path', '')}{path}"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=url(request, app.openapi_url or "/openapi.json"),
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=url(request, OAUTH2_REDIRECT_URL),
            swagger_js_url=url(request, f"{STATIC_URL}/swagger-ui-bundle.js"),
            swagger_css_url=url(request, f"{STATIC_URL}/swagger-ui.css"),
            swagger_favicon_url=url(request, f"{STATIC_URL}/favicon.png"),
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=url(request, app.openapi_url or "/openapi.json"),
            title=f"{app.title} - ReDoc",
            redoc_js_url=url(request, f"{STATIC_URL}/redoc.standalone.js"),
            redoc_favicon_url=url(request, f"{STATIC_URL}/favicon.png"),
            with_google_fonts=False,
        )
