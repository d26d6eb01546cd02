"""The ordering domain's rules without any port: lines, totals, who may move an order where (every
transition, allowed and forbidden), payment and refunds, and a Hypothesis state machine that
walks random moves by buyers, sellers and superusers."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.catalog import Item
from domain.errors import Conflict, Forbidden, InsufficientFunds, InvalidInput, InvalidTransition
from domain.ledger import AMOUNT_MAX, Account, Entry, EntryKind
from domain.ordering import (
    MOVES,
    PAID_STATUSES,
    LineRejected,
    LineRejection,
    Order,
    OrderLine,
    OrderRejected,
    OrderStatus,
    RejectedLine,
    Role,
    check_line_count,
    check_quantity,
)

T = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T + timedelta(minutes=5)
BUYER, SELLER, OTHER_SELLER = 1, 2, 3
P, R, S, D, C = (
    OrderStatus.PENDING,
    OrderStatus.PROCESSING,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)
# The whole diagram: the status changes ``move_to`` makes, and the payment (pending → processing).
EXPECTED_MOVES = {
    (P, C): {Role.BUYER},
    (R, S): {Role.SELLER, Role.SUPERUSER},
    (R, C): {Role.BUYER},
    (S, D): {Role.SELLER, Role.SUPERUSER},
}
DIAGRAM = {*EXPECTED_MOVES, (P, R)}
ROLE_SETS = [frozenset(c) for n in range(4) for c in itertools.combinations(list(Role), n)]


def item(item_id: int = 10, owner: int = SELLER, price: str = "2.50", *, active: bool = True) -> Item:
    return Item(title=f"Item {item_id}", price=Decimal(price), owner_id=owner, is_active=active, id=item_id)


def line(seller: int = SELLER, price: str = "2.50", quantity: int = 1, item_id: int = 10) -> OrderLine:
    return OrderLine(item_id, seller, f"Item {item_id}", quantity, Decimal(price))


def an_order(status: OrderStatus = P, *lines: OrderLine, paid_from: int | None = None) -> Order:
    return Order(
        buyer_id=BUYER,
        lines=list(lines) or [line()],
        status=status,
        paid_from_account_id=paid_from,
        id=7,
        created_at=T,
        updated_at=T,
    )


def acct(account_id: int, owner: int, balance: str) -> Account:
    return Account(owner, f"A{account_id}", Decimal(balance), id=account_id, created_at=T)


# --- lines and totals ---------------------------------------------------------------------------


def test_a_line_copies_the_item_as_it_is_now() -> None:
    order = Order.open(BUYER, T)
    assert (order.status, order.lines, order.created_at, order.updated_at) == (P, [], T, T)
    assert order.paid_from_account_id is None and order.id is None
    made = order.line_for(10, item(price="19.90"), 3)
    assert made == OrderLine(10, SELLER, "Item 10", 3, Decimal("19.90"))
    assert made.line_total == Decimal("59.70") and order.lines == []  # not added until stored
    order.add(made)
    order.add(line(OTHER_SELLER, "0.35", 3, item_id=11))
    assert order.total == Decimal("60.75") and str(order.total) == "60.75"
    assert Order.open(BUYER, T).total == Decimal("0.00") and str(Order.open(BUYER, T).total) == "0.00"


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        (None, LineRejection.UNKNOWN_ITEM),
        (item(active=False), LineRejection.INACTIVE_ITEM),
        (item(owner=BUYER), LineRejection.OWN_ITEM),
    ],
)
def test_lines_that_cannot_be_ordered(found: Item | None, reason: LineRejection) -> None:
    with pytest.raises(LineRejected) as refused:
        Order.open(BUYER, T).line_for(10, found, 1)
    assert (refused.value.reason, refused.value.item_id) == (reason, 10)
    assert refused.value.detail == f"item 10: {reason.value}"


def test_an_order_total_may_reach_what_one_payment_moves_but_not_pass_it() -> None:
    order = Order.open(BUYER, T)
    order.add(order.line_for(10, item(price=str(AMOUNT_MAX - Decimal("1.00"))), 1))
    order.add(order.line_for(11, item(11, price="1.00"), 1))
    assert order.total == AMOUNT_MAX
    with pytest.raises(LineRejected) as refused:
        order.line_for(12, item(12, price="0.01"), 1)
    assert (refused.value.reason, refused.value.item_id) == (LineRejection.TOTAL_TOO_LARGE, 12)
    free = order.line_for(13, item(13, price="0"), 1000)  # nothing more to pay: accepted
    assert free.line_total == Decimal("0.00")


@pytest.mark.parametrize("quantity", [1, 1000])
def test_quantities_within_bounds(quantity: int) -> None:
    assert check_quantity(quantity) == quantity


@pytest.mark.parametrize("quantity", [0, -1, 1001, True, 1.0, "1"])
def test_quantities_out_of_bounds(quantity: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_quantity(quantity)  # type: ignore[arg-type]
    assert (refused.value.detail, refused.value.field) == ("quantity must be 1-1000", "quantity")
    with pytest.raises(InvalidInput):
        Order.open(BUYER, T).line_for(10, item(), quantity)  # type: ignore[arg-type]


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (100, True), (101, False)])
def test_an_order_has_one_to_a_hundred_lines(count: int, ok: bool) -> None:
    if ok:
        assert check_line_count(count) == count
        return
    with pytest.raises(InvalidInput) as refused:
        check_line_count(count)
    assert (refused.value.detail, refused.value.field) == ("an order has 1-100 lines", "lines")


def test_dues_are_per_seller_and_skip_zero() -> None:
    order = an_order(
        P, line(OTHER_SELLER, "1.10", 2), line(SELLER, "0.00", 5), line(OTHER_SELLER, "0.05"), line(4, "1")
    )
    assert order.dues() == {OTHER_SELLER: Decimal("2.25"), 4: Decimal("1.00")}
    assert list(an_order(P, line(9, "1"), line(5, "1")).dues()) == [5, 9]


def test_an_order_whose_every_line_was_rejected() -> None:
    rejected = OrderRejected(
        [RejectedLine(0, 5, LineRejection.OWN_ITEM), RejectedLine(2, 6, LineRejection.UNKNOWN_ITEM)]
    )
    assert (rejected.detail, rejected.field) == ("Every line of the order was rejected", "lines")
    assert rejected.problem_extra == {
        "rejected_lines": [
            {"index": 0, "item_id": 5, "reason": "own-item"},
            {"index": 2, "item_id": 6, "reason": "unknown-item"},
        ]
    }
    assert rejected.validation_errors == [
        {"loc": ["lines", 0, "item_id"], "msg": "own-item", "type": "rejected_line"},
        {"loc": ["lines", 2, "item_id"], "msg": "unknown-item", "type": "rejected_line"},
    ]


# --- roles and moves ------------------------------------------------------------------------------


def test_roles_of_callers() -> None:
    order = an_order(P, line(SELLER), line(OTHER_SELLER))
    assert order.roles_of(BUYER) == {Role.BUYER}
    assert order.roles_of(SELLER) == order.roles_of(OTHER_SELLER) == {Role.SELLER}
    assert order.roles_of(BUYER, is_superuser=True) == {Role.BUYER, Role.SUPERUSER}
    assert order.roles_of(99, is_superuser=True) == {Role.SUPERUSER}
    assert order.roles_of(99) == frozenset()


def test_the_move_table_is_the_diagram() -> None:
    table = {(a, b): set(roles) for a, moves in MOVES.items() for b, roles in moves.items()}
    assert table == EXPECTED_MOVES
    assert {R, S, D} == PAID_STATUSES


@pytest.mark.parametrize(("source", "target"), list(itertools.product(OrderStatus, OrderStatus)))
@pytest.mark.parametrize("roles", ROLE_SETS, ids=lambda r: "+".join(sorted(r)) or "none")
def test_every_transition_allowed_and_forbidden(
    source: OrderStatus, target: OrderStatus, roles: frozenset[Role]
) -> None:
    order = an_order(source)
    may = bool(EXPECTED_MOVES.get((source, target), set()) & roles)
    allowed = [b for b in OrderStatus if EXPECTED_MOVES.get((source, b), set()) & roles]
    assert order.allowed(roles) == allowed
    assert (target in order.allowed(roles)) is may
    if may:
        order.move_to(target, by=roles, now=LATER)
        assert (order.status, order.updated_at) == (target, LATER)
        return
    with pytest.raises(InvalidTransition) as refused:
        order.move_to(target, by=roles, now=LATER)
    assert refused.value.allowed == [s.value for s in allowed]
    assert refused.value.problem_extra == {"allowed": [s.value for s in allowed]}
    assert refused.value.detail == (
        f"Order 7 is {source.value}: it cannot be moved to {target.value} by this caller"
    )
    assert (order.status, order.updated_at) == (source, T)


def test_a_single_role_is_a_set_of_one() -> None:
    order = an_order(R)
    assert order.allowed(Role.SELLER) == [S] and order.allowed(Role.BUYER) == [C]
    order.move_to(S, by=Role.SUPERUSER, now=LATER)
    assert order.status is S


# --- payment --------------------------------------------------------------------------------------


def test_the_buyer_pays_each_seller_their_line_totals() -> None:
    order = an_order(P, line(SELLER, "2.50", 2), line(OTHER_SELLER, "0.10", 3), line(SELLER, "1", 1))
    buyer, first, second = acct(5, BUYER, "10.00"), acct(6, SELLER, "1.00"), acct(8, OTHER_SELLER, "0")
    entries = order.pay(buyer, {SELLER: first, OTHER_SELLER: second}, by={Role.BUYER}, now=LATER)
    assert entries == [
        Entry(5, EntryKind.PAYMENT_OUT, Decimal("6.30"), Decimal("3.70"), LATER, order_id=7),
        Entry(6, EntryKind.PAYMENT_IN, Decimal("6.00"), Decimal("7.00"), LATER, order_id=7),
        Entry(8, EntryKind.PAYMENT_IN, Decimal("0.30"), Decimal("0.30"), LATER, order_id=7),
    ]
    assert (buyer.balance, first.balance, second.balance) == (
        Decimal("3.70"),
        Decimal("7.00"),
        Decimal("0.30"),
    )
    assert (order.status, order.paid_from_account_id, order.updated_at) == (R, 5, LATER)


def test_a_free_order_is_paid_without_moving_money() -> None:
    order = an_order(P, line(SELLER, "0"))
    buyer = acct(5, BUYER, "0")
    assert order.pay(buyer, {}, by=Role.BUYER, now=LATER) == []
    assert (order.status, order.paid_from_account_id) == (R, 5)


@pytest.mark.parametrize("roles", [{Role.SELLER}, {Role.SUPERUSER}, set()])
def test_only_the_buyer_pays(roles: set[Role]) -> None:
    order = an_order(P)
    with pytest.raises(Forbidden) as refused:
        order.pay(acct(5, BUYER, "9"), {SELLER: acct(6, SELLER, "0")}, by=roles, now=LATER)
    assert refused.value.detail == "Only the buyer may pay for an order"
    assert order.status is P


@pytest.mark.parametrize(("status", "allowed"), [(R, ["cancelled"]), (S, []), (D, []), (C, [])])
def test_only_a_pending_order_is_paid(status: OrderStatus, allowed: list[str]) -> None:
    order = an_order(status)
    with pytest.raises(InvalidTransition) as refused:
        order.pay(acct(5, BUYER, "9"), {SELLER: acct(6, SELLER, "0")}, by={Role.BUYER}, now=LATER)
    assert refused.value.allowed == allowed
    assert refused.value.detail == f"Order 7 is {status.value}: only a pending order can be paid"


def test_a_payment_refused_changes_nothing() -> None:
    order = an_order(P, line(SELLER, "5"), line(OTHER_SELLER, "5"))
    buyer, seller = acct(5, BUYER, "9.99"), acct(6, SELLER, "0")
    with pytest.raises(Conflict) as no_account:
        order.pay(buyer, {SELLER: seller}, by={Role.BUYER}, now=LATER)
    assert no_account.value.detail == f"Seller {OTHER_SELLER} has no account to be paid into"
    with pytest.raises(InsufficientFunds):
        order.pay(
            buyer, {SELLER: seller, OTHER_SELLER: acct(8, OTHER_SELLER, "0")}, by={Role.BUYER}, now=LATER
        )
    assert (buyer.balance, seller.balance, order.status, order.paid_from_account_id) == (
        Decimal("9.99"),
        Decimal("0"),
        P,
        None,
    )
    full = acct(8, OTHER_SELLER, str(AMOUNT_MAX))  # its credit fails after the debit and a credit
    with pytest.raises(Conflict):
        order.pay(acct(5, BUYER, "20"), {SELLER: seller, OTHER_SELLER: full}, by={Role.BUYER}, now=LATER)
    assert (seller.balance, full.balance, order.status) == (Decimal("0"), AMOUNT_MAX, P)


# --- cancellation and refunds ---------------------------------------------------------------------


def test_cancelling_an_unpaid_order_moves_no_money() -> None:
    order = an_order(P)
    assert order.cancel(by={Role.BUYER}, now=LATER) == []
    assert (order.status, order.updated_at) == (C, LATER)


def test_cancelling_a_paid_order_refunds_every_payment() -> None:
    order = an_order(R, line(SELLER, "6"), line(OTHER_SELLER, "0.30"), paid_from=5)
    payments = [
        Entry(5, EntryKind.PAYMENT_OUT, Decimal("6.30"), Decimal("3.70"), T, order_id=7),
        Entry(8, EntryKind.PAYMENT_IN, Decimal("0.30"), Decimal("0.30"), T, order_id=7),
        Entry(6, EntryKind.PAYMENT_IN, Decimal("6.00"), Decimal("7.00"), T, order_id=7),
    ]
    accounts = {5: acct(5, BUYER, "3.70"), 6: acct(6, SELLER, "7.00"), 8: acct(8, OTHER_SELLER, "0.30")}
    refunds = order.cancel(by=Role.BUYER, now=LATER, payments=payments, accounts=accounts)
    assert refunds == [
        Entry(6, EntryKind.REFUND_OUT, Decimal("6.00"), Decimal("1.00"), LATER, order_id=7),
        Entry(8, EntryKind.REFUND_OUT, Decimal("0.30"), Decimal("0.00"), LATER, order_id=7),
        Entry(5, EntryKind.REFUND_IN, Decimal("6.30"), Decimal("10.00"), LATER, order_id=7),
    ]
    assert [a.balance for a in accounts.values()] == [Decimal("10.00"), Decimal("1.00"), Decimal("0.00")]
    assert (order.status, order.paid_from_account_id) == (C, 5)


def test_a_refund_of_less_than_one_unit_is_still_refunded() -> None:
    order = an_order(R, line(SELLER, "0.30"), paid_from=5)
    payments = [Entry(6, EntryKind.PAYMENT_IN, Decimal("0.30"), Decimal("0.30"), T, order_id=7)]
    accounts = {5: acct(5, BUYER, "0"), 6: acct(6, SELLER, "0.30")}
    refunds = order.cancel(by=Role.BUYER, now=LATER, payments=payments, accounts=accounts)
    assert [(e.kind, e.account_id, e.amount) for e in refunds] == [
        (EntryKind.REFUND_OUT, 6, Decimal("0.30")),
        (EntryKind.REFUND_IN, 5, Decimal("0.30")),
    ]


def test_cancelling_a_free_paid_order_refunds_nothing() -> None:
    order = an_order(R, line(SELLER, "0"), paid_from=5)
    assert order.cancel(by=Role.BUYER, now=LATER, payments=[], accounts={5: acct(5, BUYER, "1")}) == []
    assert order.status is C


def test_a_refund_a_seller_cannot_cover_changes_no_status() -> None:
    order = an_order(R, line(SELLER, "6"), line(OTHER_SELLER, "1"), paid_from=5)
    payments = [
        Entry(6, EntryKind.PAYMENT_IN, Decimal("1.00"), Decimal("1.00"), T, order_id=7),
        Entry(8, EntryKind.PAYMENT_IN, Decimal("6.00"), Decimal("6.00"), T, order_id=7),
    ]
    accounts = {5: acct(5, BUYER, "0"), 6: acct(6, OTHER_SELLER, "1.00"), 8: acct(8, SELLER, "5.99")}
    with pytest.raises(InsufficientFunds):  # the second refund fails after the first was taken
        order.cancel(by=Role.BUYER, now=LATER, payments=payments, accounts=accounts)
    assert (order.status, order.updated_at) == (R, T)
    assert [a.balance for a in accounts.values()] == [Decimal("0"), Decimal("1.00"), Decimal("5.99")]
    with pytest.raises(InvalidTransition) as refused:
        order.cancel(by=Role.SELLER, now=LATER, payments=payments, accounts=accounts)
    assert refused.value.allowed == ["shipped"] and accounts[8].balance == Decimal("5.99")


# --- a state machine of random moves --------------------------------------------------------------


class OrderMoves(RuleBasedStateMachine):
    """Random moves (status changes, payments) by random sets of roles: the order never reaches a
    state outside the diagram, every change it makes is an edge of the diagram, money is
    conserved, and ``allowed`` is exactly the set of status changes that succeed."""

    def __init__(self) -> None:
        super().__init__()
        self.order = an_order(P, line(SELLER, "4.00", 2), line(OTHER_SELLER, "1.50"))
        self.accounts = {5: acct(5, BUYER, "20.00"), 6: acct(6, SELLER, "0"), 8: acct(8, OTHER_SELLER, "0")}
        self.entries: list[Entry] = []
        self.path = [P]

    def _moved(self, before: OrderStatus) -> None:
        if self.order.status is not before:
            assert (before, self.order.status) in DIAGRAM
            self.path.append(self.order.status)

    @rule(roles=st.sampled_from(ROLE_SETS), status=st.sampled_from(list(OrderStatus)))
    def change_status(self, roles: frozenset[Role], status: OrderStatus) -> None:
        target = status
        before, allowed = self.order.status, self.order.allowed(roles)
        try:
            if target is C:
                mine = [e for e in self.entries if e.order_id == 7]
                self.entries += self.order.cancel(by=roles, now=LATER, payments=mine, accounts=self.accounts)
            else:
                self.order.move_to(target, by=roles, now=LATER)
        except InvalidTransition as refused:
            assert target not in allowed and refused.allowed == [s.value for s in allowed]
            assert self.order.status is before
        else:
            assert target in allowed and self.order.status is target
        self._moved(before)

    @rule(roles=st.sampled_from(ROLE_SETS))
    def pay(self, roles: frozenset[Role]) -> None:
        before = self.order.status
        sellers = {SELLER: self.accounts[6], OTHER_SELLER: self.accounts[8]}
        try:
            self.entries += self.order.pay(self.accounts[5], sellers, by=roles, now=LATER)
        except Forbidden:
            assert Role.BUYER not in roles
        except InvalidTransition:
            assert before is not P
        else:
            assert Role.BUYER in roles and before is P and self.order.status is R
        self._moved(before)

    @invariant()
    def inside_the_diagram(self) -> None:
        assert self.order.status in OrderStatus
        assert all(step in DIAGRAM for step in itertools.pairwise(self.path))

    @invariant()
    def allowed_is_exactly_what_succeeds(self) -> None:
        for roles in ROLE_SETS:
            succeeded = []
            for target in OrderStatus:
                trial = dataclasses.replace(self.order, lines=list(self.order.lines))
                try:
                    trial.move_to(target, by=roles, now=LATER)
                except InvalidTransition:
                    continue
                succeeded.append(target)
            assert self.order.allowed(roles) == succeeded

    @invariant()
    def money_follows_the_status(self) -> None:
        total = sum((a.balance for a in self.accounts.values()), Decimal(0))
        assert total == Decimal("20.00")
        paid = self.order.status in PAID_STATUSES
        assert self.accounts[5].balance == (Decimal("10.50") if paid else Decimal("20.00"))
        assert (self.order.paid_from_account_id is not None) is (paid or len(self.entries) > 0)


TestOrderMoves = OrderMoves.TestCase
TestOrderMoves.settings = settings(max_examples=100, stateful_step_count=12, deadline=None)
