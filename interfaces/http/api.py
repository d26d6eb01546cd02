"""Names every router shares: the API prefix, and the operation id of a route.

Every API route is declared with ``name="<resource>-<action>"`` (``items-create``,
``users-read-me``); that name is its OpenAPI ``operationId`` (stable, readable in generated
clients) and what ``url_path_for`` builds a ``Location`` from.
"""

from __future__ import annotations

from fastapi.routing import APIRoute

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"


def operation_id(route: APIRoute) -> str:
    return route.name
