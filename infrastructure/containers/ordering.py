"""The ordering context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import ordering
from infrastructure.persistence.ordering import SqlOrderQueries


class Ordering(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()

    queries = providers.Singleton(SqlOrderQueries, core.reads)

    place_order = providers.Singleton(ordering.PlaceOrder, core.transactions, core.clock)
    get_order = providers.Singleton(ordering.GetOrder, queries)
    list_orders = providers.Singleton(ordering.ListOrders, queries, core.cursors)
    pay_order = providers.Singleton(ordering.PayOrder, core.transactions, core.clock)
    change_order_status = providers.Singleton(ordering.ChangeOrderStatus, core.transactions, core.clock)
