"""Shared infrastructure every context's use cases are built from."""

from __future__ import annotations

from dependency_injector import containers, providers

from application.pagination import CursorCodec
from application.transactions import Transactions
from infrastructure.migrations import DatabaseHealth
from infrastructure.persistence.database import (
    ReadPath,
    autocommit,
    create_engine,
    create_replica_engine,
    create_session_factory,
    dispose_engines,
)
from infrastructure.persistence.turns import engine_turns
from infrastructure.persistence.uow import SqlUnitOfWorkFactory
from infrastructure.security import Argon2PasswordHasher, JwtTokenService, SystemClock
from infrastructure.settings import Settings


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    engine = providers.Singleton(create_engine, settings)
    primary_engine = providers.Singleton(autocommit, engine, settings.provided.db_pgbouncer)
    replica_engine = providers.Singleton(create_replica_engine, settings)
    # Query services read here: the replica (DATABASE_READ_URL) when it answers, else the primary.
    reads = providers.Singleton(
        ReadPath,
        primary_engine,
        replica_engine,
        settings.provided.db_read_fallback_seconds,
        settings=settings,
    )
    # A write's own view and the caller's identity: the primary only (read your own write; a
    # revoked token stops working at once, whatever the replica's lag).
    primary_reads = providers.Singleton(ReadPath, primary_engine, settings=settings)
    # Awaited at shutdown: every pool of the primary and the replica closed.
    dispose = providers.Callable(dispose_engines, engine, replica_engine)
    session_factory = providers.Singleton(create_session_factory, engine)
    # Connections are handed out in arrival order (infrastructure/persistence/turns.py).
    turns = providers.Singleton(engine_turns, engine, settings.provided.db_pool_timeout)
    uow = providers.Singleton(SqlUnitOfWorkFactory, session_factory, turns)
    # Every write use case runs through this: one unit of work, one commit, reruns on lost races.
    transactions = providers.Singleton(Transactions, uow)
    health = providers.Singleton(DatabaseHealth, primary_engine)

    clock = providers.Singleton(SystemClock)
    hasher = providers.Singleton(
        Argon2PasswordHasher, concurrency=settings.provided.password_hash_concurrency
    )
    tokens = providers.Singleton(
        JwtTokenService,
        secret_key=settings.provided.secret_key,
        expire_minutes=settings.provided.access_token_expire_minutes,
    )
    cursors = providers.Singleton(CursorCodec, settings.provided.secret_key)
