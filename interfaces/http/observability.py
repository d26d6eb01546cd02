"""The request log line and HTTP metrics (written by ``interfaces.http.edge``) and the
``/metrics`` endpoint."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import fastapi.routing
from fastapi import APIRouter, Request, Response
from starlette.routing import Mount
from starlette.types import Scope

from infrastructure.observability import metrics
from infrastructure.observability.logs import EventLog, get_logger

log = get_logger("bazaar.http")
request_log = EventLog("bazaar.http")  # the line of every answered request: the fast path

POOL_GAUGE_SECONDS = 1.0
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


class RequestLog:
    """Writes the request line and the HTTP metrics of one finished request (``EdgeMiddleware``)."""

    def __init__(self, pool: Callable[[], Any] | None = None) -> None:
        self.pool = pool
        self._paths: dict[int, str] | None = None
        # The labelled series of each (method, route, status): few, and looked up once each.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._pool_observed_at = 0.0

    def _template(self, scope: Scope) -> str:
        if self._paths is None:
            self._paths = _full_paths(scope["app"]) if "app" in scope else {}
        return route_template(scope, self._paths)

    def record(
        self, scope: Scope, status: int, seconds: float, statements: int, error: Exception | None
    ) -> None:
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        route = self._template(scope)
        series = self._series.get((method, route, status))
        if series is None:
            labels = (method, route, str(status))
            series = (metrics.HTTP_REQUESTS.labels(*labels), metrics.HTTP_DURATION.labels(*labels))
            self._series[(method, route, status)] = series
        series[0].inc()
        series[1].observe(seconds)
        now = time.monotonic()
        if self.pool is not None and now - self._pool_observed_at >= POOL_GAUGE_SECONDS:
            self._pool_observed_at = now  # the gauges move slowly: once a second is enough
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
            request_log.info("request", **fields)


@router.get("/metrics", name="metrics-read", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text exposition; summed over all workers in multiprocess mode."""
    metrics.observe_pool(request.app.state.container.core.engine().pool)
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
