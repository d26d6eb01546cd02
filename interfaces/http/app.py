"""The application factory: builds one container per app, wires the router modules, installs
the problem handlers and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from infrastructure.container import Container
from infrastructure.settings import Settings
from interfaces.http import catalog, health, identity
from interfaces.http.middleware import BodyLimitMiddleware, RequestIdMiddleware
from interfaces.http.problems import install_problem_handlers

API_PREFIX = "/api/v1"
# Every module with ``Provide[...]`` markers; a test calls each route so a missed one fails CI.
WIRED_MODULES = [health, identity, catalog, "interfaces.http.auth"]


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or Settings()
    container = container or Container(settings=settings)
    container.wire(modules=WIRED_MODULES)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await container.core.engine().dispose()

    app = FastAPI(
        title="Bazaar",
        version="0.1.0",
        description="Users, catalog, ledger, orders, blog and teams behind one REST API.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.settings = settings
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(identity.router, prefix=API_PREFIX)
    app.include_router(catalog.router, prefix=API_PREFIX)

    # Outermost last: request id wraps everything so even a 413 carries it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestIdMiddleware)
    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (``bazaar serve``), reading settings from the env."""
    return create_app(Settings())
