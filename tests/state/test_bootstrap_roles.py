"""`invoke bootstrap`'s IAM against moto: service-linked roles, OIDC provider, team roles."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from orchestration import state_commands
from orchestration.plan.cli import make_plan
from orchestration.roles.documents import team_roles
from orchestration.roles.split import split_policy
from orchestration.state.bootstrap.iam import SERVICE_LINKED_ROLES
from orchestration.state.bootstrap.judge import BOOTSTRAP_MARK
from orchestration.state.bootstrap.run import BootstrapRefused
from shared.settings import load_settings
from shared.topology import TOPOLOGY
from tests.moto_server import MOTO_ACCOUNT


def bootstrap(endpoint: str, *, check: bool = False, environment: str = "production") -> str:
    out = io.StringIO()
    code = state_commands.bootstrap(environment, endpoint=endpoint, check=check, out=out)
    return f"{code}\n{out.getvalue()}"


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    """The roles `invoke roles --account <moto's>` prints for production, by role name."""
    settings = load_settings("production")
    roles = team_roles(settings, make_plan("production"), account=MOTO_ACCOUNT)
    return {role.role_name: role for role in roles}


def attached_documents(iam: Any, role_name: str) -> list[Any]:
    documents = []
    for policy in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        found = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=policy["PolicyArn"], VersionId=found["DefaultVersionId"]
        )["PolicyVersion"]
        documents.append((policy["PolicyName"], version["Document"]))
    return [document for _name, document in sorted(documents)]


def service_roles(iam: Any) -> set[str]:
    return {
        role["Path"].split("/")[2]
        for role in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]
    }


def test_check_reports_the_missing_roles_and_creates_nothing(endpoint: str, aws: Any) -> None:
    report = bootstrap(endpoint, check=True)

    assert report.startswith("1\n")
    for service, name in SERVICE_LINKED_ROLES.values():
        assert f"missing      service-linked role {name} ({service})" in report
    for name in TOPOLOGY.names:
        team = TOPOLOGY.project(name).team
        assert f"missing      deploy role webapp-production-deploy-{team} (team {team})" in report
    assert "missing      OIDC provider token.actions.githubusercontent.com" in report
    assert aws("iam").list_roles()["Roles"] == []


def test_bootstrap_creates_the_roles_invoke_roles_prints(
    endpoint: str, aws: Any, expected: dict[str, Any]
) -> None:
    report = bootstrap(endpoint)

    assert report.startswith("0\n"), report
    iam = aws("iam")
    assert service_roles(iam) == {service for service, _ in SERVICE_LINKED_ROLES.values()}
    (provider,) = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])[
        "ClientIDList"
    ] == ["sts.amazonaws.com"]
    for name, role in expected.items():
        found = iam.get_role(RoleName=name)["Role"]
        assert found["AssumeRolePolicyDocument"] == role.trust_policy
        assert attached_documents(iam, name) == split_policy(role.policy)
        role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
        assert role_tags["ManagedBy"] == BOOTSTRAP_MARK
        assert f"created    deploy role {name}" in report


def test_a_second_run_changes_nothing(endpoint: str, aws: Any, expected: dict[str, Any]) -> None:
    bootstrap(endpoint)
    iam = aws("iam")
    before = {name: attached_documents(iam, name) for name in expected}

    again = bootstrap(endpoint)
    ready = bootstrap(endpoint, check=True)

    assert "Nothing changed: everything was already in place." in again
    assert "created" not in again
    assert ready.startswith("0\n"), ready
    assert {name: attached_documents(iam, name) for name in expected} == before
    for name in expected:
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            assert len(iam.list_policy_versions(PolicyArn=policy["PolicyArn"])["Versions"]) == 1


def test_what_differs_on_its_own_role_is_put_back(
    endpoint: str, aws: Any, expected: dict[str, Any]
) -> None:
    bootstrap(endpoint)
    iam = aws("iam")
    name, role = next(iter(expected.items()))
    iam.update_assume_role_policy(
        RoleName=name,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{MOTO_ACCOUNT}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    extra = iam.create_policy(
        PolicyName="too-much",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=extra)

    report = bootstrap(endpoint)

    assert f"changed    deploy role {name}" in report
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == role.trust_policy
    assert attached_documents(iam, name) == split_policy(role.policy)


def test_a_role_bootstrap_did_not_make_is_refused_and_nothing_changes(
    endpoint: str, aws: Any, expected: dict[str, Any]
) -> None:
    iam = aws("iam")
    name = next(iter(expected))
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )

    with pytest.raises(BootstrapRefused, match=f"deploy role {name} .* was not made by bootstrap"):
        bootstrap(endpoint)

    assert aws("s3").list_buckets()["Buckets"] == []
    assert service_roles(iam) == set()
    assert [role["RoleName"] for role in iam.list_roles()["Roles"]] == [name]


def test_development_needs_no_service_linked_role(endpoint: str, aws: Any) -> None:
    report = bootstrap(endpoint, environment="development")

    assert report.startswith("0\n"), report
    iam = aws("iam")
    assert service_roles(iam) == set()
    names = {role["RoleName"] for role in iam.list_roles()["Roles"]}
    teams = {TOPOLOGY.project(name).team for name in TOPOLOGY.names}
    assert names == {f"webapp-development-deploy-{team}" for team in teams}
