"""Ordering: orders of other users' items, their lines, the status diagram, payment and refunds.

An order copies what it sells at order time (each line's title, unit price and seller), so later
edits of an item never change an order. Money is exact: ``line_total`` is ``unit_price *
quantity`` in cents, ``total`` their sum.

The status diagram (docs/adr/0017-ordering.md)::

    pending ──pay (buyer)──► processing ──► shipped ──► delivered      (forward: sellers, superusers)
       └────────┬──────────────────┘
                ▼
            cancelled                                                  (the buyer)

``pending → processing`` is the payment (``Order.pay``): an order is in processing, shipped or
delivered only once it is paid, so a bare status change never makes that move. ``move_to`` makes
the others, for the roles the caller holds on the order, and refuses anything else with
``InvalidTransition`` naming the statuses this caller could move the order to now.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from domain.catalog import Item
from domain.entity import Entity
from domain.errors import Conflict, DomainError, Forbidden, InvalidInput, InvalidTransition
from domain.ledger import AMOUNT_MAX, Account, Entry, EntryKind
from domain.money import CENT

QUANTITY_MAX = 1000
LINES_MAX = 100
ZERO = Decimal("0.00")


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Role(enum.StrEnum):
    """What a caller is to one order (a superuser who bought it is both buyer and superuser)."""

    BUYER = "buyer"
    SELLER = "seller"
    SUPERUSER = "superuser"


FORWARD = frozenset({Role.SELLER, Role.SUPERUSER})
# The status changes ``move_to`` makes: from → {to → the roles that may make the move}.
MOVES: dict[OrderStatus, dict[OrderStatus, frozenset[Role]]] = {
    OrderStatus.PENDING: {OrderStatus.CANCELLED: frozenset({Role.BUYER})},
    OrderStatus.PROCESSING: {OrderStatus.SHIPPED: FORWARD, OrderStatus.CANCELLED: frozenset({Role.BUYER})},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED: FORWARD},
}
# The statuses of an order that has been paid and not cancelled: its payments equal its total.
PAID_STATUSES = frozenset({OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED})


class LineRejection(enum.StrEnum):
    """Why one line of a new order was left out."""

    UNKNOWN_ITEM = "unknown-item"
    INACTIVE_ITEM = "inactive-item"
    OWN_ITEM = "own-item"
    TOTAL_TOO_LARGE = "total-too-large"


class LineRejected(DomainError):
    """One line cannot be part of the order; the others may still be."""

    def __init__(self, reason: LineRejection, item_id: int) -> None:
        super().__init__(f"item {item_id}: {reason.value}")
        self.reason = reason
        self.item_id = item_id


@dataclass(frozen=True, slots=True)
class RejectedLine:
    index: int
    item_id: int
    reason: LineRejection


class OrderRejected(InvalidInput):
    """Every line was rejected: no order. The problem body lists each line and why."""

    def __init__(self, rejected: Sequence[RejectedLine]) -> None:
        super().__init__("Every line of the order was rejected", "lines")
        self.rejected = list(rejected)

    @property
    def validation_errors(self) -> list[dict[str, object]]:
        """One error per line, located in the request (``lines``, its index, ``item_id``)."""
        return [
            {"loc": ["lines", r.index, "item_id"], "msg": r.reason.value, "type": "rejected_line"}
            for r in self.rejected
        ]

    @property
    def problem_extra(self) -> dict[str, object]:
        lines = [{"index": r.index, "item_id": r.item_id, "reason": r.reason.value} for r in self.rejected]
        return {"rejected_lines": lines}


def check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= QUANTITY_MAX:
        raise InvalidInput(f"quantity must be 1-{QUANTITY_MAX}", "quantity")
    return quantity


def check_line_count(count: int) -> int:
    if not 1 <= count <= LINES_MAX:
        raise InvalidInput(f"an order has 1-{LINES_MAX} lines", "lines")
    return count


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One item of an order, as it was when ordered."""

    item_id: int
    seller_id: int
    title: str
    quantity: int
    unit_price: Decimal
    id: int | None = None

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


