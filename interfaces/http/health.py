"""Liveness and readiness probes, at the root outside ``/api/v1``."""

from __future__ import annotations

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from infrastructure.container import Container
from infrastructure.migrations import DatabaseHealth
from interfaces.http.di import Provide

router = APIRouter(prefix="/health", tags=["health"])


class HealthOut(BaseModel):
    status: str
    reason: str | None = None


@router.get("/live", name="health-live", response_model=HealthOut, response_model_exclude_none=True)
async def live() -> HealthOut:
    return HealthOut(status="ok")


@router.get("/ready", name="health-ready", response_model=HealthOut, responses={503: {"model": HealthOut}})
@inject
async def ready(health: DatabaseHealth = Depends(Provide[Container.core.health])) -> JSONResponse:
    reason = await health.problem()
    if reason is None:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
