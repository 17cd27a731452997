"""Every team's deploy role may take the cloud census its runs take (orchestration.state.census)."""

from __future__ import annotations

from orchestration.plan.environment import EnvironmentPlan
from orchestration.roles.documents import TeamRole
from shared import aws_types as t
from shared.naming import stack_role_names
from shared.settings import load_settings
from shared.topology import TOPOLOGY


def _allowed(role: TeamRole, action: str) -> list[str]:
    resources: list[str] = []
    for statement in role.policy["Statement"]:
        actions = statement["Action"]
        if action in ([actions] if isinstance(actions, str) else actions):
            found = statement["Resource"]
            resources += [found] if isinstance(found, str) else found
    return resources


def test_every_team_may_list_the_resources_tagged_for_its_stacks(
    roles: dict[str, list[TeamRole]],
) -> None:
    for environment, team_roles in roles.items():
        assert {role.team for role in team_roles} == {
            TOPOLOGY.project(name).team for name in TOPOLOGY.names
        }
        for role in team_roles:
            assert _allowed(role, "tag:GetResources") == ["*"], (environment, role.team)


def test_the_census_looks_up_exactly_the_roles_each_program_creates(
    plans: dict[str, EnvironmentPlan], roles: dict[str, list[TeamRole]]
) -> None:
    for environment, plan in plans.items():
        settings = load_settings(environment)
        teams = {role.team: role for role in roles[environment]}
        for stack in plan.stacks:
            created = {
                resource.props["name"]
                for resource in stack.resources
                if resource.type == t.IAM_ROLE
            }
            names = stack_role_names(settings, stack.project)
            assert set(names) == created, (environment, stack.project)
            readable = " ".join(
                _allowed(teams[TOPOLOGY.project(stack.project).team], "iam:GetRole")
            )
            for name in names:
                assert f":role/{name}" in readable, (environment, name)
