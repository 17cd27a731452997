"""The generated team policies: linted clean, scoped, and each team's own types only."""

from __future__ import annotations

import gc
import json
import warnings
from typing import Any

import pytest

from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.roles.actions import TYPE_ACTIONS
from orchestration.roles.authorization import facts
from orchestration.roles.documents import TeamRole
from orchestration.roles.grants import RolesError
from orchestration.roles.policy import project_grants
from orchestration.roles.state_access import READ_OBJECTS, USE_KEY, WRITE_OBJECTS
from program.policy import Resource
from shared import aws_types as t
from shared.settings import load_settings
from shared.topology import TOPOLOGY

with warnings.catch_warnings():
    # parliament loads its data through pkg_resources, which warns of its own deprecation, and
    # leaves its data files open: collected here, their warnings stay inside this block.
    warnings.simplefilter("ignore")
    from parliament import analyze_policy_string

    gc.collect()


def _statements(role: TeamRole) -> list[dict[str, Any]]:
    return list(role.policy["Statement"])


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _actions(role: TeamRole) -> set[str]:
    return {action for s in _statements(role) for action in _listed(s["Action"])}


def _types_of(stack: StackPlan) -> set[str]:
    return {r.type for r in stack.resources if t.is_aws_resource(r.type)}


def test_every_team_has_a_role_in_every_environment(roles: dict[str, list[TeamRole]]) -> None:
    teams = {TOPOLOGY.project(name).team for name in TOPOLOGY.names}
    for environment, found in roles.items():
        assert {role.team for role in found} == teams, environment
        for role in found:
            assert role.role_name.startswith(f"webapp-{environment}-deploy-")


def test_parliament_reports_nothing_on_any_permission_policy(
    roles: dict[str, list[TeamRole]],
) -> None:
    # parliament lints identity policies; a trust policy (no Resource) is checked below.
    for environment, found in roles.items():
        for role in found:
            analyzed = analyze_policy_string(json.dumps(role.policy))
            findings = [(f.issue, f.detail) for f in analyzed.findings]
            assert findings == [], f"{environment} {role.team}: {findings}"


def test_trust_is_this_repositorys_jobs_in_the_environment(
    roles: dict[str, list[TeamRole]],
) -> None:
    for environment, found in roles.items():
        for role in found:
            (statement,) = role.trust_policy["Statement"]
            assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
            assert statement["Condition"]["StringEquals"] == {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": (
                    f"repo:webapp-org/webapp-infra:environment:{environment}"
                ),
            }


def test_no_star_resource_for_an_action_with_resource_types(
    roles: dict[str, list[TeamRole]],
) -> None:
    for environment, found in roles.items():
        for role in found:
            for statement in _statements(role):
                if "*" not in _listed(statement["Resource"]):
                    continue
                scoped = [a for a in _listed(statement["Action"]) if facts(a).resource_rows]
                assert scoped == [], f"{environment} {role.team}: {scoped} on *"


def test_a_team_never_gets_another_teams_types(
    plans: dict[str, EnvironmentPlan], roles: dict[str, list[TeamRole]]
) -> None:
    # The state's object and key actions are every team's, on its own prefixes (tested below).
    shared = {*READ_OBJECTS, *WRITE_OBJECTS, *USE_KEY}
    for environment, plan in plans.items():
        for role in roles[environment]:
            own = set().union(*(_types_of(s) for s in plan.stacks if s.project in role.projects))
            mine = {a for type_ in own for a in TYPE_ACTIONS[type_].actions}
            others = {
                action
                for stack in plan.stacks
                if stack.project not in role.projects
                for type_ in _types_of(stack) - own
                for action in TYPE_ACTIONS[type_].write + TYPE_ACTIONS[type_].delete
            }
            leaked = sorted((others - mine - shared) & _actions(role))
            assert leaked == [], f"{environment} {role.team} may {leaked}"


