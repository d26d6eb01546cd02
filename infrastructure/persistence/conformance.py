"""Proof, for mypy, that the SQL adapters implement the ports.

Nothing here runs: each assignment below type-checks only if the adapter structurally matches
the port (every method, with compatible signatures), so an adapter that drifts from its port
fails ``mypy``, not a request. A new context adds one line per adapter.
"""

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
    from application.teams.ports import (
        HeroRepository,
        MembershipRepository,
        TeamQueries,
        TeamRepository,
        TeamsUnitOfWork,
    )
    from infrastructure.persistence.blog import SqlPostQueries, SqlPostRepository
    from infrastructure.persistence.catalog import SqlItemQueries, SqlItemRepository, SqlTagRepository
    from infrastructure.persistence.idempotency import SqlIdempotencyRepository
    from infrastructure.persistence.identity import (
        SqlLoginThrottleRepository,
        SqlUserQueries,
        SqlUserRepository,
    )
    from infrastructure.persistence.ledger import (
        SqlAccountRepository,
        SqlEntryRepository,
        SqlLedgerQueries,
        SqlTransferRepository,
    )
    from infrastructure.persistence.ordering import SqlOrderQueries, SqlOrderRepository
    from infrastructure.persistence.teams import (
        SqlHeroRepository,
        SqlMembershipRepository,
        SqlTeamQueries,
        SqlTeamRepository,
    )
    from infrastructure.persistence.uow import SqlUnitOfWork


def _adapters_implement_ports(
    uow: SqlUnitOfWork,
    users: SqlUserRepository,
    login_throttle: SqlLoginThrottleRepository,
    user_queries: SqlUserQueries,
    items: SqlItemRepository,
    tags: SqlTagRepository,
    item_queries: SqlItemQueries,
    accounts: SqlAccountRepository,
    entries: SqlEntryRepository,
    transfers: SqlTransferRepository,
    ledger_queries: SqlLedgerQueries,
    idempotency: SqlIdempotencyRepository,
    teams: SqlTeamRepository,
    heroes: SqlHeroRepository,
    memberships: SqlMembershipRepository,
    team_queries: SqlTeamQueries,
    orders: SqlOrderRepository,
    order_queries: SqlOrderQueries,
    posts: SqlPostRepository,
    post_queries: SqlPostQueries,
) -> None:
    _identity_uow: IdentityUnitOfWork = uow
    _catalog_uow: CatalogUnitOfWork = uow
    _users: UserRepository = users
    _login_throttle: LoginThrottleRepository = login_throttle
    _user_queries: UserQueries = user_queries
    _items: ItemRepository = items
    _tags: TagRepository = tags
    _item_queries: ItemQueries = item_queries
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
