"""The application factory: builds one container per app, wires the router modules, installs
the problem handlers and middleware."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from infrastructure.container import Container
from infrastructure.observability import metrics
from infrastructure.observability.logs import configure_logging, get_logger
from infrastructure.settings import Settings
from interfaces.http.api import API_PREFIX, TOKEN_URL, operation_id
from interfaces.http.docs import install_docs
from interfaces.http.edge import EdgeMiddleware
from interfaces.http.problems import declare_problem_responses, install_problem_handlers
from interfaces.http.query import single_valued_query
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
        await container.core.dispose()
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
        # No redirect from "/items/" to "/items": its Location would be built from the client's
        # Host header. A path with a trailing slash is a 404 like any other unknown path.
        redirect_slashes=False,
        dependencies=[Depends(single_valued_query)],  # ?q=a&q=b is a 422, not the last value
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

    # CORS (when configured) runs inside the edge, so its answers carry the request id, the
    # security headers and a log line like any other.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        EdgeMiddleware,
        max_bytes=settings.max_body_bytes,
        no_store_paths=(TOKEN_URL,),
        pool=lambda: container.core.engine().pool,
    )
    return app


def _declare_problems_in_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problem_responses(_integer_bounds(generate()), API_PREFIX)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_NUMERIC_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})


def _integer_bounds(node: Any) -> Any:
    """FastAPI passes the document through its own models, whose numeric keywords are floats:
    ``minimum: 1`` comes out as ``1.0`` and an id's bound ``exclusiveMaximum: 2**63`` as
    ``9.223372036854776e+18``, which a generator reading JSON numbers exactly takes for 2**63
    plus change. A whole float goes back to the integer it was (exact: every bound Bazaar
    declares is exact as a double)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _NUMERIC_KEYWORDS and isinstance(value, float) and value.is_integer():
                node[key] = int(value)
            else:
                _integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _integer_bounds(value)
    return node


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
