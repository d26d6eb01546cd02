"""The real container with every port overridden by its fake: unit tests get their use cases
from here, wired exactly as in production, so a use case's constructor changes in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dependency_injector import providers

from application.transactions import Transactions
from infrastructure.container import Container
from infrastructure.containers.blog import Blog
from infrastructure.containers.catalog import Catalog
from infrastructure.containers.identity import Identity
from infrastructure.containers.ledger import Ledger
from infrastructure.containers.ordering import Ordering
from infrastructure.containers.teams import Teams
from infrastructure.settings import Settings
from tests.fakes.blog import FakePostQueries
from tests.fakes.catalog import FakeItemQueries
from tests.fakes.identity import FakeUserQueries
from tests.fakes.ledger import FakeLedgerQueries
from tests.fakes.ordering import FakeOrderQueries
from tests.fakes.security import FakeClock, FakeHasher, FakeTokens
from tests.fakes.state import FakeDatabase
from tests.fakes.teams import FakeTeamQueries
from tests.fakes.uow import FakeUnitOfWorkFactory

UNIT_SECRET = "unit-test-secret-key-of-32-bytes-or-more"
# Read once: building settings costs more than the container, and unit tests build hundreds.
UNIT_SETTINGS = Settings(secret_key=UNIT_SECRET, database_url="sqlite+aiosqlite:///:memory:")


@dataclass
class Fakes:
    """A container on fakes, and the fakes themselves for arranging and asserting."""

    db: FakeDatabase = field(default_factory=FakeDatabase)
    clock: FakeClock = field(default_factory=FakeClock)
    hasher: FakeHasher = field(default_factory=FakeHasher)
    tokens: FakeTokens = field(default_factory=FakeTokens)
    container: Container = field(init=False)

    def __post_init__(self) -> None:
        container = Container(settings=UNIT_SETTINGS)
        core = container.core
        core.uow.override(providers.Object(FakeUnitOfWorkFactory(self.db)))
        core.clock.override(providers.Object(self.clock))
        # The real transaction helper, pausing on the fake clock between attempts.
        core.transactions.override(providers.Singleton(Transactions, core.uow, sleep=self.clock.sleep))
        core.hasher.override(providers.Object(self.hasher))
        core.tokens.override(providers.Object(self.tokens))
        fakes: dict[Any, object] = {
            container.identity: FakeUserQueries(self.db),
            container.catalog: FakeItemQueries(self.db),
            container.ledger: FakeLedgerQueries(self.db),
            container.teams: FakeTeamQueries(self.db),
            container.ordering: FakeOrderQueries(self.db),
            container.blog: FakePostQueries(self.db),
        }
        for context, queries in fakes.items():
            # One fake answers both the read path and the primary's (a write's own view): the
            # fakes have no replica.
            context.queries.override(providers.Object(queries))
            if hasattr(context, "primary_queries"):
                context.primary_queries.override(providers.Object(queries))
        self.container = container

    @property
    def identity(self) -> Identity:
        return self.container.identity  # type: ignore[return-value]

    @property
    def catalog(self) -> Catalog:
        return self.container.catalog  # type: ignore[return-value]

    @property
    def ledger(self) -> Ledger:
        return self.container.ledger  # type: ignore[return-value]

    @property
    def teams(self) -> Teams:
        return self.container.teams  # type: ignore[return-value]

    @property
    def ordering(self) -> Ordering:
        return self.container.ordering  # type: ignore[return-value]

    @property
    def blog(self) -> Blog:
        return self.container.blog  # type: ignore[return-value]
