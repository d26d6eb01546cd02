"""The ledger's invariants, checked over facts a query service gathers (SQL or in memory), so
``bazaar ledger verify`` and the tests judge every backend by one rule:

* each account's balance equals the sum of its entries and its last entry's ``balance_after``,
  and is never negative;
* the sum of all balances equals the sum of all deposits;
* every transfer has exactly one ``transfer_out`` from its source and one ``transfer_in`` to its
  target, each of the transfer's amount;
* per order, payments and refunds balance: money out of the buyer equals money into the sellers
  (payments, then refunds), a paid order (processing, shipped, delivered) has been paid exactly
  its total and refunded nothing, a pending one has neither, and a cancelled one has given every
  payment back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from application.ledger.views import LedgerReport
from domain.ledger import EntryKind
from domain.ordering import PAID_STATUSES, OrderStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class AccountFacts:
    id: int
    balance: Decimal
    entries_total: Decimal  # signed: money in minus money out
    last_balance_after: Decimal | None  # of its newest entry; None without entries


@dataclass(frozen=True, slots=True)
class TransferLeg:
    """One entry of a transfer (``kind`` None: a transfer without entries)."""

    transfer_id: int
    amount: Decimal
    from_account_id: int
    to_account_id: int
    kind: str | None
    account_id: int | None
    entry_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """An order and the sums of its entries by kind."""

    order_id: int
    status: str
    total: Decimal
    paid_out: Decimal
    paid_in: Decimal
    refunded_out: Decimal
    refunded_in: Decimal


def order_problems(order: OrderMoney) -> list[str]:
    name = f"order {order.order_id} ({order.status})"
    problems = []
    if order.paid_out != order.paid_in:
        problems.append(f"{name}: payments out {order.paid_out} but payments in {order.paid_in}")
    if order.refunded_out != order.refunded_in:
        problems.append(f"{name}: refunds out {order.refunded_out} but refunds in {order.refunded_in}")
    if order.status in PAID_STATUSES and (order.paid_out != order.total or order.refunded_in != ZERO):
        problems.append(
            f"{name}: paid {order.paid_out} and refunded {order.refunded_in} of its total {order.total}"
        )
    if order.status == OrderStatus.PENDING and (order.paid_out != ZERO or order.refunded_in != ZERO):
        problems.append(f"{name}: paid {order.paid_out} and refunded {order.refunded_in} while pending")
    if order.status == OrderStatus.CANCELLED and order.refunded_out != order.paid_in:
        problems.append(f"{name}: paid {order.paid_in} but refunded {order.refunded_out}")
    return problems


def report(
    accounts: Sequence[AccountFacts],
    entries: int,
    deposits: Decimal,
    legs: Sequence[TransferLeg],
    orders: Sequence[OrderMoney] = (),
) -> LedgerReport:
    problems: list[str] = []
    for a in accounts:
        if a.balance < 0:
            problems.append(f"account {a.id}: negative balance {a.balance}")
        if a.entries_total != a.balance:
            problems.append(f"account {a.id}: balance {a.balance} but its entries sum to {a.entries_total}")
        last = a.last_balance_after if a.last_balance_after is not None else ZERO
        if last != a.balance:
            problems.append(f"account {a.id}: balance {a.balance} but its last entry says {last}")
    total = sum((a.balance for a in accounts), ZERO)
    if total != deposits:
        problems.append(f"total of balances {total} differs from total deposits {deposits}")
    by_transfer: dict[int, list[TransferLeg]] = {}
    for leg in legs:
        by_transfer.setdefault(leg.transfer_id, []).append(leg)
    for transfer_id, found in sorted(by_transfer.items()):
        first = found[0]
        expected = sorted(
            [
                (EntryKind.TRANSFER_IN.value, first.to_account_id, first.amount),
                (EntryKind.TRANSFER_OUT.value, first.from_account_id, first.amount),
            ]
        )
        actual = sorted((leg.kind, leg.account_id, leg.entry_amount) for leg in found if leg.kind is not None)
        if actual != expected:
            problems.append(f"transfer {transfer_id}: its entries {actual} do not match it")
    for order in sorted(orders, key=lambda o: o.order_id):
        problems += order_problems(order)
    return LedgerReport(
        len(accounts), entries, len(by_transfer), total, deposits, problems, orders=len(orders)
    )
