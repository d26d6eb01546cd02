"""The one list of routers: ``create_app`` includes each one and wires the container to each
module from this list, so a new context adds one line here (and nothing in ``app.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from fastapi import APIRouter

from interfaces.http import auth, blog, catalog, health, identity, ledger, observability, ordering, teams
from interfaces.http.api import API_PREFIX


@dataclass(frozen=True, slots=True)
class Routes:
    module: ModuleType  # defines ``router``; may use ``Provide[...]`` markers
    prefix: str = API_PREFIX

    @property
    def router(self) -> APIRouter:
        router: APIRouter = self.module.router
        return router


ROUTES: tuple[Routes, ...] = (
    Routes(health, prefix=""),
    Routes(observability, prefix=""),
    Routes(identity),
    Routes(catalog),
    Routes(ledger),
    Routes(ordering),
    Routes(teams),
    Routes(blog),
)

# Modules with ``Provide[...]`` markers that are not routers (the bearer-token dependency).
WIRED_MODULES: tuple[ModuleType, ...] = (*(r.module for r in ROUTES), auth)
