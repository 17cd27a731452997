"""Nothing lost, nothing orphaned (issue 11) against the in-memory engine double: the update
guard, refresh-by-default, lost state, pending creates, kills and the follow-up hints."""

from __future__ import annotations

import io

import pytest

from orchestration.engine.interface import (
    EngineKilled,
    OperationResult,
    PendingCreate,
    ResourceStep,
)
from orchestration.runner import (
    EXIT_DRIFT,
    EXIT_FAILED,
    EXIT_OK,
    Orchestrator,
    PreflightError,
    StateLost,
    Status,
)
from program.policy import Resource, StackView, rule_by_id
from shared import aws_types as t
from shared.aws_types import BUCKET, KMS_KEY, STATEFUL_TYPES, import_id
from shared.settings import EnvironmentSettings
from shared.topology import COMPUTE, SECURITY, STORAGE
from tests.orchestration.engine_double import InMemoryEngine

ENDPOINT = "http://localhost:4566"
STACK = "pulumi:pulumi:Stack"


@pytest.fixture
def engine() -> InMemoryEngine:
    double = InMemoryEngine()
    double.deploy_all()
    return double


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def orchestrator(
    engine: InMemoryEngine, development: EnvironmentSettings, out: io.StringIO
) -> Orchestrator:
    return Orchestrator(engine, development, out=out)


def plan(
    project: str, *steps: tuple[str, str, str], outputs: dict | None = None
) -> OperationResult:
    """A preview of `project` with these (op, type, name) steps, exporting what it declares."""
    declared = InMemoryEngine().exports[project]
    resource_steps = [
        ResourceStep(op, f"urn:pulumi:development::{project}::{type_}::{name}", type_)
        for op, type_, name in steps
    ]
    changes: dict[str, int] = {}
    for step in resource_steps:
        changes[step.op] = changes.get(step.op, 0) + 1
    return OperationResult(
        changes=changes,
        outputs=declared if outputs is None else outputs,
        steps=(ResourceStep("same", f"urn:{project}", STACK), *resource_steps),
        previous_outputs=declared,
    )


# ---- deploy: preview first, update only what changes, refresh by default -------------------


