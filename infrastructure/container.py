"""The composition root: one dependency-injector container per application instance.

Adapters and use cases are singletons: they hold no per-request state (a use case opens its own
unit of work per call), so a request costs no object construction here. Each bounded context
has its own sub-container with the same name as its modules in every layer.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from application import catalog, identity
from application.pagination import CursorCodec
from infrastructure.migrations import DatabaseHealth
from infrastructure.persistence.catalog import SqlItemQueries
from infrastructure.persistence.database import create_engine, create_session_factory, read_engine
from infrastructure.persistence.identity import SqlUserQueries
from infrastructure.persistence.uow import SqlUnitOfWorkFactory
from infrastructure.security import Argon2PasswordHasher, JwtTokenService, SystemClock
from infrastructure.settings import Settings


class Core(containers.DeclarativeContainer):
    """Shared infrastructure every context's use cases are built from."""

    settings = providers.Dependency(instance_of=Settings)

    engine = providers.Singleton(create_engine, settings)
    read_engine = providers.Singleton(read_engine, engine)
    session_factory = providers.Singleton(create_session_factory, engine)
    uow = providers.Singleton(SqlUnitOfWorkFactory, session_factory)
    health = providers.Singleton(DatabaseHealth, read_engine)

    clock = providers.Singleton(SystemClock)
    hasher = providers.Singleton(Argon2PasswordHasher)
    tokens = providers.Singleton(
        JwtTokenService,
        secret_key=settings.provided.secret_key,
        expire_minutes=settings.provided.access_token_expire_minutes,
    )
    cursors = providers.Singleton(CursorCodec, settings.provided.secret_key)


class Identity(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()

    queries = providers.Singleton(SqlUserQueries, core.read_engine)

    sign_up = providers.Singleton(identity.SignUp, core.uow, core.hasher, core.clock)
    issue_token = providers.Singleton(identity.IssueToken, core.uow, core.hasher, core.tokens, core.clock)
    authenticate = providers.Singleton(identity.Authenticate, core.tokens, queries)
    update_me = providers.Singleton(identity.UpdateMe, core.uow, core.hasher, core.clock)
    update_user = providers.Singleton(identity.UpdateUser, core.uow, core.hasher, core.clock)
    replace_profile = providers.Singleton(identity.ReplaceProfile, core.uow, core.clock)
    delete_user = providers.Singleton(identity.DeleteUser, core.uow, core.clock)
    activate_users = providers.Singleton(identity.ActivateUsers, core.uow, core.clock)
    get_user = providers.Singleton(identity.GetUser, queries)
    list_users = providers.Singleton(identity.ListUsers, queries, core.cursors)
    user_stats = providers.Singleton(identity.GetUserStats, queries)
    create_superuser = providers.Singleton(identity.CreateSuperuser, core.uow, sign_up, core.clock)


class Catalog(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    identity = providers.DependenciesContainer()

    queries = providers.Singleton(SqlItemQueries, core.read_engine)

    create_item = providers.Singleton(catalog.CreateItem, core.uow, queries, core.clock)
    replace_item = providers.Singleton(catalog.ReplaceItem, core.uow, queries, core.clock)
    patch_item = providers.Singleton(catalog.PatchItem, core.uow, queries, core.clock)
    delete_item = providers.Singleton(catalog.DeleteItem, core.uow)
    transfer_item = providers.Singleton(catalog.TransferItem, core.uow, queries, core.clock)
    batch_create_items = providers.Singleton(catalog.BatchCreateItems, core.uow, core.clock)
    get_item = providers.Singleton(catalog.GetItem, queries)
    list_items = providers.Singleton(catalog.ListItems, queries, core.cursors)
    list_user_items = providers.Singleton(catalog.ListUserItems, identity.queries, list_items)
    list_tags = providers.Singleton(catalog.ListTags, queries, core.cursors)
    item_stats = providers.Singleton(catalog.GetItemStats, queries)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    identity = providers.Container(Identity, core=core)
    catalog = providers.Container(Catalog, core=core, identity=identity)
