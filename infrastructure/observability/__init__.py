"""Observability adapters: structured logging, Prometheus metrics and SQL instrumentation.

Nothing here is imported by ``domain`` or ``application``: the HTTP layer and the persistence
adapters feed it.
"""
