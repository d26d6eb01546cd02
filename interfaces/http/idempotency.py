"""``Idempotency-Key`` at the HTTP edge: the header, the request's fingerprint, and answering an
``Outcome`` (the stored response, byte for byte, and ``Idempotent-Replayed: true`` on a replay)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request, Response
from pydantic import BaseModel

from application.common import Actor
from application.idempotency import KEY_MAX, Idempotency, IdempotentRequest, Outcome, StoredResponse
from domain.errors import InvalidInput

T = TypeVar("T")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=KEY_MAX,
        description="Retry safely: the same key and body replay the first answer (kept 24 hours)",
    ),
]


async def idempotency(
    request: Request, actor: Actor, key: str | None, model: type[BaseModel], status: int
) -> Idempotency[Any]:
    """How the route answers (``model`` at ``status``) and, with a key, what identifies the
    request: method, path and the body as JSON with sorted keys (so whitespace and key order
    do not make a retry a different request)."""

    def present(view: Any) -> StoredResponse:
        return StoredResponse(status, model.model_validate(view).model_dump_json())

    if not key:
        if request.headers.get("idempotency-key") is not None:  # sent empty: not "no key"
            raise InvalidInput(f"Idempotency-Key must be 1-{KEY_MAX} characters", "Idempotency-Key")
        return Idempotency(present)
    body = await request.body()
    canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    text = f"{request.method} {request.url.path}\n{canonical}"
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    return Idempotency(present, IdempotentRequest(actor.user_id, key, fingerprint))


def answer(outcome: Outcome, headers: Callable[[], dict[str, str]] | None = None) -> Response:
    extra = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(
        content=outcome.response.body,
        status_code=outcome.response.status,
        media_type="application/json",
        headers={**(headers() if headers else {}), **extra},
    )
