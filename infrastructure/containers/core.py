"""Shared infrastructure every context's use cases are built from."""

from __future__ import annotations

from dependency_injector import containers, providers

from application.pagination import CursorCodec
from application.transactions import Transactions
from infrastructure.migrations import DatabaseHealth
from infrastructure.persistence.database import create_engine, create_session_factory, read_engine
from infrastructure.persistence.uow import SqlUnitOfWorkFactory
from infrastructure.security import Argon2PasswordHasher, JwtTokenService, SystemClock
from infrastructure.settings import Settings


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    engine = providers.Singleton(create_engine, settings)
    read_engine = providers.Singleton(read_engine, engine)
    session_factory = providers.Singleton(create_session_factory, engine)
    uow = providers.Singleton(SqlUnitOfWorkFactory, session_factory)
    # Every write use case runs through this: one unit of work, one commit, reruns on lost races.
    transactions = providers.Singleton(Transactions, uow)
    health = providers.Singleton(DatabaseHealth, read_engine)

    clock = providers.Singleton(SystemClock)
    hasher = providers.Singleton(Argon2PasswordHasher)
    tokens = providers.Singleton(
        JwtTokenService,
        secret_key=settings.provided.secret_key,
        expire_minutes=settings.provided.access_token_expire_minutes,
    )
    cursors = providers.Singleton(CursorCodec, settings.provided.secret_key)