def test_a_deploy_without_changes_previews_each_stack_and_updates_none(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    report = orchestrator.deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("preview") == [SECURITY, STORAGE, COMPUTE]
    assert engine.ops("up") == []
    assert report.outcome(STORAGE).changes == {"same": 3}
    # Drift is only seen when the cloud is read first.
    assert engine.refreshed[("preview", STORAGE)] is True


def test_a_stack_with_changes_is_updated_after_its_preview_with_a_refresh(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[STORAGE] = plan(STORAGE, ("update", BUCKET, "data"))

    report = orchestrator.deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [STORAGE]
    assert engine.refreshed[("up", STORAGE)] is True


def test_changed_outputs_alone_need_an_update(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    outputs = {**engine.exports[SECURITY], "kms_alias_name": "alias/renamed"}
    engine.plans[SECURITY] = plan(SECURITY, ("same", KMS_KEY, "key"), outputs=outputs)

    orchestrator.deploy(SECURITY, yes=True)

    assert engine.ops("up") == [SECURITY]


def test_a_new_stack_is_created_without_a_preview(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    fresh = InMemoryEngine()

    report = Orchestrator(fresh, development, out=out).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert fresh.ops("preview") == []
    assert fresh.ops("up") == [SECURITY, STORAGE, COMPUTE]


def test_no_refresh_says_what_it_costs(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.plans[SECURITY] = plan(SECURITY, ("update", KMS_KEY, "key"))

    orchestrator.deploy(SECURITY, yes=True, refresh=False)

    assert engine.refreshed[("preview", SECURITY)] is False
    assert engine.refreshed[("up", SECURITY)] is False
    assert "drift (a deleted bucket, a changed key setting) is neither seen nor repaired" in (
        out.getvalue()
    )


# ---- the update guard -----------------------------------------------------------------------


def _exits_early(project: str) -> OperationResult:
    """What Pulumi plans for a program that registers nothing: every resource deleted."""
    return plan(
        project,
        ("delete", BUCKET, "webapp-development-data"),
        ("delete", t.BUCKET_VERSIONING, "webapp-development-data"),
        ("delete", "pulumi:providers:aws", "aws"),
        ("discard", "pulumi:pulumi:StackReference", "security"),
        outputs={},
    )


def test_a_program_that_registers_nothing_is_refused_with_what_would_go(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[STORAGE] = _exits_early(STORAGE)

    report = orchestrator.deploy(yes=True)

    assert report.statuses() == {
        SECURITY: Status.SUCCEEDED,
        STORAGE: Status.FAILED,
        COMPUTE: Status.SKIPPED,
    }
    detail = report.outcome(STORAGE).detail
    assert detail.startswith("refused, nothing was changed in this stack:")
    assert "it would delete every resource of the stack (2)" in detail
    assert f"delete {BUCKET} webapp-development-data" in detail
    assert (
        "would no longer export bucket_name, bucket_arn, log_bucket_name, which compute reads"
        in detail
    )
    assert (
        "`invoke deploy --env development --project storage --allow-delete` (the missing "
        "outputs must be restored either way)" in detail
    )
    assert STORAGE not in engine.ops("up")


def test_allow_delete_never_drops_outputs_consumers_read(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[STORAGE] = _exits_early(STORAGE)

    report = orchestrator.deploy(STORAGE, yes=True, allow_delete=True)

    detail = report.outcome(STORAGE).detail
    assert report.exit_code == EXIT_FAILED
    assert "would no longer export bucket_name, bucket_arn, log_bucket_name" in detail
    assert "delete every resource" not in detail
    assert "--allow-delete" not in detail
    assert engine.ops("up") == []


@pytest.mark.parametrize(
    ("steps", "listed"),
    [
        pytest.param(
            [("replace", KMS_KEY, "key"), ("create-replacement", KMS_KEY, "key")],
            f"replace {KMS_KEY} key",
            id="key-replaced",
        ),
        pytest.param(
            [("delete", BUCKET, "logs"), ("same", BUCKET, "data")],
            f"delete {BUCKET} logs",
            id="bucket-deleted",
        ),
    ],
)
def test_deleting_or_replacing_keys_and_buckets_needs_allow_delete(
    engine: InMemoryEngine, orchestrator: Orchestrator, steps: list, listed: str
) -> None:
    project = SECURITY if steps[0][1] == KMS_KEY else STORAGE
    engine.plans[project] = plan(project, *steps)

    refused = orchestrator.deploy(project, yes=True)
    allowed = orchestrator.deploy(project, yes=True, allow_delete=True)

    detail = refused.outcome(project).detail
    assert "resources that hold data or keys" in detail
    assert listed in detail
    assert "delete every resource" not in detail
    assert allowed.exit_code == EXIT_OK
    assert engine.ops("up") == [project]


def test_other_deletions_pass_the_guard(engine: InMemoryEngine, orchestrator: Orchestrator) -> None:
    engine.plans[COMPUTE] = plan(COMPUTE, ("delete", t.INSTANCE, "web-2"), ("same", t.VPC, "n"))

    report = orchestrator.deploy(COMPUTE, yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [COMPUTE]


UNDESCRIBED = "aws:dynamodb/table:Table"  # a type the table has no row for (yet)


def test_a_type_no_row_marks_stateless_is_guarded_like_data(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[COMPUTE] = plan(COMPUTE, ("replace", UNDESCRIBED, "jobs"), ("same", t.VPC, "n"))

    report = orchestrator.deploy(COMPUTE, yes=True)

    assert report.exit_code != EXIT_OK
    assert f"replace {UNDESCRIBED} jobs" in report.outcome(COMPUTE).detail
    assert engine.ops("up") == []


def test_production_protects_the_types_that_hold_data_and_undescribed_ones(
    production: EnvironmentSettings,
) -> None:
    rule = rule_by_id("production-protect-data")
    view = StackView(production, [])
    for type_, guarded in (
        *((type_, True) for type_ in STATEFUL_TYPES),
        (UNDESCRIBED, True),
        (t.VPC, False),
        (t.STACK_REFERENCE, False),
    ):
        found = rule.violations(Resource(type_, "r", urn=f"urn:{type_}"), view)
        assert bool(found) is guarded, type_


# ---- lost state -----------------------------------------------------------------------------


def test_a_producer_whose_state_is_lost_is_not_recreated(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.lose_state(SECURITY)
    engine.restore_hints[SECURITY] = "cp backup.json stacks/security/development.json"

    with pytest.raises(StateLost) as caught:
        orchestrator.deploy(yes=True)

    message = str(caught.value)
    assert "the state of organization/security/development is missing" in message
    assert "storage, compute still read it" in message
    assert "kms_key_arn=security-kms_key_arn" in message
    assert "cp backup.json stacks/security/development.json" in message
    assert "`pulumi import`" in message
    assert "`invoke deploy --env development --recreate-missing-state`" in message
    assert message.endswith("Nothing was changed.")
    assert engine.mutating_calls == []


def test_without_a_backup_to_copy_the_state_history_is_offered(
    engine: InMemoryEngine, development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine.lose_state(STORAGE)

    with pytest.raises(StateLost) as caught:
        Orchestrator(engine, development, out=out, endpoint=ENDPOINT).deploy(yes=True)

    message = str(caught.value)
    assert "the state of organization/storage/development is missing, but compute" in message
    assert (
        f"`invoke state history --env development --project storage --endpoint {ENDPOINT}`"
        in message
    )
    assert (
        "`invoke state restore --env development --project storage --version ID "
        f"--endpoint {ENDPOINT}`" in message
    )


def test_recreate_missing_state_creates_it_deliberately(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.lose_state(SECURITY)

    report = orchestrator.deploy(yes=True, recreate_missing_state=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [SECURITY]


def test_a_fresh_environment_has_no_lost_state(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    fresh = InMemoryEngine()
    fresh.deploy_now(SECURITY)
    fresh.deploy_now(STORAGE)
    fresh.stacks[STORAGE].resources = {}  # destroyed: its state no longer references security

    report = Orchestrator(fresh, development, out=out).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert ("state", STORAGE) not in fresh.calls


def test_drift_preview_refresh_and_destroy_name_a_lost_state(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.lose_state(SECURITY)

    drift = orchestrator.drift()
    preview = orchestrator.preview()
    refresh = orchestrator.refresh()
    with pytest.raises(StateLost) as destroy:
        orchestrator.destroy(yes=True)

    for report, code in ((drift, EXIT_DRIFT), (preview, EXIT_FAILED), (refresh, EXIT_FAILED)):
        assert report.outcome(SECURITY).status is Status.LOST
        assert "state of organization/security/development is missing" in (
            report.outcome(SECURITY).detail
        )
        assert report.exit_code == code
    assert "not deployed" not in drift.outcome(SECURITY).detail
    assert "restore its state first" in str(destroy.value)
    assert "`invoke destroy --env development --project storage --cascade`" in str(destroy.value)
    assert engine.ops("destroy") == []
    assert SECURITY not in engine.ops("preview")


# ---- pending creates and killed engines -----------------------------------------------------


def test_refresh_adopts_what_was_created_and_drops_what_was_not(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    made = PendingCreate("urn:made", BUCKET, {"bucket": "made-bucket"}, provider="urn:p::id")
    never = PendingCreate("urn:never", BUCKET, {"bucket": "never-bucket"})
    key = PendingCreate("urn:pulumi:development::storage::aws:kms/key:Key::k", KMS_KEY, {})
    engine.stacks[STORAGE].pending_creates = [made, never, key]
    engine.cloud_ids["urn:made"] = "made-bucket"

    report = orchestrator.refresh(STORAGE)

    assert report.exit_code == EXIT_OK
    assert engine.ops("import") == [STORAGE, STORAGE]
    assert "urn:made" in engine.stacks[STORAGE].resources
    assert "urn:never" not in engine.stacks[STORAGE].resources
    assert engine.stacks[STORAGE].pending_creates == []
    text = out.getvalue()
    assert f"pending create of {BUCKET} urn:made: it exists, adopted" in text
    assert f"pending create of {BUCKET} urn:never: never made, dropped" in text
    assert f"pending create of {KMS_KEY} k dropped: AWS chooses its id" in text
    assert f"import {KMS_KEY} k <id> --stack storage.development" in text


def test_a_read_only_check_needs_no_recovery(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.failures[("drift", STORAGE)] = EngineKilled("the Pulumi CLI was killed (SIGKILL)")

    report = orchestrator.drift()

    assert report.outcome(STORAGE).status is Status.FAILED
    assert not report.outcome(STORAGE).recover
    assert "cancel --yes" not in out.getvalue()


def test_a_killed_engine_fails_the_stack_and_prints_the_recovery(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.plans[STORAGE] = plan(STORAGE, ("update", BUCKET, "data"))
    engine.failures[("up", STORAGE)] = EngineKilled("the Pulumi CLI was killed (SIGKILL)")

    report = orchestrator.deploy(yes=True)

    assert report.outcome(STORAGE).status is Status.FAILED
    assert report.exit_code == EXIT_FAILED
    text = out.getvalue()
    assert "organization/storage/development stopped during `up`" in text
    assert "pulumi --cwd projects/storage cancel --yes --stack storage.development" in text
    assert "`invoke refresh --env development --project storage`" in text


@pytest.mark.parametrize(
    ("type_", "inputs", "expected"),
    [
        (BUCKET, {"bucket": "b"}, "b"),
        (t.BUCKET_POLICY, {"bucket": "b", "policy": "{}"}, "b"),
        (t.KMS_ALIAS, {"name": "alias/a"}, "alias/a"),
        (t.IAM_ROLE_POLICY, {"role": "r", "name": "p"}, "r:p"),
        (t.IAM_ROLE_POLICY, {"role": "r"}, None),
        (KMS_KEY, {"description": "d"}, None),
        (BUCKET, {"bucket": {"ciphertext": "..."}}, None),
        (BUCKET, {}, None),
    ],
)
def test_import_ids_follow_from_the_inputs_only_where_aws_does_not_choose(
    type_: str, inputs: dict, expected: str | None
) -> None:
    assert import_id(type_, inputs) == expected


# ---- follow-up hints keep the endpoint ------------------------------------------------------


def test_follow_up_commands_keep_the_endpoint(
    engine: InMemoryEngine, development: EnvironmentSettings, out: io.StringIO
) -> None:
    emulated = Orchestrator(engine, development, out=out, endpoint=ENDPOINT)
    engine.drift[STORAGE] = {"update": 1}
    engine.failures[("refresh", COMPUTE)] = EngineKilled("killed")

    drift = emulated.drift()
    emulated.refresh(COMPUTE)
    del engine.stacks[SECURITY]
    with pytest.raises(PreflightError) as preflight:
        emulated.preview(STORAGE)

    assert f"`invoke deploy --env development --endpoint {ENDPOINT}` restores" in (
        drift.outcome(STORAGE).detail
    )
    assert f"`invoke refresh --env development --project compute --endpoint {ENDPOINT}`" in (
        out.getvalue()
    )
    message = str(preflight.value)
    assert f"`invoke deploy --env development --project security --endpoint {ENDPOINT}`" in message
    # The offline plan takes no endpoint.
    assert "`invoke plan --env development`." in message
