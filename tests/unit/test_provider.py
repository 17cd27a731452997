"""The explicit AWS provider: region from settings, default tags, optional emulator."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from orchestration.plan.environment import EnvironmentPlan
from program.provider import EMULATOR_ENDPOINT_ENV, aws_provider, emulator_endpoint
from shared.settings import EnvironmentSettings


class ProviderRecordingMocks(pulumi.runtime.Mocks):
    """Test double: records the inputs of every registered resource."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[args.typ] = args.inputs
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> ProviderRecordingMocks:
    double = ProviderRecordingMocks()
    pulumi.runtime.set_mocks(
        double, project="security", stack="development", preview=False, organization="organization"
    )
    return double


@pulumi.runtime.test
def test_provider_takes_region_and_tags_from_settings(
    mocks: ProviderRecordingMocks,
    development: EnvironmentSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> pulumi.Output[Any]:
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    provider = aws_provider(development, "security")

    def check(_: Any) -> None:
        inputs = mocks.inputs["pulumi:providers:aws"]
        assert inputs["region"] == "us-west-2"
        tags = json.loads(inputs["defaultTags"])["tags"]
        assert tags["Component"] == "security"
        assert tags["ManagedBy"] == "pulumi"
        assert tags["Environment"] == "development"
        assert "endpoints" not in inputs
        # Development declares no account: the provider works in the caller's.
        assert "allowedAccountIds" not in inputs

    return provider.id.apply(check)


@pulumi.runtime.test
def test_the_provider_refuses_any_account_but_the_declared_one(
    mocks: ProviderRecordingMocks, production: EnvironmentSettings
) -> pulumi.Output[Any]:
    # So plain `pulumi up` in a project folder, with another account's credentials, refuses too.
    provider = aws_provider(production, "security")

    def check(_: Any) -> None:
        inputs = mocks.inputs["pulumi:providers:aws"]
        assert json.loads(inputs["allowedAccountIds"]) == ["123456789012"]

    return provider.id.apply(check)


@pulumi.runtime.test
def test_at_an_emulator_the_declared_account_is_checked_against_its_sts(
    mocks: ProviderRecordingMocks, production: EnvironmentSettings
) -> pulumi.Output[Any]:
    # The provider compares allowedAccountIds with the account it asks STS for; skipping that
    # request would leave it no account to allow.
    provider = aws_provider(production, "security", endpoint="http://127.0.0.1:4566")

    def check(_: Any) -> None:
        inputs = mocks.inputs["pulumi:providers:aws"]
        assert json.loads(inputs["allowedAccountIds"]) == ["123456789012"]
        assert inputs["skipRequestingAccountId"] == "false"

    return provider.id.apply(check)


# The provider's endpoint name for each pulumi-aws module our types come from.
ENDPOINT_OF_MODULE = {
    "acm": "acm",
    "alb": "elbv2",
    "autoscaling": "autoscaling",
    "cloudwatch": "cloudwatchlogs",
    "ec2": "ec2",
    "iam": "iam",
    "kms": "kms",
    "lb": "elbv2",
    "s3": "s3",
    "ssm": "ssm",
    "vpc": "ec2",
}


@pulumi.runtime.test
def test_emulator_endpoint_covers_the_services_we_use(
    mocks: ProviderRecordingMocks,
    development: EnvironmentSettings,
    development_plan: EnvironmentPlan,
    production_plan: EnvironmentPlan,
) -> pulumi.Output[Any]:
    provider = aws_provider(development, "storage", endpoint="http://127.0.0.1:4566")
    planned = {
        resource.type.split(":")[1].split("/")[0]
        for plan in (development_plan, production_plan)
        for stack in plan.stacks
        for resource in stack.resources
        if resource.type.startswith("aws:")
    }
    # The provider's own calls (caller identity, the census) go to these too.
    needed = {ENDPOINT_OF_MODULE[module] for module in planned} | {"sts"}

    def check(_: Any) -> None:
        inputs = mocks.inputs["pulumi:providers:aws"]
        assert inputs["region"] == "us-west-2"
        assert inputs["skipCredentialsValidation"] == "true"
        assert inputs["skipRequestingAccountId"] == "true"
        (endpoints,) = json.loads(inputs["endpoints"])
        assert set(endpoints.values()) == {"http://127.0.0.1:4566"}
        assert needed <= set(endpoints), needed - set(endpoints)

    return provider.id.apply(check)


def test_emulator_endpoint_comes_only_from_its_own_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(EMULATOR_ENDPOINT_ENV, raising=False)
    assert emulator_endpoint() is None
    monkeypatch.setenv(EMULATOR_ENDPOINT_ENV, "http://localhost:4566")
    assert emulator_endpoint() == "http://localhost:4566"
