"""RFC 9457 problem+json for every error path, mapped in one place.

Domain errors map by class (the nearest class in the MRO wins, so a new subclass inherits its
parent's problem type until it gets its own row); the application's own errors (a lost race,
an unreachable database, a value the store refused: classified by the persistence adapter) the
same way; HTTP errors by status; request validation to 422 (400 for malformed JSON); anything
unexpected to a bare 500 with no stack trace or SQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path  # what the router matches routes against
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.types import Scope

from application.errors import ApplicationError, DatabaseUnavailable, TransientConflict, UnstorableValue
from domain import errors
from interfaces.http.schemas.common import MAX_LISTED_ERRORS

log = logging.getLogger("bazaar.errors")

PROBLEM_JSON = "application/problem+json"

# domain error class → (status, slug)
DOMAIN_PROBLEMS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.BadRequest: (400, "bad-request"),
    errors.Unauthorized: (401, "unauthorized"),
    errors.Forbidden: (403, "forbidden"),
    errors.NotFound: (404, "not-found"),
    errors.AlreadyExists: (409, "already-exists"),
    errors.Conflict: (409, "conflict"),
    errors.InsufficientFunds: (409, "insufficient-funds"),
    errors.InvalidTransition: (409, "invalid-transition"),
    errors.IdempotencyKeyInUse: (409, "idempotency-key-in-use"),
    errors.IdempotencyKeyReused: (422, "idempotency-key-reused"),
    errors.PreconditionFailed: (412, "precondition-failed"),
    errors.InvalidInput: (422, "validation-error"),
    errors.RateLimited: (429, "rate-limited"),
}

# application error class → (status, slug)
APPLICATION_PROBLEMS: dict[type[ApplicationError], tuple[int, str]] = {
    TransientConflict: (409, "conflict"),
    DatabaseUnavailable: (503, "service-unavailable"),
    UnstorableValue: (422, "validation-error"),
}

STATUS_SLUGS: dict[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"/problems/{slug or STATUS_SLUGS.get(status, 'error')}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        all_headers.setdefault("X-Request-ID", request_id)
    return JSONResponse(body, status_code=status, headers=all_headers, media_type=PROBLEM_JSON)


def _validation_errors(raw: Sequence[Any]) -> dict[str, Any]:
    """``errors`` (the first ``MAX_LISTED_ERRORS``) and ``error_count`` (all of them): a body with
    60,000 unknown keys answers 50 errors and the count, not 60,000 errors (megabytes)."""
    listed = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in raw[:MAX_LISTED_ERRORS]
    ]
    return {"errors": listed, "error_count": len(raw)}


def _domain_extra(exc: errors.DomainError, loc_prefix: Sequence[str | int] = ("body",)) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.AlreadyExists):
        extra["field"] = exc.field
    if isinstance(exc, errors.InvalidInput):
        loc = [*loc_prefix, exc.field] if exc.field else list(loc_prefix)
        raw = [{"loc": loc, "msg": exc.detail, "type": "value_error"}]
        # A rule that found several errors lists each, located under the same prefix.
        listed = getattr(exc, "validation_errors", None)
        if listed:
            raw = [{**e, "loc": [*loc_prefix, *e["loc"]]} for e in listed]
        extra.update(_validation_errors(raw))
    extra.update(getattr(exc, "problem_extra", {}))
    return extra


def _domain_status(exc: errors.DomainError) -> tuple[int, str]:
    return next(DOMAIN_PROBLEMS[c] for c in type(exc).__mro__ if c in DOMAIN_PROBLEMS)


def problem_body(
    exc: errors.DomainError, instance: str, loc_prefix: Sequence[str | int] = ("body",)
) -> dict[str, Any]:
    """The problem object of a domain error, for embedding in a larger response (one failed
    element of a batch); ``loc_prefix`` points validation errors at the element."""
    status, slug = _domain_status(exc)
    return {
        "type": f"/problems/{slug}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": exc.detail,
        "instance": instance,
        **_domain_extra(exc, loc_prefix),
    }


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    status, slug = _domain_status(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(request, status, exc.detail, slug=slug, headers=headers, **_domain_extra(exc))


# The order methods are listed in ``Allow``.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route serves at ``path`` (HEAD wherever GET is: the HEAD middleware
    answers it), for the ``Allow`` header of a 405. The router stops at the first route whose
    path matches, so the 405 it raises names only that route's methods."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        regex = getattr(context, "path_regex", None)
        if regex is None or not regex.match(path):
            continue
        if isinstance(route, Mount):  # the static docs assets
            methods.update(("GET", "HEAD"))
        else:
            methods.update(getattr(context, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99, m))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No such resource"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request.app, get_route_path(request.scope))
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return problem(request, exc.status_code, detail, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(request, 400, "The request body is not valid JSON", **_validation_errors(raw))
    return problem(request, 422, "The request is not valid", **_validation_errors(raw))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Reached only for errors raised outside the request log middleware, which answers (and
    # logs) everything raised inside it.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, "An unexpected error occurred")


def internal_error(scope: Scope) -> JSONResponse:
    """The 500 problem: no stack trace, no SQL."""
    return problem(Request(scope), 500, "An unexpected error occurred")


async def _application_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApplicationError)
    status, slug = next(APPLICATION_PROBLEMS[c] for c in type(exc).__mro__ if c in APPLICATION_PROBLEMS)
    cause = exc.__cause__ or exc
    first_line = (str(cause).splitlines() or [""])[0][:200]
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, DatabaseUnavailable):
        request.state.error = f"{type(cause).__name__}: {first_line}"  # for the request log line
        headers["Retry-After"] = str(getattr(request.app.state.settings, "retry_after_seconds", 5))
    elif isinstance(exc, UnstorableValue):
        log.warning("database refused a value from %s %s: %s", request.method, request.url.path, first_line)
        extra.update(_validation_errors([]))
    return problem(request, status, exc.detail, slug=slug, headers=headers, **extra)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApplicationError, _application_error)
    app.add_exception_handler(Exception, _unexpected)


def _problem_response(status: int) -> dict[str, Any]:
    name = "ValidationProblemOut" if status in (400, 422) else "ProblemOut"
    return {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def _ensure_problem_components(openapi: dict[str, Any]) -> None:
    from pydantic.json_schema import models_json_schema

    from interfaces.http.schemas.common import ProblemOut, ValidationProblemOut

    _, defs = models_json_schema(
        [(ProblemOut, "serialization"), (ValidationProblemOut, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in defs.get("$defs", {}).items():
        schemas.setdefault(name, definition)


def declare_problem_responses(openapi: dict[str, Any], api_prefix: str) -> dict[str, Any]:
    """Completes the error responses of every operation in an OpenAPI document, so that it
    documents each status the service can answer and contract tests can hold it to that:

    * 422 ``validation-error`` wherever there are parameters or a body; 400 (malformed JSON) and
      413 (body over the limit) wherever there is a body;
    * 401 and 403 (inactive account) wherever a bearer token is required;
    * 503 ``service-unavailable`` on every API operation (the database may be down);
    * problem bodies are ``application/problem+json`` only (FastAPI's default 422 with
      ``HTTPValidationError`` is replaced, since it is never what the service answers).
    """
    _ensure_problem_components(openapi)
    for path, operations in openapi.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses: set[int] = set()
            if operation.get("parameters") or "requestBody" in operation:
                statuses.add(422)
            if "requestBody" in operation:
                statuses.update((400, 413))
            if operation.get("security"):
                statuses.update((401, 403))
            if path.startswith(api_prefix):
                statuses.add(503)
            responses: dict[str, Any] = operation["responses"]
            for status in statuses:
                responses.setdefault(str(status), _problem_response(status))
            for code, response in responses.items():
                content = response.get("content", {})
                if not code.isdigit() or int(code) < 400 or not content:
                    continue
                if PROBLEM_JSON in content:
                    content.pop("application/json", None)
                elif "HTTPValidationError" in str(content):
                    responses[code] = _problem_response(int(code))
            operation["responses"] = dict(sorted(responses.items()))
    schemas = openapi.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'/{unused}"' not in json.dumps(openapi.get("paths", {})):
            schemas.pop(unused)
    return openapi


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring each problem status an operation can answer."""
    from interfaces.http.schemas.common import ProblemOut, ValidationProblemOut

    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = ValidationProblemOut if status in (400, 422) else ProblemOut
        out[status] = {
            "model": model,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    return out
