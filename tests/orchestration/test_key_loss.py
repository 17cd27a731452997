"""A KMS key removed, or scheduled for deletion, behind Pulumi's back (issue 21, items 11 and 12),
against the in-memory engine double and a KMS double.

The refresh reads such a key as gone, so the preview plans a create of a key the state records:
the deploy asks KMS about it and refuses to make a replacement (a key pending deletion can still
be recovered: the commands are printed), unless `--allow-delete`; the refusal and the allowance
name the consumer stacks that read the key's outputs (from the topology) and what to run next.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from orchestration.engine.interface import OperationResult, ResourceStep
from orchestration.runner import EXIT_OK, Orchestrator, Status
from orchestration.state.aws import KeyStatus, KeyUnreadable
from shared import aws_types as t
from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY
from tests.orchestration.engine_double import InMemoryEngine

ENDPOINT = "http://localhost:4566"
STACK = "pulumi:pulumi:Stack"
GOES_ON = datetime(2027, 1, 6, 22, 40, tzinfo=UTC)

# The project that exports a key, and its consumers that read an output naming that key.
HOLDER = next(
    name for name in TOPOLOGY.names if set(TOPOLOGY.project(name).exports) & KMS_KEY_ARN_EXPORTS
)


def _key_arn(engine: InMemoryEngine) -> str:
    return next(str(engine.exports[HOLDER][key]) for key in KMS_KEY_ARN_EXPORTS)


def _readers(engine: InMemoryEngine) -> list[str]:
    key_id = _key_arn(engine).rsplit("/", 1)[1]
    naming_it = {key for key, value in engine.exports[HOLDER].items() if key_id in str(value)}
    return [
        name
        for name in TOPOLOGY.consumers(HOLDER)
        if set(TOPOLOGY.project(name).requires[HOLDER]) & naming_it
    ]


class Kms:
    """A KMS double: the state of each key it knows, and every key it was asked about."""

    def __init__(self) -> None:
        self.keys: dict[str, KeyStatus] = {}
        self.asked: list[str] = []
        self.failure: KeyUnreadable | None = None

    def __call__(self, key: str) -> KeyStatus:
        self.asked.append(key)
        if self.failure is not None:
            raise self.failure
        return self.keys.get(key, KeyStatus(key, None))


@pytest.fixture
def engine() -> InMemoryEngine:
    double = InMemoryEngine()
    double.deploy_all()
    return double


@pytest.fixture
def kms() -> Kms:
    return Kms()


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def orchestrate(
    engine: InMemoryEngine, kms: Kms, development: EnvironmentSettings, out: io.StringIO
) -> Callable[..., Orchestrator]:
    def build(**options: object) -> Orchestrator:
        return Orchestrator(engine, development, out=out, read_key=kms, **options)  # type: ignore[arg-type]

    return build


def _urn(project: str, type_: str, name: str) -> str:
    return f"urn:pulumi:development::{project}::{type_}::{name}"


def _recreates(engine: InMemoryEngine, type_: str, name: str) -> None:
    """The state records the resource, the refresh reads it as gone: the preview creates it."""
    urn = _urn(HOLDER, type_, name)
    engine.stacks[HOLDER].resources[urn] = False
    declared = engine.exports[HOLDER]
    engine.plans[HOLDER] = OperationResult(
        changes={"create": 1, "same": 1},
        outputs=declared,
        steps=(ResourceStep("same", f"urn:{HOLDER}", STACK), ResourceStep("create", urn, type_)),
        previous_outputs=declared,
    )


def test_a_key_pending_deletion_is_not_replaced_and_its_recovery_is_printed(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator]
) -> None:
    _recreates(engine, t.KMS_KEY, "key")
    arn = _key_arn(engine)
    kms.keys[arn] = KeyStatus(arn, "PendingDeletion", GOES_ON)

    report = orchestrate().deploy(yes=True)

    assert report.outcome(HOLDER).status is Status.FAILED
    assert engine.ops("up") == []
    assert kms.asked == [arn]
    detail = report.outcome(HOLDER).detail
    key_id = arn.rsplit("/", 1)[1]
    assert f"KMS key {arn} is pending deletion until 2027-01-06 22:40 UTC" in detail
    region = arn.split(":")[3]
    assert f"`aws kms cancel-key-deletion --key-id {key_id} --region {region}`" in detail
    assert f"`aws kms enable-key --key-id {key_id} --region {region}`" in detail
    assert "a cancelled key comes back Disabled" in detail
    assert f"{', '.join(_readers(engine))} read" in detail
    assert "`invoke deploy --env development`" in detail
    assert f"`invoke deploy --env development --project {HOLDER} --allow-delete`" in detail


def test_a_key_gone_from_kms_is_not_replaced_without_allow_delete(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator]
) -> None:
    _recreates(engine, t.KMS_KEY, "key")
    arn = _key_arn(engine)

    report = orchestrate().deploy(HOLDER, yes=True)

    assert report.outcome(HOLDER).status is Status.FAILED
    assert engine.ops("up") == []
    detail = report.outcome(HOLDER).detail
    assert f"KMS key {arn} no longer exists" in detail
    assert "cancel-key-deletion" not in detail
    assert f"{', '.join(_readers(engine))} read" in detail
    assert f"`invoke deploy --env development --project {HOLDER} --allow-delete`" in detail


def test_an_allowed_replacement_names_each_consumer_and_the_deploy_it_needs(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator], out: io.StringIO
) -> None:
    _recreates(engine, t.KMS_KEY, "key")

    report = orchestrate().deploy(HOLDER, yes=True, allow_delete=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [HOLDER]
    printed = out.getvalue()
    assert "--allow-delete: a new KMS key replaces" in printed
    for reader in _readers(engine):
        assert f"`invoke deploy --env development --project {reader}`" in printed


def test_an_allowed_replacement_in_a_whole_deploy_says_the_consumers_follow(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator], out: io.StringIO
) -> None:
    _recreates(engine, t.KMS_KEY, "key")
    arn = _key_arn(engine)
    kms.keys[arn] = KeyStatus(arn, "PendingDeletion", GOES_ON)

    report = orchestrate(max_workers=1).deploy(yes=True, allow_delete=True)

    assert report.exit_code == EXIT_OK
    printed = out.getvalue()
    readers = _readers(engine)
    assert f"this run deploys {', '.join(readers)} next" in printed
    assert "pending deletion until 2027-01-06 22:40 UTC" in printed


def test_kms_out_of_reach_refuses_and_says_how_to_look(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator]
) -> None:
    _recreates(engine, t.KMS_KEY, "key")
    kms.failure = KeyUnreadable("KMS DescribeKey of the key failed: connection refused")

    report = orchestrate(endpoint=ENDPOINT).deploy(HOLDER, yes=True)

    assert engine.ops("up") == []
    detail = report.outcome(HOLDER).detail
    assert "KMS DescribeKey of the key failed: connection refused" in detail
    assert f"--endpoint-url {ENDPOINT}" in detail
    assert f"--allow-delete --endpoint {ENDPOINT}`" in detail


def test_a_bucket_deleted_behind_pulumis_back_is_still_repaired_without_asking_kms(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator]
) -> None:
    _recreates(engine, t.BUCKET, "data")

    report = orchestrate().deploy(HOLDER, yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [HOLDER]
    assert kms.asked == []


def test_a_key_new_to_the_program_is_created_without_asking_kms(
    engine: InMemoryEngine, kms: Kms, orchestrate: Callable[..., Orchestrator]
) -> None:
    _recreates(engine, t.KMS_KEY, "second-key")
    # A key the program adds is not in the state yet.
    del engine.stacks[HOLDER].resources[_urn(HOLDER, t.KMS_KEY, "second-key")]

    report = orchestrate().deploy(HOLDER, yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [HOLDER]
    assert kms.asked == []
