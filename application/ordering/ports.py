"""Ordering ports: orders and their lines (write side), the order query service (read side), and
``OrderingUnitOfWork``, the repositories the ordering use cases use.

Cross-context use (docs/adr/0011-per-context-layout.md): a new order reads each item through
catalog's ``ItemRepository`` (its title, price, owner and state are copied into the line); a
payment and the refunds of a cancelled order move money through ledger's ``AccountRepository``
(the seller's oldest account, locks in ascending id order) and ``EntryRepository`` (the
``payment_*`` and ``refund_*`` entries carry the order's id), in the order's own transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from application.idempotency import IdempotencyRepository
from application.ordering.views import OrderFilter, OrderView
from application.pagination import PageRequest, Slice
from application.ports import UnitOfWork
from domain.ordering import Order, OrderLine

if TYPE_CHECKING:  # contexts may refer to each other's ports; only the type checker follows them
    from application.catalog.ports import ItemRepository
    from application.ledger.ports import AccountRepository, EntryRepository


class OrderRepository(Protocol):
    async def add(self, order: Order) -> Order:
        """Stores the order itself (its lines follow one by one, ``add_line``); sets its id."""
        ...

    async def add_line(self, order_id: int, line: OrderLine) -> OrderLine:
        """Stores one line; returns it with its id. ``Conflict`` when the item no longer exists
        (the line's foreign key)."""
        ...

    async def lock(self, order_id: int) -> Order | None:
        """The order with its lines, its row locked until the unit of work ends, so a payment
        and a cancellation of one order take turns."""
        ...

    async def save(self, order: Order) -> None:
        """Writes the order's status, total, paying account and ``updated_at``."""
        ...


class OrderQueries(Protocol):
    async def get(self, order_id: int) -> OrderView | None:
        """The order and its lines, in one statement whatever the number of lines."""
        ...

    async def list(self, flt: OrderFilter, page: PageRequest) -> Slice[OrderView]:
        """A page of orders with their lines, in a constant number of statements."""
        ...


class OrderingUnitOfWork(UnitOfWork, Protocol):
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def items(self) -> ItemRepository:
        """Catalog's: each line copies its item as it is now."""
        ...

    @property
    def accounts(self) -> AccountRepository:
        """Ledger's: the buyer's and the sellers' accounts, locked for a payment or a refund."""
        ...

    @property
    def entries(self) -> EntryRepository:
        """Ledger's: payment and refund entries."""
        ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...
