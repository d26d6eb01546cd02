"""The application factory: builds one container per app, wires the router modules, installs
the problem handlers and middleware."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from infrastructure.container import Container
from infrastructure.observability import metrics
from infrastructure.observability.logs import configure_logging, get_logger
from infrastructure.settings import Settings
from interfaces.http.api import API_PREFIX, operation_id
from interfaces.http.docs import install_docs
from interfaces.http.middleware import BodyLimitMiddleware, RequestIdMiddleware, SecurityHeadersMiddleware
from interfaces.http.observability import RequestLogMiddleware
from interfaces.http.problems import declare_problem_responses, install_problem_handlers
from interfaces.http.routers import ROUTES, WIRED_MODULES

log = get_logger("bazaar.app")


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or Settings()
    container = container or Container(settings=settings)
    container.wire(modules=list(WIRED_MODULES))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn has let in-flight requests finish (graceful shutdown) before this runs.
        await container.core.engine().dispose()
        metrics.mark_process_dead(os.getpid())
        log.info("shutdown complete", engine="disposed")

    app = FastAPI(
        title="Bazaar",
        version="0.1.0",
        description="Users, catalog, ledger, orders, blog and teams behind one REST API.",
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry hook consults the global providers (and os.environ) on
        # every request, ~3-5% of a cheap read; Bazaar exports Prometheus metrics instead.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.container = container
    app.state.settings = settings
    install_problem_handlers(app)
    _declare_problems_in_openapi(app)
    install_docs(app)
    for routes in ROUTES:
        for route in routes.router.routes:
            if isinstance(route, APIRoute) and route.summary is None:  # "Create Item", as before ids
                route.summary = route.endpoint.__name__.replace("_", " ").title()
        app.include_router(routes.router, prefix=routes.prefix)

    # Outermost last: request id wraps everything so even a 413 carries it; security headers
    # and CORS wrap the request log, which answers unhandled errors with the 500 problem.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLogMiddleware, pool=lambda: container.core.engine().pool)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


def _declare_problems_in_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problem_responses(generate(), API_PREFIX)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (``bazaar serve``), reading settings from the env."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_renderer)
    app = create_app(settings)
    # Everything built so far (modules, routes, schemas, the container) lives as long as the
    # process: move it out of the collector's generations so collections stay short under load.
    gc.collect()
    gc.freeze()
    return app
