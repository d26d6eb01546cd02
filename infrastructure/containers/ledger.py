"""The ledger context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import ledger
from application.idempotency import PurgeIdempotencyKeys
from infrastructure.persistence.ledger import SqlLedgerQueries


class Ledger(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()

    queries = providers.Singleton(SqlLedgerQueries, core.reads)

    open_account = providers.Singleton(ledger.OpenAccount, core.transactions, core.clock)
    get_account = providers.Singleton(ledger.GetAccount, queries)
    list_accounts = providers.Singleton(ledger.ListAccounts, queries, core.cursors)
    deposit = providers.Singleton(ledger.Deposit, core.transactions, core.clock)
    transfer = providers.Singleton(ledger.TransferFunds, core.transactions, core.clock)
    list_entries = providers.Singleton(ledger.ListEntries, queries, core.cursors)
    verify = providers.Singleton(ledger.VerifyLedger, queries)
    purge_idempotency_keys = providers.Singleton(PurgeIdempotencyKeys, core.transactions, core.clock)
