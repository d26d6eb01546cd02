"""The composition root: one dependency-injector container per application instance.

Adapters and use cases are singletons: they hold no per-request state (a use case opens its own
unit of work per call), so a request costs no object construction here. Each bounded context
has its own sub-container (``infrastructure/containers/<context>.py``) with the same name as its
modules in every layer; a new context adds one line below.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from infrastructure.containers.blog import Blog
from infrastructure.containers.catalog import Catalog
from infrastructure.containers.core import Core
from infrastructure.containers.identity import Identity
from infrastructure.containers.ledger import Ledger
from infrastructure.containers.ordering import Ordering
from infrastructure.containers.teams import Teams
from infrastructure.settings import Settings


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    identity = providers.Container(Identity, core=core)
    catalog = providers.Container(Catalog, core=core, identity=identity)
    ledger = providers.Container(Ledger, core=core)
    teams = providers.Container(Teams, core=core)
    ordering = providers.Container(Ordering, core=core)
    blog = providers.Container(Blog, core=core, identity=identity)
