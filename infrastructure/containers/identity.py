"""The identity context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import identity
from infrastructure.persistence.identity import SqlUserQueries


class Identity(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()

    queries = providers.Singleton(SqlUserQueries, core.reads)
    # Who is calling is read from the primary: a revoked token must stop working at once.
    primary_queries = providers.Singleton(SqlUserQueries, core.primary_reads)

    sign_up = providers.Singleton(identity.SignUp, core.transactions, core.hasher, core.clock)
    issue_token = providers.Singleton(
        identity.IssueToken, core.transactions, core.hasher, core.tokens, core.clock
    )
    authenticate = providers.Singleton(identity.Authenticate, core.tokens, primary_queries)
    update_me = providers.Singleton(identity.UpdateMe, core.transactions, core.hasher, core.clock)
    update_user = providers.Singleton(identity.UpdateUser, core.transactions, core.hasher, core.clock)
    replace_profile = providers.Singleton(identity.ReplaceProfile, core.transactions, core.clock)
    delete_user = providers.Singleton(identity.DeleteUser, core.transactions, core.clock)
    activate_users = providers.Singleton(identity.ActivateUsers, core.transactions, core.clock)
    get_user = providers.Singleton(identity.GetUser, queries)
    list_users = providers.Singleton(identity.ListUsers, queries, core.cursors)
    user_stats = providers.Singleton(identity.GetUserStats, queries)
    create_superuser = providers.Singleton(identity.CreateSuperuser, core.transactions, sign_up, core.clock)
    purge_login_throttle = providers.Singleton(identity.PurgeLoginThrottle, core.transactions, core.clock)
