"""The cloud census against the moto server (orchestration.state.census): one account per test."""

from __future__ import annotations

import json

import pytest

from orchestration.state.aws import aws_client
from orchestration.state.census import CensusFailed, take_census
from shared.naming import stack_role_names, tags
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY
from tests.engine.emulated_account import new_account


@pytest.fixture
def account(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    keys = new_account(moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys.token)
    return keys.account_id


def test_the_census_groups_what_is_tagged_and_finds_roles_by_name(
    development: EnvironmentSettings, moto_url: str, account: str
) -> None:
    region = development.region
    ec2 = aws_client("ec2", region, moto_url)
    kms = aws_client("kms", region, moto_url)
    iam = aws_client("iam", region, moto_url)
    expected: dict[str, set[str]] = {}
    for project in TOPOLOGY.names:
        pairs = [{"Key": k, "Value": v} for k, v in tags(development, project).items()]
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc], Tags=pairs)
        expected[project] = {"ec2:vpc"}
        for name in stack_role_names(development, project):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({}))
            expected[project].add("iam:role")
        # A key pending deletion is gone, though AWS still lists it.
        key = kms.create_key(Tags=[{"TagKey": p["Key"], "TagValue": p["Value"]} for p in pairs])
        kms.schedule_key_deletion(KeyId=key["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    other = [{"Key": "Environment", "Value": "production"}, {"Key": "Project", "Value": "webapp"}]
    ec2.create_tags(Resources=[ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]], Tags=other)

    census = take_census(development, TOPOLOGY.names, endpoint=moto_url)

    for project in TOPOLOGY.names:
        assert {resource.kind for resource in census.of(project)} == expected[project], project
        assert all(account in resource.arn for resource in census.of(project))


def test_an_unreachable_cloud_is_one_line(development: EnvironmentSettings) -> None:
    with pytest.raises(
        CensusFailed, match=r"^the cloud census could not ask AWS \(tag:GetResources"
    ):
        take_census(development, TOPOLOGY.names, endpoint="http://127.0.0.1:9")
