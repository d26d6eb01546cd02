"""The teams context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import teams
from infrastructure.persistence.teams import SqlTeamQueries


class Teams(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()

    queries = providers.Singleton(SqlTeamQueries, core.reads)
    # A write answers with what it committed, read from the primary (read your own write).
    primary_queries = providers.Singleton(SqlTeamQueries, core.primary_reads)

    create_team = providers.Singleton(teams.CreateTeam, core.transactions, primary_queries)
    get_team = providers.Singleton(teams.GetTeam, queries)
    list_teams = providers.Singleton(teams.ListTeams, queries, core.cursors)
    patch_team = providers.Singleton(teams.PatchTeam, core.transactions, primary_queries)
    delete_team = providers.Singleton(teams.DeleteTeam, core.transactions)
    set_membership = providers.Singleton(teams.SetMembership, core.transactions, primary_queries)
    remove_membership = providers.Singleton(teams.RemoveMembership, core.transactions)
    create_hero = providers.Singleton(teams.CreateHero, core.transactions, primary_queries)
    get_hero = providers.Singleton(teams.GetHero, queries)
    list_heroes = providers.Singleton(teams.ListHeroes, queries, core.cursors)
    patch_hero = providers.Singleton(teams.PatchHero, core.transactions, primary_queries)
    delete_hero = providers.Singleton(teams.DeleteHero, core.transactions)
    team_stats = providers.Singleton(teams.GetTeamStats, queries)
