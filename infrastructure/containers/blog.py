"""The blog context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import blog
from infrastructure.persistence.blog import SqlPostQueries


class Blog(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    identity = providers.DependenciesContainer()

    queries = providers.Singleton(SqlPostQueries, core.reads)
    # A write answers with what it committed, read from the primary (read your own write).
    primary_queries = providers.Singleton(SqlPostQueries, core.primary_reads)

    create_post = providers.Singleton(blog.CreatePost, core.transactions, primary_queries, core.clock)
    patch_post = providers.Singleton(blog.PatchPost, core.transactions, primary_queries, core.clock)
    delete_post = providers.Singleton(blog.DeletePost, core.transactions)
    get_post = providers.Singleton(blog.GetPost, queries)
    list_posts = providers.Singleton(blog.ListPosts, queries, core.cursors)
    list_user_posts = providers.Singleton(blog.ListUserPosts, identity.queries, list_posts)
    author_stats = providers.Singleton(blog.GetAuthorStats, queries)
