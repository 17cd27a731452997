"""Plans and roles of every shipped environment, made once per session."""

from __future__ import annotations

import pytest

from orchestration.plan.cli import make_plan
from orchestration.plan.environment import EnvironmentPlan
from orchestration.roles.documents import TeamRole, team_roles
from shared.settings import known_environments, load_settings


@pytest.fixture(scope="session")
def plans() -> dict[str, EnvironmentPlan]:
    return {environment: make_plan(environment) for environment in known_environments()}


@pytest.fixture(scope="session")
def roles(plans: dict[str, EnvironmentPlan]) -> dict[str, list[TeamRole]]:
    """Every environment's team roles, as `invoke roles` makes them (account unknown)."""
    return {
        environment: team_roles(load_settings(environment), plan)
        for environment, plan in plans.items()
    }
