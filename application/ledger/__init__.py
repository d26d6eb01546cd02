"""Ledger: accounts, deposits, transfers between accounts, entries, and the invariant check.
The use cases and commands, as routers, the CLI and the container use them."""

from application.ledger.use_cases import (
    ACCOUNT_SORTS,
    ENTRY_SORTS,
    Deposit,
    DepositCommand,
    GetAccount,
    ListAccounts,
    ListEntries,
    OpenAccount,
    OpenAccountCommand,
    TransferCommand,
    TransferFunds,
    VerifyLedger,
)

__all__ = [
    "ACCOUNT_SORTS",
    "ENTRY_SORTS",
    "Deposit",
    "DepositCommand",
    "GetAccount",
    "ListAccounts",
    "ListEntries",
    "OpenAccount",
    "OpenAccountCommand",
    "TransferCommand",
    "TransferFunds",
    "VerifyLedger",
]
