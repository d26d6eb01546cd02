"""Request logging and HTTP metrics (pure ASGI middleware) and the ``/metrics`` endpoint.

One log line per request: request id, method, route template, path, status, duration, the
caller's user id when a token was accepted, and the number of SQL statements the request sent.
An exception no handler turned into a response is answered here with the 500 problem and logged
once, with its traceback, on that same line; it is not re-raised, so the server does not log it
a second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import fastapi.routing
from fastapi import APIRouter, Request, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.observability import metrics
from infrastructure.observability.logs import get_logger
from infrastructure.observability.sql import track_request
from interfaces.http.problems import internal_error

log = get_logger("bazaar.http")

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

router = APIRouter(tags=["operations"])


def _full_paths(app: Any) -> dict[int, str]:
    """``id`` of each route object → its full path template, prefixes of included routers
    included (FastAPI 0.16x keeps included routers nested, so ``route.path`` lacks them), without
    convertors (``{item_id}``, not ``{item_id:int}``), as the OpenAPI document writes it."""
    paths = {id(r.app): f"{r.path}/{{path}}" for r in app.routes if isinstance(r, Mount)}  # static files
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = app.routes if iterate is None else iterate(app.routes)
    for route in routes:
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(template, str):
            paths.setdefault(id(getattr(route, "original_route", route)), template)
    return paths


def route_template(scope: Scope, paths: dict[int, str]) -> str:
    """The matched route's path template (``/api/v1/users/{user_id}``), never the raw path,
    so metric labels stay few; unmatched requests share one fixed label."""
    route = scope.get("route")
    if route is None:  # a mount sets no route, only its app as the endpoint
        return paths.get(id(scope.get("endpoint")), metrics.UNMATCHED_ROUTE)
    path = paths.get(id(route), getattr(route, "path", None))
    return path if isinstance(path, str) and path else metrics.UNMATCHED_ROUTE


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, pool: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.pool = pool
        self._paths: dict[int, str] | None = None

    def _template(self, scope: Scope) -> str:
        if self._paths is None:
            self._paths = _full_paths(scope["app"]) if "app" in scope else {}
        return route_template(scope, self._paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        status = 499  # stays so only when the client went away before any answer (nginx's code)
        response_started = False
        error: Exception | None = None
        too_late = False  # the error came after the response had started: no problem body possible

        async def send_and_watch(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
            await send(message)

        with track_request() as stats:
            try:
                await self.app(scope, receive, send_and_watch)
            except Exception as exc:  # noqa: BLE001 - answered with the 500 problem and logged
                error, too_late = exc, response_started
                if not too_late:
                    await internal_error(scope)(scope, receive, send_and_watch)
            finally:
                self._record(scope, status, time.perf_counter() - started_at, stats.sql_statements, error)
        if error is not None and too_late:
            raise error  # let the server drop the connection

    def _record(
        self, scope: Scope, status: int, seconds: float, statements: int, error: Exception | None
    ) -> None:
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        route = self._template(scope)
        metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
        metrics.HTTP_DURATION.labels(method, route, str(status)).observe(seconds)
        if self.pool is not None:
            metrics.observe_pool(self.pool())
        state = scope.get("state", {})
        fields: dict[str, Any] = {
            "request_id": state.get("request_id"),
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": state.get("user_id"),
            "sql_statements": statements,
        }
        if error is not None:
            log.error("request", **fields, exc_info=error)
        elif status >= 500:
            log.warning("request", **fields, error=state.get("error"))
        else:
            log.info("request", **fields)


@router.get("/metrics", name="metrics-read", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text exposition; summed over all workers in multiprocess mode."""
    metrics.observe_pool(request.app.state.container.core.engine().pool)
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