def test_a_team_reaches_no_other_projects_resources(
    plans: dict[str, EnvironmentPlan], roles: dict[str, list[TeamRole]]
) -> None:
    for environment, plan in plans.items():
        for role in roles[environment]:
            other_names = {
                str(value)
                for stack in plan.stacks
                if stack.project not in role.projects
                for resource in stack.resources
                for key in ("bucket", "name")
                if isinstance(value := resource.props.get(key), str) and "webapp" in value
            }
            text = json.dumps(role.policy)
            for name in other_names:
                assert name.replace("111122223333", "*") not in text, (role.team, name)
            for statement in _statements(role):
                for operator, keys in statement.get("Condition", {}).items():
                    component = keys.get("aws:RequestTag/Component")
                    if component is not None:
                        assert component in role.projects, (role.team, statement["Sid"])
                    tagged = keys.get("aws:ResourceTag/Component")
                    if tagged is not None and "kms:ViaService" not in keys:
                        assert tagged in {*role.projects, "state"}, (role.team, operator)


def test_the_issues_examples_web_cannot_change_the_key_data_cannot_touch_ec2(
    roles: dict[str, list[TeamRole]],
) -> None:
    for found in roles.values():
        by_project = {project: role for role in found for project in role.projects}
        key_owner = by_project["security"]
        assert "kms:PutKeyPolicy" in _actions(key_owner)
        for project in ("storage", "compute"):
            assert "kms:PutKeyPolicy" not in _actions(by_project[project])
        assert not any(a.startswith("ec2:") for a in _actions(by_project["storage"]))


def test_named_resources_are_the_plans_names(roles: dict[str, list[TeamRole]]) -> None:
    found = {role.team: role for role in roles["production"]}
    resources = {r for s in _statements(found["data"]) for r in _listed(s["Resource"])}
    assert "arn:aws:s3:::webapp-production-data-*-us-west-2" in resources
    assert not any(
        "state" in r and "/" not in r.split(":::")[1]
        for r in resources - {"arn:aws:s3:::webapp-production-state-*-us-west-2"}
    )
    web = _statements(found["web"])
    passes = [s for s in web if s["Action"] == ["iam:PassRole"]]
    assert {s["Resource"] for s in passes} == {
        "arn:aws:iam::*:role/webapp-production-web",
        "arn:aws:iam::*:role/webapp-production-flow-logs",
    }
    services = {s["Condition"]["StringEquals"]["iam:PassedToService"] for s in passes}
    assert services == {"ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"}


def test_state_access_is_the_projects_own_prefixes(roles: dict[str, list[TeamRole]]) -> None:
    for role in roles["production"]:
        writes = {
            r
            for s in _statements(role)
            if "s3:PutObject" in _listed(s["Action"])
            for r in _listed(s["Resource"])
            if "-state-" in r
        }
        (project,) = role.projects
        assert writes, role.team
        for resource in writes:
            assert f"/{project}/" in resource, (role.team, resource)


def test_key_used_through_a_service_only(roles: dict[str, list[TeamRole]]) -> None:
    web = next(r for r in roles["production"] if "compute" in r.projects)
    through = [
        s
        for s in _statements(web)
        if "kms:ViaService" in s.get("Condition", {}).get("StringEquals", {})
    ]
    assert through
    assert {s["Condition"]["StringEquals"]["kms:ViaService"] for s in through} == {
        "logs.us-west-2.amazonaws.com"
    }
    development_web = next(r for r in roles["development"] if "compute" in r.projects)
    ebs = [s for s in _statements(development_web) if "kms:CreateGrant" in s["Action"]]
    assert ebs
    assert ebs[0]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_a_type_without_a_row_is_refused_naming_it() -> None:
    stack = StackPlan(
        project="compute",
        stack="organization/compute/development",
        resources=(Resource(type="aws:sqs/queue:Queue", name="q", props={}),),
        outputs={},
    )
    with pytest.raises(RolesError, match=r"aws:sqs/queue:Queue, which has no row"):
        project_grants(load_settings("development"), stack)


def test_a_call_without_a_row_is_refused_naming_it() -> None:
    stack = StackPlan(
        project="compute",
        stack="organization/compute/development",
        resources=(),
        outputs={},
        calls=(("aws:ec2/getVpc:getVpc", {}),),
    )
    with pytest.raises(RolesError, match=r"aws:ec2/getVpc:getVpc, which has no row"):
        project_grants(load_settings("development"), stack)


def test_the_plan_records_the_programs_calls(plans: dict[str, EnvironmentPlan]) -> None:
    compute = next(s for s in plans["production"].stacks if s.project == "compute")
    tokens = {token for token, _arguments in compute.calls}
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" in tokens