@dataclass(slots=True)
class Order(Entity):
    """One purchase by ``buyer_id``. ``id`` is ``None`` until the repository has stored it."""

    buyer_id: int
    lines: list[OrderLine] = field(default_factory=list)
    status: OrderStatus = OrderStatus.PENDING
    paid_from_account_id: int | None = None
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def open(cls, buyer_id: int, now: datetime) -> Order:
        return cls(buyer_id=buyer_id, created_at=now, updated_at=now)

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)

    # --- lines ------------------------------------------------------------------------------

    def line_for(self, item_id: int, item: Item | None, quantity: int) -> OrderLine:
        """The line ``quantity`` of ``item`` (None: no such item) would be, copying its title,
        price and owner now; ``LineRejected`` when it cannot be part of this order."""
        check_quantity(quantity)
        if item is None:
            raise LineRejected(LineRejection.UNKNOWN_ITEM, item_id)
        if not item.is_active:
            raise LineRejected(LineRejection.INACTIVE_ITEM, item_id)
        if item.owner_id == self.buyer_id:
            raise LineRejected(LineRejection.OWN_ITEM, item_id)
        line = OrderLine(item_id, item.owner_id, item.title, quantity, item.price)
        if self.total + line.line_total > AMOUNT_MAX:  # what one payment can move
            raise LineRejected(LineRejection.TOTAL_TOO_LARGE, item_id)
        return line

    def add(self, line: OrderLine) -> None:
        self.lines.append(line)

    def dues(self) -> dict[int, Decimal]:
        """What each seller is owed (their line totals), for sellers owed more than zero, by id."""
        owed: dict[int, Decimal] = {}
        for line in self.lines:
            owed[line.seller_id] = owed.get(line.seller_id, ZERO) + line.line_total
        return {seller: amount for seller, amount in sorted(owed.items()) if amount > 0}

    # --- who may do what --------------------------------------------------------------------

    def roles_of(self, user_id: int, *, is_superuser: bool = False) -> frozenset[Role]:
        """The caller's roles on this order; none means the order is not theirs to see."""
        roles = set()
        if user_id == self.buyer_id:
            roles.add(Role.BUYER)
        if any(line.seller_id == user_id for line in self.lines):
            roles.add(Role.SELLER)
        if is_superuser:
            roles.add(Role.SUPERUSER)
        return frozenset(roles)

    def allowed(self, by: Role | Iterable[Role]) -> list[OrderStatus]:
        """The statuses a caller with these roles may move the order to now (diagram order)."""
        roles = _roles(by)
        moves = MOVES.get(self.status, {})
        return [status for status in OrderStatus if moves.get(status, frozenset()) & roles]

    def _refuse(self, roles: frozenset[Role], why: str) -> InvalidTransition:
        allowed = [s.value for s in self.allowed(roles)]
        return InvalidTransition(f"Order {self.id} is {self.status.value}: {why}", allowed)

    def check_move(self, status: OrderStatus, by: Role | Iterable[Role]) -> None:
        """Refuses (``InvalidTransition``) a status change these roles may not make now."""
        roles = _roles(by)
        if status not in self.allowed(roles):
            raise self._refuse(roles, f"it cannot be moved to {status.value} by this caller")

    def move_to(self, status: OrderStatus, *, by: Role | Iterable[Role], now: datetime) -> None:
        """A status change of the diagram (not the payment), if the caller's roles allow it."""
        self.check_move(status, by)
        self._record(now, {"status": status})

    def check_payable(self, by: Role | Iterable[Role]) -> None:
        """Only the buyer pays (``Forbidden``), and only a pending order (``InvalidTransition``)."""
        roles = _roles(by)
        if Role.BUYER not in roles:
            raise Forbidden("Only the buyer may pay for an order")
        if self.status is not OrderStatus.PENDING:
            raise self._refuse(roles, "only a pending order can be paid")

    # --- money ------------------------------------------------------------------------------

    def pay(
        self, account: Account, sellers: Mapping[int, Account], *, by: Role | Iterable[Role], now: datetime
    ) -> list[Entry]:
        """``pending → processing`` by the buyer: ``account`` (the buyer's, locked) pays the
        total, each seller's account (locked, by seller id) is credited with their line totals.
        Returns the entries (one ``payment_out``, a ``payment_in`` per seller owed anything).
        Nothing is changed when a rule refuses."""
        self.check_payable(by)
        assert account.id is not None
        dues = self.dues()
        missing = [seller for seller in dues if seller not in sellers]
        if missing:
            raise Conflict(f"Seller {missing[0]} has no account to be paid into")
        entries: list[Entry] = []
        total = self.total
        with _all_or_nothing([account, *sellers.values()]):
            if total > 0:
                after = account.withdraw(total)
                entries.append(Entry(account.id, EntryKind.PAYMENT_OUT, total, after, now, order_id=self.id))
            for seller, amount in dues.items():
                target = sellers[seller]
                assert target.id is not None
                after = target.deposit(amount)
                entries.append(Entry(target.id, EntryKind.PAYMENT_IN, amount, after, now, order_id=self.id))
        self._record(now, {"status": OrderStatus.PROCESSING, "paid_from_account_id": account.id})
        return entries

    def cancel(
        self,
        *,
        by: Role | Iterable[Role],
        now: datetime,
        payments: Sequence[Entry] = (),
        accounts: Mapping[int, Account] | None = None,
    ) -> list[Entry]:
        """Moves the order to ``cancelled``; a paid order refunds every payment: each account
        credited by a ``payment_in`` gives it back (``refund_out``) and the paying account gets
        their sum (``refund_in``). ``payments`` are the order's entries, ``accounts`` (locked, by
        id) every account they and the paying account name. Returns the refund entries; nothing
        is changed when a rule refuses (a credited account no longer holds the money)."""
        self.check_move(OrderStatus.CANCELLED, by)
        refunds: list[Entry] = []
        if self.paid_from_account_id is not None:
            assert accounts is not None
            with _all_or_nothing(accounts.values()):
                refunds = self._refunds(payments, accounts, now)
        self._record(now, {"status": OrderStatus.CANCELLED})
        return refunds

    def _refunds(
        self, payments: Sequence[Entry], accounts: Mapping[int, Account], now: datetime
    ) -> list[Entry]:
        assert self.paid_from_account_id is not None
        refunds: list[Entry] = []
        returned = ZERO
        for payment in sorted(payments, key=lambda e: e.account_id):
            if payment.kind is not EntryKind.PAYMENT_IN:
                continue
            after = accounts[payment.account_id].withdraw(payment.amount)
            refunds.append(
                Entry(payment.account_id, EntryKind.REFUND_OUT, payment.amount, after, now, order_id=self.id)
            )
            returned += payment.amount
        if returned > 0:
            paid_from = self.paid_from_account_id
            after = accounts[paid_from].deposit(returned)
            refunds.append(Entry(paid_from, EntryKind.REFUND_IN, returned, after, now, order_id=self.id))
        return refunds


@contextmanager
def _all_or_nothing(accounts: Iterable[Account]) -> Iterator[None]:
    """Balances as they were if a rule refuses part-way (a credit after a debit was taken)."""
    saved = [(account, account.balance) for account in accounts]
    try:
        yield
    except DomainError:
        for account, balance in saved:
            account.balance = balance
        raise


def _roles(by: Role | Iterable[Role]) -> frozenset[Role]:
    return frozenset({by}) if isinstance(by, Role) else frozenset(by)
