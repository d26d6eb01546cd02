"""Proof, for mypy, that the fakes implement the ports (as ``infrastructure/persistence/
conformance.py`` proves it for the SQL adapters): a fake that drifts from its port fails
``mypy``. A new context adds one line per fake."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.blog.ports import BlogUnitOfWork, PostQueries, PostRepository
    from application.catalog.ports import CatalogUnitOfWork, ItemQueries, ItemRepository, TagRepository
    from application.idempotency import IdempotencyRepository
    from application.identity.ports import (
        IdentityUnitOfWork,
        LoginThrottleRepository,
        UserQueries,
        UserRepository,
    )
    from application.ledger.ports import (
        AccountRepository,
        EntryRepository,
        LedgerQueries,
        LedgerUnitOfWork,
        TransferRepository,
    )
    from application.ordering.ports import OrderingUnitOfWork, OrderQueries, OrderRepository
    from application.ports import Clock, PasswordHasher, TokenService
    from application.teams.ports import (
        HeroRepository,
        MembershipRepository,
        TeamQueries,
        TeamRepository,
        TeamsUnitOfWork,
    )
    from tests.fakes import (
        FakeClock,
        FakeHasher,
        FakeItemQueries,
        FakeItemRepository,
        FakeLoginThrottleRepository,
        FakeTagRepository,
        FakeTokens,
        FakeUnitOfWork,
        FakeUserQueries,
        FakeUserRepository,
    )
    from tests.fakes.blog import FakePostQueries, FakePostRepository
    from tests.fakes.idempotency import FakeIdempotencyRepository
    from tests.fakes.ledger import (
        FakeAccountRepository,
        FakeEntryRepository,
        FakeLedgerQueries,
        FakeTransferRepository,
    )
    from tests.fakes.ordering import FakeOrderQueries, FakeOrderRepository
    from tests.fakes.teams import (
        FakeHeroRepository,
        FakeMembershipRepository,
        FakeTeamQueries,
        FakeTeamRepository,
    )


def _fakes_implement_ports(
    uow: FakeUnitOfWork,
    users: FakeUserRepository,
    login_throttle: FakeLoginThrottleRepository,
    user_queries: FakeUserQueries,
    items: FakeItemRepository,
    tags: FakeTagRepository,
    item_queries: FakeItemQueries,
    hasher: FakeHasher,
    tokens: FakeTokens,
    clock: FakeClock,
    accounts: FakeAccountRepository,
    entries: FakeEntryRepository,
    transfers: FakeTransferRepository,
    ledger_queries: FakeLedgerQueries,
    idempotency: FakeIdempotencyRepository,
    teams: FakeTeamRepository,
    heroes: FakeHeroRepository,
    memberships: FakeMembershipRepository,
    team_queries: FakeTeamQueries,
    orders: FakeOrderRepository,
    order_queries: FakeOrderQueries,
    posts: FakePostRepository,
    post_queries: FakePostQueries,
) -> None:
    _identity_uow: IdentityUnitOfWork = uow
    _catalog_uow: CatalogUnitOfWork = uow
    _users: UserRepository = users
    _login_throttle: LoginThrottleRepository = login_throttle
    _user_queries: UserQueries = user_queries
    _items: ItemRepository = items
    _tags: TagRepository = tags
    _item_queries: ItemQueries = item_queries
    _hasher: PasswordHasher = hasher
    _tokens: TokenService = tokens
    _clock: Clock = clock
    _ledger_uow: LedgerUnitOfWork = uow
    _accounts: AccountRepository = accounts
    _entries: EntryRepository = entries
    _transfers: TransferRepository = transfers
    _ledger_queries: LedgerQueries = ledger_queries
    _idempotency: IdempotencyRepository = idempotency
    _teams_uow: TeamsUnitOfWork = uow
    _teams: TeamRepository = teams
    _heroes: HeroRepository = heroes
    _memberships: MembershipRepository = memberships
    _team_queries: TeamQueries = team_queries
    _ordering_uow: OrderingUnitOfWork = uow
    _orders: OrderRepository = orders
    _order_queries: OrderQueries = order_queries
    _blog_uow: BlogUnitOfWork = uow
    _posts: PostRepository = posts
    _post_queries: PostQueries = post_queries
