"""Stack references: fully qualified names per backend, and reads limited to the contract."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from shared.references import (
    UpstreamStacks,
    is_diy_backend,
    organization_for,
    qualified_stack_name,
)
from shared.topology import BUCKET_NAME, COMPUTE, KMS_KEY_ARN, SECURITY, STORAGE, ContractError


class RecordingStackReferenceMocks(pulumi.runtime.Mocks):
    """Test double: answers StackReferences with fixed outputs and records their names."""

    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self.outputs = outputs
        self.referenced: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            self.referenced.append(args.name)
            project = args.name.split("/")[1]
            return args.name, {"name": args.name, "outputs": self.outputs.get(project, {})}
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> RecordingStackReferenceMocks:
    double = RecordingStackReferenceMocks(
        {
            SECURITY: {KMS_KEY_ARN: "arn:aws:kms:us-west-2:111111111111:key/k"},
            STORAGE: {BUCKET_NAME: "bucket-1"},
        }
    )
    pulumi.runtime.set_mocks(
        double, project=COMPUTE, stack="development", preview=False, organization="organization"
    )
    return double


@pytest.mark.parametrize(
    ("url", "diy"),
    [
        ("file:///tmp/state", True),
        ("s3://bucket/prefix", True),
        ("gs://b", True),
        ("azblob://c", True),
        ("https://api.pulumi.com", False),
    ],
)
def test_backend_kinds(url: str, diy: bool) -> None:
    assert is_diy_backend(url) is diy


def test_organization_per_backend() -> None:
    assert organization_for("file:///tmp/state") == "organization"
    assert organization_for("s3://state", "acme") == "organization"
    assert organization_for("https://api.pulumi.com", "acme") == "acme"
    with pytest.raises(ValueError, match="set PULUMI_ORGANIZATION"):
        organization_for("https://api.pulumi.com")


def test_qualified_stack_name() -> None:
    assert qualified_stack_name("organization", STORAGE, "production") == (
        "organization/storage/production"
    )


@pulumi.runtime.test
def test_reads_declared_outputs_through_one_reference_per_producer(
    mocks: RecordingStackReferenceMocks,
) -> pulumi.Output[Any]:
    upstream = UpstreamStacks(COMPUTE, "development")
    key = upstream.require(SECURITY, KMS_KEY_ARN)
    bucket = upstream.require(STORAGE, BUCKET_NAME)
    again = upstream.require(STORAGE, BUCKET_NAME)

    def check(values: list[Any]) -> None:
        assert values[:2] == ["arn:aws:kms:us-west-2:111111111111:key/k", "bucket-1"]
        assert values[2] == values[1]
        assert sorted(mocks.referenced) == [
            "organization/security/development",
            "organization/storage/development",
        ]

    return pulumi.Output.all(key, bucket, again).apply(check)


def test_undeclared_read_is_refused_before_any_reference(
    mocks: RecordingStackReferenceMocks,
) -> None:
    upstream = UpstreamStacks(STORAGE, "development")
    with pytest.raises(ContractError, match="does not declare"):
        upstream.require(SECURITY, "kms_key_id")
    assert mocks.referenced == []


def test_unknown_consumer_is_refused() -> None:
    with pytest.raises(ContractError, match="unknown project 'network'"):
        UpstreamStacks("network", "development")
