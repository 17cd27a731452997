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
    DamagedState,
    ForeignState,
    Orchestrator,
    PreflightError,
    StateLost,
    Status,
)
from program.policy import Resource, StackView, rule_by_id
from shared import aws_types as t
from shared.aws_types import BUCKET, KMS_KEY, STATEFUL_TYPES, import_id
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY
from tests.orchestration.engine_double import InMemoryEngine
from tests.topology_roles import (
    DEPLOY_LEVELS,
    LEAF,
    MIDDLE,
    ROOT,
    deploy_order,
    levels,
    stack,
)

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


def exported(project: str) -> str:
    """Every export of `project`, as the refusal lists them."""
    return ", ".join(TOPOLOGY.project(project).exports)


def readers(project: str) -> str:
    """`project`'s consumers that read any of its outputs, as the refusal names them."""
    found = [
        name for name in TOPOLOGY.consumers(project) if TOPOLOGY.project(name).requires[project]
    ]
    return f"{', '.join(found)} read{'s' if len(found) == 1 else ''}"


# ---- deploy: preview first, update only what changes, refresh by default -------------------


def test_a_deploy_without_changes_previews_each_stack_and_updates_none(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    report = orchestrator.deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert levels(engine.ops("preview")) == DEPLOY_LEVELS
    assert engine.ops("up") == []
    assert report.outcome(MIDDLE).changes == {"same": 3}
    # Drift is only seen when the cloud is read first.
    assert engine.refreshed[("preview", MIDDLE)] is True


def test_a_stack_with_changes_is_updated_after_its_preview_with_a_refresh(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[MIDDLE] = plan(MIDDLE, ("update", BUCKET, "data"))

    report = orchestrator.deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [MIDDLE]
    assert engine.refreshed[("up", MIDDLE)] is True


def test_changed_outputs_alone_need_an_update(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    outputs = {**engine.exports[ROOT], "kms_alias_name": "alias/renamed"}
    engine.plans[ROOT] = plan(ROOT, ("same", KMS_KEY, "key"), outputs=outputs)

    orchestrator.deploy(ROOT, yes=True)

    assert engine.ops("up") == [ROOT]


def test_a_new_stack_is_created_without_a_preview(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    fresh = InMemoryEngine()

    report = Orchestrator(fresh, development, out=out).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert fresh.ops("preview") == []
    assert levels(fresh.ops("up")) == DEPLOY_LEVELS


def test_no_refresh_says_what_it_costs(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.plans[ROOT] = plan(ROOT, ("update", KMS_KEY, "key"))

    orchestrator.deploy(ROOT, yes=True, refresh=False)

    assert engine.refreshed[("preview", ROOT)] is False
    assert engine.refreshed[("up", ROOT)] is False
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
        ("discard", "pulumi:pulumi:StackReference", ROOT),
        outputs={},
    )


def test_a_program_that_registers_nothing_is_refused_with_what_would_go(
    engine: InMemoryEngine, development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine.plans[MIDDLE] = _exits_early(MIDDLE)

    # One worker: the run follows the deploy order even where a level holds several projects.
    report = Orchestrator(engine, development, out=out, max_workers=1).deploy(yes=True)

    order = deploy_order()
    at = order.index(MIDDLE)
    assert report.statuses() == (
        dict.fromkeys(order[:at], Status.SUCCEEDED)
        | {MIDDLE: Status.FAILED}
        | dict.fromkeys(order[at + 1 :], Status.SKIPPED)
    )
    detail = report.outcome(MIDDLE).detail
    assert detail.startswith("refused, nothing was changed in this stack:")
    assert "it would delete every resource of the stack (2)" in detail
    assert f"delete {BUCKET} webapp-development-data" in detail
    assert f"would no longer export {exported(MIDDLE)}, which {readers(MIDDLE)}" in detail
    assert (
        f"`invoke deploy --env development --project {MIDDLE} --allow-delete` (the missing "
        "outputs must be restored either way)" in detail
    )
    assert MIDDLE not in engine.ops("up")


def test_allow_delete_never_drops_outputs_consumers_read(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[MIDDLE] = _exits_early(MIDDLE)

    report = orchestrator.deploy(MIDDLE, yes=True, allow_delete=True)

    detail = report.outcome(MIDDLE).detail
    assert report.exit_code == EXIT_FAILED
    assert f"would no longer export {exported(MIDDLE)}" in detail
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
    project = ROOT if steps[0][1] == KMS_KEY else MIDDLE
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
    engine.plans[LEAF] = plan(LEAF, ("delete", t.INSTANCE, "web-2"), ("same", t.VPC, "n"))

    report = orchestrator.deploy(LEAF, yes=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [LEAF]


UNDESCRIBED = "aws:dynamodb/table:Table"  # a type the table has no row for (yet)


def test_a_type_no_row_marks_stateless_is_guarded_like_data(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.plans[LEAF] = plan(LEAF, ("replace", UNDESCRIBED, "jobs"), ("same", t.VPC, "n"))

    report = orchestrator.deploy(LEAF, yes=True)

    assert report.exit_code != EXIT_OK
    assert f"replace {UNDESCRIBED} jobs" in report.outcome(LEAF).detail
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
    engine.lose_state(ROOT)
    engine.restore_hints[ROOT] = f"cp backup.json stacks/{ROOT}/development.json"

    with pytest.raises(StateLost) as caught:
        orchestrator.deploy(yes=True)

    message = str(caught.value)
    assert f"the state of {stack(ROOT)} is missing" in message
    assert f"{', '.join(TOPOLOGY.consumers(ROOT))} still read it" in message
    read = TOPOLOGY.project(MIDDLE).requires[ROOT][0]
    assert f"{read}={engine.exports[ROOT][read]}" in message
    assert f"cp backup.json stacks/{ROOT}/development.json" in message
    assert "`pulumi import`" in message
    assert "`invoke deploy --env development --recreate-missing-state`" in message
    assert message.endswith("Nothing was changed.")
    assert engine.mutating_calls == []


def test_without_a_backup_to_copy_the_state_history_is_offered(
    engine: InMemoryEngine, development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine.lose_state(MIDDLE)

    with pytest.raises(StateLost) as caught:
        Orchestrator(engine, development, out=out, endpoint=ENDPOINT).deploy(yes=True)

    message = str(caught.value)
    consumers = ", ".join(TOPOLOGY.consumers(MIDDLE))
    assert f"the state of {stack(MIDDLE)} is missing, but {consumers}" in message
    assert (
        f"`invoke state history --env development --project {MIDDLE} --endpoint {ENDPOINT}`"
        in message
    )
    assert (
        f"`invoke state restore --env development --project {MIDDLE} --version ID "
        f"--endpoint {ENDPOINT}`" in message
    )


def test_recreate_missing_state_creates_it_deliberately(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.lose_state(ROOT)

    report = orchestrator.deploy(yes=True, recreate_missing_state=True)

    assert report.exit_code == EXIT_OK
    assert engine.ops("up") == [ROOT]


def test_a_fresh_environment_has_no_lost_state(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    fresh = InMemoryEngine()
    fresh.deploy_now(ROOT)
    fresh.deploy_now(MIDDLE)
    fresh.stacks[MIDDLE].resources = {}  # destroyed: its state no longer references the root

    report = Orchestrator(fresh, development, out=out).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert ("state", MIDDLE) not in fresh.calls


def test_drift_preview_refresh_and_destroy_name_a_lost_state(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.lose_state(ROOT)

    drift = orchestrator.drift()
    preview = orchestrator.preview()
    refresh = orchestrator.refresh()
    with pytest.raises(StateLost) as destroy:
        orchestrator.destroy(yes=True)

    for report, code in ((drift, EXIT_DRIFT), (preview, EXIT_FAILED), (refresh, EXIT_FAILED)):
        assert report.outcome(ROOT).status is Status.LOST
        assert f"state of {stack(ROOT)} is missing" in (report.outcome(ROOT).detail)
        assert report.exit_code == code
    assert "not deployed" not in drift.outcome(ROOT).detail
    assert "restore its state first" in str(destroy.value)
    assert f"`invoke destroy --env development --project {MIDDLE} --cascade`" in str(destroy.value)
    assert engine.ops("destroy") == []
    assert ROOT not in engine.ops("preview")


# ---- pending creates and killed engines -----------------------------------------------------


def test_refresh_adopts_what_was_created_and_drops_what_was_not(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    made = PendingCreate("urn:made", BUCKET, {"bucket": "made-bucket"}, provider="urn:p::id")
    never = PendingCreate("urn:never", BUCKET, {"bucket": "never-bucket"})
    key = PendingCreate(f"urn:pulumi:development::{MIDDLE}::aws:kms/key:Key::k", KMS_KEY, {})
    engine.stacks[MIDDLE].pending_creates = [made, never, key]
    engine.cloud_ids["urn:made"] = "made-bucket"

    report = orchestrator.refresh(MIDDLE)

    assert report.exit_code == EXIT_OK
    assert engine.ops("import") == [MIDDLE, MIDDLE]
    assert "urn:made" in engine.stacks[MIDDLE].resources
    assert "urn:never" not in engine.stacks[MIDDLE].resources
    assert engine.stacks[MIDDLE].pending_creates == []
    text = out.getvalue()
    assert f"pending create of {BUCKET} urn:made: it exists, adopted" in text
    assert f"pending create of {BUCKET} urn:never: never made, dropped" in text
    assert f"pending create of {KMS_KEY} k dropped: AWS chooses its id" in text
    assert f"import {KMS_KEY} k <id> --stack {MIDDLE}.development" in text


def test_a_read_only_check_needs_no_recovery(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.failures[("drift", MIDDLE)] = EngineKilled("the Pulumi CLI was killed (SIGKILL)")

    report = orchestrator.drift()

    assert report.outcome(MIDDLE).status is Status.FAILED
    assert not report.outcome(MIDDLE).recover
    assert "cancel --yes" not in out.getvalue()


def test_a_killed_engine_fails_the_stack_and_prints_the_recovery(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.plans[MIDDLE] = plan(MIDDLE, ("update", BUCKET, "data"))
    engine.failures[("up", MIDDLE)] = EngineKilled("the Pulumi CLI was killed (SIGKILL)")

    report = orchestrator.deploy(yes=True)

    assert report.outcome(MIDDLE).status is Status.FAILED
    assert report.exit_code == EXIT_FAILED
    text = out.getvalue()
    assert f"{stack(MIDDLE)} stopped during `up`" in text
    assert f"pulumi --cwd projects/{MIDDLE} cancel --yes --stack {MIDDLE}.development" in text
    assert f"`invoke refresh --env development --project {MIDDLE}`" in text


def test_the_recovery_repeats_the_run_with_its_project(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.plans[MIDDLE] = plan(MIDDLE, ("update", BUCKET, "data"))
    engine.failures[("up", MIDDLE)] = EngineKilled("the Pulumi CLI was killed (SIGKILL)")

    orchestrator.deploy(MIDDLE, yes=True)

    assert f"Then run `invoke deploy --env development --project {MIDDLE}` again." in (
        out.getvalue()
    )


def test_the_recovery_of_a_cascade_repeats_the_cascade(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    engine.failures[("destroy", LEAF)] = EngineKilled("the Pulumi CLI was killed (SIGKILL)")

    orchestrator.destroy(ROOT, cascade=True, yes=True)

    assert f"Then run `invoke destroy --env development --project {ROOT} --cascade` again." in (
        out.getvalue()
    )


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
    engine.drift[MIDDLE] = {"update": 1}
    engine.failures[("refresh", LEAF)] = EngineKilled("killed")

    drift = emulated.drift()
    emulated.refresh(LEAF)
    del engine.stacks[ROOT]
    with pytest.raises(PreflightError) as preflight:
        emulated.preview(MIDDLE)

    assert f"`invoke deploy --env development --endpoint {ENDPOINT}` restores" in (
        drift.outcome(MIDDLE).detail
    )
    assert f"`invoke refresh --env development --project {LEAF} --endpoint {ENDPOINT}`" in (
        out.getvalue()
    )
    message = str(preflight.value)
    assert f"`invoke deploy --env development --project {ROOT} --endpoint {ENDPOINT}`" in message
    # The offline plan takes no endpoint.
    assert "`invoke plan --env development`." in message


# ---- a checkpoint that belongs to another stack ---------------------------------------------


def _foreign_urn(project: str, name: str) -> str:
    return f"urn:pulumi:development::{project}::{BUCKET}::{name}"


@pytest.mark.parametrize("allow_delete", [False, True])
def test_a_deploy_over_another_stacks_checkpoint_is_refused_without_allow_delete_advice(
    engine: InMemoryEngine, orchestrator: Orchestrator, allow_delete: bool
) -> None:
    # MIDDLE's checkpoint was copied over ROOT's: the preview deletes MIDDLE's bucket.
    engine.plans[ROOT] = OperationResult(
        changes={"delete": 1, "create": 1},
        outputs=InMemoryEngine().exports[ROOT],
        steps=(
            ResourceStep("delete", _foreign_urn(MIDDLE, "data"), BUCKET),
            ResourceStep("create", f"urn:pulumi:development::{ROOT}::{KMS_KEY}::key", KMS_KEY),
        ),
    )

    report = orchestrator.deploy(ROOT, yes=True, allow_delete=allow_delete)

    detail = report.outcome(ROOT).detail
    assert report.exit_code == EXIT_FAILED
    assert f"the state of {stack(ROOT)} holds the resources of {MIDDLE}/development" in detail
    assert "--allow-delete" not in detail
    assert f"`invoke state history --env development --project {ROOT}`" in detail
    assert engine.ops("up") == []


def test_a_destroy_of_another_stacks_checkpoint_is_refused(
    engine: InMemoryEngine, orchestrator: Orchestrator
) -> None:
    engine.stacks[LEAF].resources = {_foreign_urn(MIDDLE, "data"): False}
    engine.restore_hints[LEAF] = "cp backup.json development.json"

    with pytest.raises(ForeignState) as refused:
        orchestrator.destroy(LEAF, yes=True)

    message = str(refused.value)
    assert f"the state of {stack(LEAF)} holds the resources of {MIDDLE}/development" in message
    assert "cp backup.json development.json" in message
    assert "nothing was destroyed" in message
    assert engine.ops("destroy") == []


@pytest.mark.parametrize("operation", ["refresh", "drift"])
def test_a_refresh_or_drift_of_another_stacks_checkpoint_fails_naming_it(
    engine: InMemoryEngine, orchestrator: Orchestrator, operation: str
) -> None:
    engine.stacks[LEAF].resources = {_foreign_urn(MIDDLE, "data"): False}

    report = getattr(orchestrator, operation)(LEAF)

    assert report.outcome(LEAF).status is Status.FAILED
    assert f"holds the resources of {MIDDLE}/development" in report.outcome(LEAF).detail
    assert engine.ops("refresh") == []


# ---- a damaged checkpoint -------------------------------------------------------------------


def _damage(engine: InMemoryEngine, project: str) -> str:
    message = f"the checkpoint of {stack(project)} (x.json) is damaged (not JSON): put it back"
    engine.damaged[project] = message
    return message


def test_a_damaged_checkpoint_stops_only_the_runs_that_need_it(
    engine: InMemoryEngine, orchestrator: Orchestrator, out: io.StringIO
) -> None:
    message = _damage(engine, LEAF)

    for run in (
        lambda: orchestrator.deploy(yes=True),
        orchestrator.drift,
        lambda: orchestrator.deploy(LEAF, yes=True),
        # Its resources may still read what a destroy of its producer would remove.
        lambda: orchestrator.destroy(ROOT, cascade=True, yes=True),
    ):
        with pytest.raises(DamagedState) as refused:
            run()
        assert str(refused.value) == f"{message} Nothing was run."
    assert engine.mutating_calls == []

    report = orchestrator.deploy(ROOT, yes=True)

    assert report.exit_code == EXIT_OK
    assert f"NOTE: {message}" in out.getvalue()
