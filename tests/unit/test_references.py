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
from shared.topology import TOPOLOGY, ContractError
from tests.topology_roles import LEAF, MIDDLE, ROOT, stack

# What the leaf reads from the root and from the middle project (declared in its contract).
ROOT_READ = TOPOLOGY.project(LEAF).requires[ROOT][0]
MIDDLE_READ = TOPOLOGY.project(LEAF).requires[MIDDLE][0]


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
            ROOT: {ROOT_READ: "arn:aws:kms:us-west-2:111111111111:key/k"},
            MIDDLE: {MIDDLE_READ: "bucket-1"},
        }
    )
    pulumi.runtime.set_mocks(
        double, project=LEAF, stack="development", preview=False, organization="organization"
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
    assert qualified_stack_name("organization", MIDDLE, "production") == stack(MIDDLE, "production")
    assert qualified_stack_name("acme", "web", "development") == "acme/web/development"


@pulumi.runtime.test
def test_reads_declared_outputs_through_one_reference_per_producer(
    mocks: RecordingStackReferenceMocks,
) -> pulumi.Output[Any]:
    upstream = UpstreamStacks(LEAF, "development")
    key = upstream.require(ROOT, ROOT_READ)
    bucket = upstream.require(MIDDLE, MIDDLE_READ)
    again = upstream.require(MIDDLE, MIDDLE_READ)

    def check(values: list[Any]) -> None:
        assert values[:2] == ["arn:aws:kms:us-west-2:111111111111:key/k", "bucket-1"]
        assert values[2] == values[1]
        assert sorted(mocks.referenced) == sorted([stack(ROOT), stack(MIDDLE)])

    return pulumi.Output.all(key, bucket, again).apply(check)


def test_undeclared_read_is_refused_before_any_reference(
    mocks: RecordingStackReferenceMocks,
) -> None:
    declared = TOPOLOGY.project(MIDDLE).requires[ROOT]
    undeclared = next(key for key in TOPOLOGY.project(ROOT).exports if key not in declared)
    upstream = UpstreamStacks(MIDDLE, "development")
    with pytest.raises(ContractError, match="does not declare"):
        upstream.require(ROOT, undeclared)
    assert mocks.referenced == []


def test_unknown_consumer_is_refused() -> None:
    with pytest.raises(ContractError, match="unknown project 'network'"):
        UpstreamStacks("network", "development")
