"""The teams context's query service and use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application import teams
from infrastructure.persistence.teams import SqlTeamQueries


class Teams(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()

    queries = providers.Singleton(SqlTeamQueries, core.read_engine)

    create_team = providers.Singleton(teams.CreateTeam, core.transactions, queries)
    get_team = providers.Singleton(teams.GetTeam, queries)
    list_teams = providers.Singleton(teams.ListTeams, queries, core.cursors)
    patch_team = providers.Singleton(teams.PatchTeam, core.transactions, queries)
    delete_team = providers.Singleton(teams.DeleteTeam, core.transactions)
    set_membership = providers.Singleton(teams.SetMembership, core.transactions, queries)
    remove_membership = providers.Singleton(teams.RemoveMembership, core.transactions)
    create_hero = providers.Singleton(teams.CreateHero, core.transactions, queries)
    get_hero = providers.Singleton(teams.GetHero, queries)
    list_heroes = providers.Singleton(teams.ListHeroes, queries, core.cursors)
    patch_hero = providers.Singleton(teams.PatchHero, core.transactions, queries)
    delete_hero = providers.Singleton(teams.DeleteHero, core.transactions)
    team_stats = providers.Singleton(teams.GetTeamStats, queries)
