"""Ledger rules and use cases against the fakes: money never appears, vanishes or goes
negative; visibility; locks; retries; idempotency keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from application import ledger
from application.common import Actor
from application.errors import TransientConflict
from application.idempotency import Idempotency, IdempotentRequest, StoredResponse
from application.ledger.invariants import AccountFacts, TransferLeg
from application.ledger.invariants import report as invariant_report
from application.ledger.views import AccountView, EntryView, TransferView
from application.pagination import PageParams
from domain.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Forbidden,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidInput,
    NotFound,
)
from domain.identity import User
from domain.ledger import AMOUNT_MAX, Account, Entry, EntryKind, Transfer, parse_amount
from tests.fakes.container import Fakes

T = datetime(2026, 1, 1, tzinfo=UTC)


def present(view: object) -> StoredResponse:
    return StoredResponse(201, json.dumps(str(view)))


PLAIN: Idempotency[object] = Idempotency(present)


class Bank(Fakes):
    def user(self, name: str, *, superuser: bool = False) -> Actor:
        user_id = self.db.state.new_id("users")
        now = self.clock.now()
        self.db.state.users[user_id] = User(
            f"{name}@x.io", name, "h", id=user_id, created_at=now, updated_at=now, is_superuser=superuser
        )
        return Actor(user_id, is_superuser=superuser)

    async def account(self, owner: Actor, name: str | None = None, funds: str | None = None) -> int:
        view = await self.ledger.open_account()(owner, ledger.OpenAccountCommand(name))
        if funds is not None:
            await self.ledger.deposit()(self.root, view.id, ledger.DepositCommand(funds), PLAIN)
        return int(view.id)

    @property
    def root(self) -> Actor:
        return Actor(999_999, is_superuser=True)

    def balance(self, account_id: int) -> Decimal:
        return self.db.state.accounts[account_id].balance

    async def transfer(
        self, actor: Actor, source: int, target: int, amount: object, how: Idempotency[object] = PLAIN
    ):
        cmd = ledger.TransferCommand(source, target, amount)  # type: ignore[arg-type]
        return await self.ledger.transfer()(actor, cmd, how)


@pytest.fixture
def bank() -> Bank:
    return Bank()


# --- domain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["0.01", "1", 1, "9999999999.99", Decimal("5.50")])
def test_amounts_are_positive_two_place_decimals(raw: object) -> None:
    assert parse_amount(raw) == Decimal(str(raw)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("raw", ["0", 0, "0.00", "-1", "0.001", "10000000000", 1e11, None, True, "1e3"])
def test_bad_amounts_are_refused_naming_the_field(raw: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_amount(raw)
    assert refused.value.field == "amount"


def test_an_account_never_goes_below_zero() -> None:
    account = Account(owner_id=1, name="Main", balance=Decimal("10.00"), id=7)
    assert account.withdraw(Decimal("10.00")) == Decimal("0.00")
    with pytest.raises(InsufficientFunds) as refused:
        account.withdraw(Decimal("0.01"))
    assert account.balance == Decimal("0.00") and "Account 7" in refused.value.detail
    assert account.deposit(Decimal("2.50")) == Decimal("2.50")
    with pytest.raises(Conflict):
        account.deposit(AMOUNT_MAX)
    assert account.balance == Decimal("2.50")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "a\x00b"])
async def test_account_names_are_checked(bank: Bank, name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await bank.ledger.open_account()(bank.user("ann"), ledger.OpenAccountCommand(name))
    assert refused.value.field == "name"


# --- accounts ----------------------------------------------------------------------------------------


async def test_open_account_defaults_and_unique_names(bank: Bank) -> None:
    ann = bank.user("ann")
    main = await bank.ledger.open_account()(ann, ledger.OpenAccountCommand())
    assert (main.name, main.balance, main.owner_id) == ("Main", Decimal("0.00"), ann.user_id)
    assert bank.db.state.accounts[main.id].name == "Main"
    savings = await bank.ledger.open_account()(ann, ledger.OpenAccountCommand("Savings" + "x" * 93))
    assert len(savings.name) == 100
    with pytest.raises(AlreadyExists) as taken:
        await bank.ledger.open_account()(ann, ledger.OpenAccountCommand("Main"))
    assert (taken.value.entity, taken.value.field) == ("Account", "name")
    other = await bank.ledger.open_account()(bank.user("bob"), ledger.OpenAccountCommand("Main"))
    assert other.id != main.id


async def test_accounts_are_visible_to_their_owner_and_superusers_only(bank: Bank) -> None:
    ann, bob, root = bank.user("ann"), bank.user("bob"), bank.user("root", superuser=True)
    account = await bank.account(ann)
    assert (await bank.ledger.get_account()(ann, account)).id == account
    assert (await bank.ledger.get_account()(root, account)).id == account
    with pytest.raises(NotFound) as hidden:
        await bank.ledger.get_account()(bob, account)
    with pytest.raises(NotFound) as missing:
        await bank.ledger.get_account()(bob, 4242)
    assert hidden.value.detail == f"Account {account} not found"
    assert missing.value.detail == "Account 4242 not found"
    for reader in (bob, ann):
        with pytest.raises(NotFound):
            await bank.ledger.list_entries()(
                bob if reader is bob else Actor(12345), account, PageParams("-created_at")
            )


async def test_list_accounts_shows_the_callers_and_superusers_filter(bank: Bank) -> None:
    ann, bob, root = bank.user("ann"), bank.user("bob"), bank.user("root", superuser=True)
    a1, a2 = await bank.account(ann, "A"), await bank.account(ann, "B")
    b1 = await bank.account(bob)
    page = PageParams("created_at")
    mine = await bank.ledger.list_accounts()(ann, bob.user_id, page)  # a plain user cannot look at bob's
    assert [v.id for v in mine.items] == [a1, a2] and mine.total == 2
    everyone = await bank.ledger.list_accounts()(root, None, page)
    assert [v.id for v in everyone.items] == [a1, a2, b1]
    only_bob = await bank.ledger.list_accounts()(root, bob.user_id, page)
    assert [v.id for v in only_bob.items] == [b1]


# --- deposits -------------------------------------------------------------------------------------------


async def test_deposits_are_for_superusers_and_write_an_entry(bank: Bank) -> None:
    ann, root = bank.user("ann"), bank.user("root", superuser=True)
    account = await bank.account(ann)
    with pytest.raises(Forbidden):
        await bank.ledger.deposit()(ann, account, ledger.DepositCommand("5"), PLAIN)
    with pytest.raises(NotFound):
        await bank.ledger.deposit()(root, 4242, ledger.DepositCommand("5"), PLAIN)
    outcome = await bank.ledger.deposit()(root, account, ledger.DepositCommand("5.25"), PLAIN)
    await bank.ledger.deposit()(root, account, ledger.DepositCommand(1), PLAIN)
    assert not outcome.replayed and outcome.response.status == 201
    assert bank.balance(account) == Decimal("6.25")
    entries = list(bank.db.state.entries.values())
    assert [(e.kind, e.amount, e.balance_after, e.account_id) for e in entries] == [
        (EntryKind.DEPOSIT, Decimal("5.25"), Decimal("5.25"), account),
        (EntryKind.DEPOSIT, Decimal("1.00"), Decimal("6.25"), account),
    ]
    assert any(s.name == "accounts.lock" and s.for_update for s in bank.db.statements)


# --- transfers ------------------------------------------------------------------------------------------


async def test_a_transfer_moves_money_and_writes_two_entries(bank: Bank) -> None:
    ann, bob = bank.user("ann"), bank.user("bob")
    source, target = await bank.account(ann, funds="100.00"), await bank.account(bob)
    bank.db.statements.clear()
    outcome = await bank.transfer(ann, source, target, "30.10")
    assert (bank.balance(source), bank.balance(target)) == (Decimal("69.90"), Decimal("30.10"))
    (transfer,) = bank.db.state.transfers.values()
    assert (transfer.from_account_id, transfer.to_account_id, transfer.amount) == (
        source,
        target,
        Decimal("30.10"),
    )
    legs = [e for e in bank.db.state.entries.values() if e.transfer_id == transfer.id]
    assert sorted((e.kind, e.account_id, e.amount, e.balance_after) for e in legs) == [
        (EntryKind.TRANSFER_IN, target, Decimal("30.10"), Decimal("30.10")),
        (EntryKind.TRANSFER_OUT, source, Decimal("30.10"), Decimal("69.90")),
    ]
    assert outcome.response.status == 201 and str(transfer.id) in outcome.response.body
    locks = [s for s in bank.db.statements if s.name == "accounts.lock"]
    assert len(locks) == 1 and locks[0].for_update  # both rows, one locking statement
    assert (await bank.ledger.verify()()).ok


async def test_transfer_refusals_change_nothing(bank: Bank) -> None:
    ann, bob, root = bank.user("ann"), bank.user("bob"), bank.user("root", superuser=True)
    source, target = await bank.account(ann, funds="10.00"), await bank.account(bob, funds="1.00")
    before = (bank.balance(source), bank.balance(target), len(bank.db.state.entries))
    with pytest.raises(InsufficientFunds):
        await bank.transfer(ann, source, target, "10.01")
    with pytest.raises(NotFound) as foreign:
        await bank.transfer(bob, source, target, "1")  # not bob's account: as if unknown
    assert foreign.value.detail == f"Account {source} not found"
    with pytest.raises(NotFound):
        await bank.transfer(ann, 4242, target, "1")
    with pytest.raises(InvalidInput) as unknown_target:
        await bank.transfer(ann, source, 4242, "1")
    assert unknown_target.value.field == "to_account_id"
    with pytest.raises(InvalidInput) as same:
        await bank.transfer(ann, source, source, "1")
    assert same.value.field == "to_account_id"
    for bad in ("0", "-1", "1.001"):
        with pytest.raises(InvalidInput) as amount:
            await bank.transfer(ann, source, target, bad)
        assert amount.value.field == "amount"
    assert (bank.balance(source), bank.balance(target), len(bank.db.state.entries)) == before
    assert not bank.db.state.transfers
    await bank.transfer(root, source, target, "10.00")  # a superuser may move anyone's money
    assert bank.balance(source) == Decimal("0.00")


async def test_a_lost_race_reruns_the_whole_transfer_once(bank: Bank) -> None:
    ann, bob = bank.user("ann"), bank.user("bob")
    source, target = await bank.account(ann, funds="5.00"), await bank.account(bob)
    bank.db.fail("entries.add", 1)  # the deadlock strikes after the balances were written
    await bank.transfer(ann, source, target, "2")
    assert (bank.balance(source), bank.balance(target)) == (Decimal("3.00"), Decimal("2.00"))
    assert len(bank.db.state.transfers) == 1 and (await bank.ledger.verify()()).ok
    bank.db.fail("accounts.lock", 3)
    with pytest.raises(TransientConflict):
        await bank.transfer(ann, source, target, "1")
    assert bank.balance(source) == Decimal("3.00")


# --- idempotency ------------------------------------------------------------------------------------------


def keyed(actor: Actor, key: str, fingerprint: str = "f1") -> Idempotency[object]:
    return Idempotency(present, IdempotentRequest(actor.user_id, key, fingerprint))


async def test_the_same_key_and_request_replay_the_first_answer(bank: Bank) -> None:
    ann, bob = bank.user("ann"), bank.user("bob")
    source, target = await bank.account(ann, funds="10.00"), await bank.account(bob)
    first = await bank.transfer(ann, source, target, "1", keyed(ann, "k1"))
    again = await bank.transfer(ann, source, target, "1", keyed(ann, "k1"))
    assert not first.replayed and again.replayed and again.response == first.response
    assert len(bank.db.state.transfers) == 1 and bank.balance(source) == Decimal("9.00")
    with pytest.raises(IdempotencyKeyReused):
        await bank.transfer(ann, source, target, "2", keyed(ann, "k1", "another request"))
    bob_source = await bank.account(bob, "B", funds="1.00")
    own = await bank.transfer(bob, bob_source, source, "1", keyed(bob, "k1"))  # keys are per user
    assert not own.replayed and len(bank.db.state.transfers) == 2


async def test_a_failed_request_stores_nothing_and_may_be_retried(bank: Bank) -> None:
    ann, bob, root = bank.user("ann"), bank.user("bob"), bank.user("root", superuser=True)
    source, target = await bank.account(ann), await bank.account(bob)
    with pytest.raises(InsufficientFunds):
        await bank.transfer(ann, source, target, "1", keyed(ann, "retry-me"))
    assert bank.db.state.idempotency_keys == {}
    await bank.ledger.deposit()(root, source, ledger.DepositCommand("1"), PLAIN)
    assert not (await bank.transfer(ann, source, target, "1", keyed(ann, "retry-me"))).replayed


async def test_a_key_in_flight_is_refused(bank: Bank) -> None:
    ann, bob = bank.user("ann"), bank.user("bob")
    source, target = await bank.account(ann, funds="1.00"), await bank.account(bob)
    bank.db.state.idempotency_keys[(ann.user_id, "busy")] = ("f1", None, bank.clock.now())
    with pytest.raises(IdempotencyKeyInUse):
        await bank.transfer(ann, source, target, "1", keyed(ann, "busy"))
    assert not bank.db.state.transfers


async def test_deposits_honour_keys_and_old_keys_are_purged(bank: Bank) -> None:
    ann, root = bank.user("ann"), bank.user("root", superuser=True)
    account = await bank.account(ann)
    deposit = bank.ledger.deposit()
    for _ in range(3):
        await deposit(root, account, ledger.DepositCommand("2"), keyed(root, "d1"))
    assert bank.balance(account) == Decimal("2.00")
    bank.clock.advance(hours=23)
    assert await bank.ledger.purge_idempotency_keys()() == 0
    bank.clock.advance(hours=1, seconds=1)
    assert await bank.ledger.purge_idempotency_keys()() == 1
    assert not (await deposit(root, account, ledger.DepositCommand("2"), keyed(root, "d1"))).replayed


# --- entries and verification ------------------------------------------------------------------------------


async def test_entries_newest_first_and_verification(bank: Bank) -> None:
    ann, bob = bank.user("ann"), bank.user("bob")
    source, target = await bank.account(ann, funds="10.00"), await bank.account(bob)
    await bank.transfer(ann, source, target, "4")
    page = await bank.ledger.list_entries()(ann, source, PageParams("-created_at", limit=1))
    assert [e.kind for e in page.items] == [EntryKind.TRANSFER_OUT] and page.total == 2
    rest = await bank.ledger.list_entries()(
        ann, source, PageParams("-created_at", limit=1, cursor=page.next_cursor)
    )
    assert [e.kind for e in rest.items] == [EntryKind.DEPOSIT] and rest.next_cursor is None
    report = await bank.ledger.verify()()
    assert report.ok and (report.accounts, report.entries, report.transfers) == (2, 3, 1)
    assert report.total_balance == report.total_deposits == Decimal("10.00")
    bank.db.state.accounts[target].balance = Decimal("5.00")  # money from nowhere
    problems = (await bank.ledger.verify()()).problems
    assert any(f"account {target}" in p for p in problems) and any("total of balances" in p for p in problems)


async def test_a_user_with_accounts_cannot_be_hard_deleted(bank: Bank) -> None:
    ann, root = bank.user("ann"), bank.user("root", superuser=True)
    await bank.account(ann, funds="1.00")
    with pytest.raises(Conflict) as refused:
        await bank.identity.delete_user()(root, ann.user_id, hard=True)
    assert "accounts" in refused.value.detail and ann.user_id in bank.db.state.users


# --- the rules, pinned (messages and fields reach clients in problem bodies) -----------------------


def test_amount_and_name_messages() -> None:
    with pytest.raises(InvalidInput) as zero:
        parse_amount("0")
    assert (zero.value.detail, zero.value.field) == ("amount must be more than 0", "amount")
    with pytest.raises(InvalidInput) as named:
        parse_amount("abc", "total")
    assert named.value.field == "total"
    with pytest.raises(InvalidInput) as blank:
        Account.open(1, " ", T)
    assert blank.value.detail == "name must be 1-100 characters, not only blanks"


def test_a_balance_may_reach_the_column_limit_but_not_pass_it() -> None:
    account = Account(owner_id=1, name="Main", balance=Decimal("0.00"), id=1)
    assert account.deposit(AMOUNT_MAX) == AMOUNT_MAX
    with pytest.raises(Conflict) as over:
        account.deposit(Decimal("0.01"))
    assert over.value.detail == f"Account 1 would hold more than {AMOUNT_MAX}"


def test_a_transfer_between_one_account_is_refused_by_the_domain() -> None:
    account = Account(owner_id=1, name="Main", balance=Decimal("5.00"), id=3)
    with pytest.raises(InvalidInput) as same:
        Transfer.between(account, account, Decimal("1.00"), T)
    assert (same.value.detail, same.value.field) == (
        "to_account_id must differ from from_account_id",
        "to_account_id",
    )
    assert account.balance == Decimal("5.00")
    other = Account(owner_id=2, name="Main", id=4)
    moved = Transfer.between(account, other, Decimal("1.00"), T)
    assert moved == Transfer(3, 4, Decimal("1.00"), T)


def test_views_copy_every_field() -> None:
    entry = Entry(
        7, EntryKind.TRANSFER_IN, Decimal("2.00"), Decimal("9.00"), T, transfer_id=5, order_id=6, id=8
    )
    assert EntryView.of(entry) == EntryView(
        8, 7, EntryKind.TRANSFER_IN, Decimal("2.00"), Decimal("9.00"), 5, 6, T
    )
    assert TransferView.of(Transfer(1, 2, Decimal("3.00"), T, id=9)) == TransferView(
        9, 1, 2, Decimal("3.00"), T
    )
    account = Account(owner_id=4, name="A", balance=Decimal("1.00"), id=2, created_at=T)
    assert AccountView.of(account) == AccountView(2, 4, "A", Decimal("1.00"), T)


async def test_refusals_name_what_was_refused(bank: Bank) -> None:
    ann, bob, root = bank.user("ann"), bank.user("bob"), bank.user("root", superuser=True)
    source, target = await bank.account(ann, funds="1.00"), await bank.account(bob)
    with pytest.raises(NotFound) as unknown:
        await bank.ledger.deposit()(root, 4242, ledger.DepositCommand("1"), PLAIN)
    assert unknown.value.detail == "Account 4242 not found"
    with pytest.raises(InvalidInput) as no_target:
        await bank.transfer(ann, source, 4343, "1")
    assert no_target.value.detail == "to_account_id 4343 is not an existing account"
    with pytest.raises(InvalidInput) as same:
        await bank.transfer(ann, source, source, "1")
    assert same.value.detail == "to_account_id must differ from from_account_id"
    with pytest.raises(NotFound) as hidden:
        await bank.ledger.list_entries()(bob, source, PageParams("-created_at"))
    assert hidden.value.detail == f"Account {source} not found"
    bank.db.state.idempotency_keys[(ann.user_id, "busy")] = ("f1", None, bank.clock.now())
    with pytest.raises(IdempotencyKeyInUse) as busy:
        await bank.transfer(ann, source, target, "1", keyed(ann, "busy"))
    assert busy.value.detail == "A request with this Idempotency-Key is still being processed"
    await bank.transfer(ann, source, target, "0.50", keyed(ann, "k"))
    with pytest.raises(IdempotencyKeyReused) as reused:
        await bank.transfer(ann, source, target, "0.50", keyed(ann, "k", "other"))
    assert reused.value.detail == "This Idempotency-Key was used with a different request"


async def test_what_a_transfer_stores_carries_its_time(bank: Bank) -> None:
    ann, bob = bank.user("ann"), bank.user("bob")
    source, target = await bank.account(ann, funds="3.00"), await bank.account(bob)
    await bank.transfer(ann, source, target, "1", keyed(ann, "timed"))
    (transfer,) = bank.db.state.transfers.values()
    legs = [e for e in bank.db.state.entries.values() if e.transfer_id == transfer.id]
    assert transfer.created_at is not None and {e.created_at for e in legs} == {transfer.created_at}
    assert bank.db.state.idempotency_keys[(ann.user_id, "timed")][2] == transfer.created_at


def after(cursor: str | None) -> PageParams:
    return PageParams("created_at", limit=1, cursor=cursor)


async def test_cursors_belong_to_their_list(bank: Bank) -> None:
    ann, bob, root = bank.user("ann"), bank.user("bob"), bank.user("root", superuser=True)
    for name in ("A", "B"):
        await bank.account(ann, name, funds="5.00")
        await bank.account(bob, name, funds="5.00")
    first = await bank.ledger.list_accounts()(root, ann.user_id, PageParams("created_at", limit=1))
    assert first.next_cursor is not None
    second = await bank.ledger.list_accounts()(root, ann.user_id, after(first.next_cursor))
    assert [v.name for v in first.items + second.items] == ["A", "B"] and second.next_cursor is None
    with pytest.raises(BadRequest):  # issued for ann's accounts, not bob's
        await bank.ledger.list_accounts()(
            root, bob.user_id, PageParams("created_at", limit=1, cursor=first.next_cursor)
        )
    with pytest.raises(BadRequest):  # nor for an account's entries
        await bank.ledger.list_entries()(root, 1, after(first.next_cursor))
    a, b = next(iter(bank.db.state.accounts)), list(bank.db.state.accounts)[1]
    await bank.transfer(root, a, b, "1")
    entries = await bank.ledger.list_entries()(root, a, PageParams("created_at", limit=1))
    assert entries.next_cursor is not None
    with pytest.raises(BadRequest):  # issued for another account's entries
        await bank.ledger.list_entries()(
            root, b, PageParams("created_at", limit=1, cursor=entries.next_cursor)
        )
    rest = await bank.ledger.list_entries()(
        root, a, PageParams("created_at", limit=1, cursor=entries.next_cursor)
    )
    assert rest.items and rest.items[0].kind == EntryKind.TRANSFER_OUT


# --- invariants -------------------------------------------------------------------------------------------


def facts(account_id: int, balance: str, total: str, last: str | None) -> AccountFacts:
    return AccountFacts(
        account_id, Decimal(balance), Decimal(total), Decimal(last) if last is not None else None
    )


def test_the_invariants_accept_a_consistent_ledger() -> None:
    legs = [
        TransferLeg(1, Decimal("2.00"), 10, 11, "transfer_out", 10, Decimal("2.00")),
        TransferLeg(1, Decimal("2.00"), 10, 11, "transfer_in", 11, Decimal("2.00")),
        TransferLeg(2, Decimal("1.00"), 11, 10, "transfer_in", 10, Decimal("1.00")),
        TransferLeg(2, Decimal("1.00"), 11, 10, "transfer_out", 11, Decimal("1.00")),
    ]
    accounts = [
        facts(10, "0.00", "0.00", "0.00"),
        facts(11, "0.50", "0.50", "0.50"),
        facts(12, "0.00", "0.00", None),
    ]
    report = invariant_report(accounts, 7, Decimal("0.50"), legs)
    assert report.problems == [] and report.ok
    assert (report.accounts, report.entries, report.transfers) == (3, 7, 2)
    empty = invariant_report([], 0, Decimal("0.00"), [])
    assert str(empty.total_balance) == "0.00" and empty.ok


def test_the_invariants_name_every_broken_rule() -> None:
    accounts = [
        facts(1, "-1.00", "-1.00", "-1.00"),
        facts(2, "5.00", "4.00", "3.00"),
        facts(3, "1.00", "1.00", None),
    ]
    legs = [
        TransferLeg(7, Decimal("2.00"), 1, 2, None, None, None),
        TransferLeg(8, Decimal("2.00"), 1, 2, "transfer_out", 1, Decimal("2.00")),
    ]
    assert invariant_report(accounts, 4, Decimal("4.00"), legs).problems == [
        "account 1: negative balance -1.00",
        "account 2: balance 5.00 but its entries sum to 4.00",
        "account 2: balance 5.00 but its last entry says 3.00",
        "account 3: balance 1.00 but its last entry says 0.00",
        "total of balances 5.00 differs from total deposits 4.00",
        "transfer 7: its entries [] do not match it",
        "transfer 8: its entries [('transfer_out', 1, Decimal('2.00'))] do not match it",
    ]


def test_money_patterns_say_exactly_what_the_parsers_accept() -> None:
    """Published in the OpenAPI document: a generated client and the contract fuzzer rely on it."""
    import re

    from domain.money import money_pattern

    assert money_pattern(10) == r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
    positive = money_pattern(10, positive=True)
    assert positive == r"^(?!0+(\.0+)?$)[0-9]{1,10}(\.[0-9]{1,2})?$"
    for text in ("0.01", "1", "10.5", "9999999999.99", "007"):
        assert re.fullmatch(positive, text) and parse_amount(text) > 0
    for text in ("0", "0.0", "00.00", "0.001", "1.234", "12345678901", "\u0661", "-1"):
        assert not re.fullmatch(positive, text)
