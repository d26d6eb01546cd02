"""The ``backend`` fixture: every context's repository and query contract tests run the same
assertions against the in-memory fakes, SQLite, PostgreSQL and MariaDB, so a fake cannot drift
from the SQL adapters. Each backend is the real container, on fakes or on a database; a new context's
contract tests use it as they are (its ports come from the same container)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.blog.ports import PostQueries
from application.catalog.ports import ItemQueries
from application.identity.ports import UserQueries
from application.ledger.ports import LedgerQueries
from application.ordering.ports import OrderQueries
from application.teams.ports import TeamQueries
from domain.identity import User
from domain.ordering import Order
from infrastructure.container import Container
from tests.conftest import build_container, empty_tables
from tests.fakes import FakeClock, FakeDatabase
from tests.fakes.container import Fakes

# A stand-in for a table of another context that refers to a row with ON DELETE RESTRICT (items
# are referred to by real order lines: ``refer_to`` makes an order of the item).
REFERRERS = {"users": "stand in referrers"}


@dataclass
class Backend:
    name: str
    container: Container
    clock: FakeClock
    engine: AsyncEngine | None = None
    fake: FakeDatabase | None = None

    @property
    def uow(self) -> Any:
        """The unit-of-work factory (``async with backend.uow() as uow``)."""
        return self.container.core.uow()

    @property
    def users(self) -> UserQueries:
        return self.container.identity.queries()  # type: ignore[no-any-return]

    @property
    def items(self) -> ItemQueries:
        return self.container.catalog.queries()  # type: ignore[no-any-return]

    @property
    def ledger(self) -> LedgerQueries:
        return self.container.ledger.queries()  # type: ignore[no-any-return]

    @property
    def teams(self) -> TeamQueries:
        return self.container.teams.queries()  # type: ignore[no-any-return]

    @property
    def orders(self) -> OrderQueries:
        return self.container.ordering.queries()  # type: ignore[no-any-return]

    @property
    def posts(self) -> PostQueries:
        return self.container.blog.queries()  # type: ignore[no-any-return]

    async def clear(self) -> None:
        """Empty every table (between the examples of a property test)."""
        if self.fake is not None:
            self.fake.reset()
        else:
            assert self.engine is not None
            await empty_tables(self.engine)

    async def user(self, name: str, **flags: Any) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            user = await uow.users.add(
                User(
                    email=f"{name.lower()}@x.io",
                    username=name,
                    password_hash="h",
                    created_at=now,
                    updated_at=now,
                    **flags,
                )
            )
            await uow.commit()
        assert user.id is not None
        return user.id

    async def refer_to(self, table: str, row_id: int) -> None:
        """Make another context refer to ``table`` row ``row_id`` with ON DELETE RESTRICT: an
        item, by an order line of a new buyer's order; a user, by a stand-in table."""
        if table == "items":
            await self.order_of(row_id)
            return
        if self.fake is not None:
            self.fake.state.references[(table, row_id)] = REFERRERS[table]
            return
        assert self.engine is not None
        referrer = REFERRERS[table].replace(" ", "_")
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {referrer} (ref_id bigint NOT NULL, "
                    f"CONSTRAINT fk_{referrer}_ref_id_{table} FOREIGN KEY (ref_id) "
                    f"REFERENCES {table}(id) ON DELETE RESTRICT)"
                )
            )
            await conn.execute(text(f"INSERT INTO {referrer} VALUES (:id)"), {"id": row_id})

    async def order_of(self, item_id: int, quantity: int = 1, buyer: int | None = None) -> Order:
        """A pending order of one line: ``quantity`` of the item, by ``buyer`` (a new user)."""
        buyer_id = buyer if buyer is not None else await self.user(f"buyer{item_id}x{quantity}")
        async with self.uow() as uow:
            order = await uow.orders.add(Order.open(buyer_id, self.clock.now()))
            item = await uow.items.get(item_id)
            line = await uow.orders.add_line(order.id, order.line_for(item_id, item, quantity))
            order.add(line)
            await uow.orders.save(order)
            await uow.commit()
        return order


def _sql_backend(name: str, engine: AsyncEngine) -> Backend:
    return Backend(name, build_container(engine), FakeClock(), engine=engine)


def _fake_backend() -> Backend:
    fakes = Fakes()
    return Backend("fake", fakes.container, fakes.clock, fake=fakes.db)


ENGINE_FIXTURES = {"sqlite": "sqlite_db", "postgres": "pg_db", "mariadb": "mariadb_db"}


@pytest.fixture(params=["fake", "sqlite", "postgres", "mariadb"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Sync on purpose: it pulls the async engine fixtures in with ``getfixturevalue``. Tables a
    test creates (``refer_to``) are dropped by the next test's ``empty_tables``."""
    if request.param == "fake":
        return _fake_backend()
    return _sql_backend(request.param, request.getfixturevalue(ENGINE_FIXTURES[request.param]))
