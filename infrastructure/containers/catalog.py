"""The catalog context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import catalog
from infrastructure.persistence.catalog import SqlItemQueries


class Catalog(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    identity = providers.DependenciesContainer()

    queries = providers.Singleton(SqlItemQueries, core.reads)
    # A write answers with the item as committed, read from the primary (read your own write).
    primary_queries = providers.Singleton(SqlItemQueries, core.primary_reads)

    create_item = providers.Singleton(catalog.CreateItem, core.transactions, primary_queries, core.clock)
    replace_item = providers.Singleton(catalog.ReplaceItem, core.transactions, primary_queries, core.clock)
    patch_item = providers.Singleton(catalog.PatchItem, core.transactions, primary_queries, core.clock)
    delete_item = providers.Singleton(catalog.DeleteItem, core.transactions)
    transfer_item = providers.Singleton(catalog.TransferItem, core.transactions, primary_queries, core.clock)
    batch_create_items = providers.Singleton(catalog.BatchCreateItems, core.transactions, core.clock)
    get_item = providers.Singleton(catalog.GetItem, queries)
    list_items = providers.Singleton(catalog.ListItems, queries, core.cursors)
    list_user_items = providers.Singleton(catalog.ListUserItems, identity.queries, list_items)
    list_tags = providers.Singleton(catalog.ListTags, queries, core.cursors)
    item_stats = providers.Singleton(catalog.GetItemStats, queries)
