"""In-memory fakes of every port, one module per context, for unit tests that run in
milliseconds; ``conformance.py`` has mypy prove they match the ports."""

from tests.fakes.catalog import (
    FakeItemQueries,
    FakeItemRepository,
    FakeTagRepository,
    item_matches,
    item_view,
)
from tests.fakes.identity import FakeLoginThrottleRepository, FakeUserQueries, FakeUserRepository
from tests.fakes.paging import fake_page
from tests.fakes.security import FakeClock, FakeHasher, FakeTokens
from tests.fakes.state import FakeDatabase, FakeState, Statement
from tests.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory

__all__ = [
    "FakeClock",
    "FakeDatabase",
    "FakeHasher",
    "FakeItemQueries",
    "FakeItemRepository",
    "FakeLoginThrottleRepository",
    "FakeState",
    "FakeTagRepository",
    "FakeTokens",
    "FakeUnitOfWork",
    "FakeUnitOfWorkFactory",
    "FakeUserQueries",
    "FakeUserRepository",
    "Statement",
    "fake_page",
    "item_matches",
    "item_view",
]
