"""The whole development pipeline on the real engine, through the orchestration entry points,
in one emulated AWS account (moto's server, through `--endpoint`).

One deployed development environment (session-wide) serves the checks in order: deploy order,
StackReferences, outputs, a no-change second deploy, `invoke verify` passing against the same
endpoint, drift named, a control removed behind Pulumi's back failing verify and repaired by
deploy, and, last, destroy leaving nothing tagged for the environment. Other destructive
scenarios live in the other engine test modules, each with a fresh backend and account.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest

from orchestration.verify.cli import verify_action
from shared.output_target import OutputTarget
from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, TaskRun, engine_paths, run_task

pytestmark = pytest.mark.engine

ENV = "development"


@dataclass(frozen=True)
class Deployed:
    env: EngineEnv
    paths: Any
    first: TaskRun
    second: TaskRun
    inventory_after_first: list[str]
    inventory_after_second: list[str]

    def run(self, action: Any, project: str | None = None) -> TaskRun:
        with pytest.MonkeyPatch.context() as monkeypatch:
            self.env.apply(monkeypatch)
            return run_task(self.env, self.paths, ENV, action, project=project)

    def verify(self) -> TaskRun:
        """`invoke verify --env development --endpoint <moto>`, its report in `out`."""
        report = io.StringIO()
        run = self.run(verify_action(self.env.endpoint, out=report))
        return TaskRun(run.code, report.getvalue() + run.out, run.err, run.refusal)

    @property
    def data_bucket(self) -> str:
        return f"webapp-{ENV}-data-{self.env.keys.account_id}-us-west-2"


def stack_lines(out: str, project: str) -> list[int]:
    """Indexes of the engine output lines streamed for `project`'s stack."""
    prefix = f"[{project}/{ENV}]"
    return [i for i, line in enumerate(out.splitlines()) if line.startswith(prefix)]


def summary_rows(out: str) -> dict[str, str]:
    """Stack name -> its row of the last summary table."""
    table = out.rsplit("\nSummary: ", 1)[1].splitlines()
    return {line.split()[0]: line for line in table if line.startswith("organization/")}


@pytest.fixture(scope="session")
def deployed(shared_engine_env: EngineEnv, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    paths = engine_paths(shared_engine_env, tmp_path_factory.mktemp("shared-state"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        shared_engine_env.apply(monkeypatch)

        def deploy() -> TaskRun:
            return run_task(
                shared_engine_env, paths, ENV, lambda o: o.deploy(None, yes=True), policy=True
            )

        first = deploy()
        after_first = shared_engine_env.operator.inventory()
        second = deploy()
        after_second = shared_engine_env.operator.inventory()
    return Deployed(shared_engine_env, paths, first, second, after_first, after_second)


def test_deploy_brings_up_security_storage_compute_in_order(deployed: Deployed) -> None:
    assert deployed.first.code == 0, deployed.first.text
    security, storage, compute = (
        stack_lines(deployed.first.out, name) for name in ("security", "storage", "compute")
    )
    assert security
    assert storage
    assert compute
    # Strictly one after the other: each stack's output ends before the next one's begins.
    assert max(security) < min(storage)
    assert max(storage) < min(compute)
    rows = summary_rows(deployed.first.out)
    assert list(rows) == [f"organization/{name}/{ENV}" for name in TOPOLOGY.deploy_order()]
    assert all("succeeded" in row and "create" in row for row in rows.values())


def test_the_shipped_policy_pack_ran_and_passed(deployed: Deployed) -> None:
    for name in TOPOLOGY.names:
        lines = deployed.first.out.splitlines()
        assert any(
            line.startswith(f"[{name}/{ENV}]") and "✅ webapp-security-baseline" in line
            for line in lines
        ), f"no passing policy pack line for {name}"


def test_downstream_stacks_read_upstream_outputs_through_stack_references(
    deployed: Deployed,
) -> None:
    operator = deployed.env.operator
    [key_arn] = [operator.key_arn(key) for key in operator.live_keys()]
    encryption = operator.client("s3").get_bucket_encryption(Bucket=deployed.data_bucket)
    [rule] = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn,
    }
    resources = {str(s["Resource"]) for s in operator.inline_policy_statements()}
    assert f"arn:aws:s3:::{deployed.data_bucket}/*" in resources
    assert key_arn in resources


def test_outputs_shows_every_stacks_real_outputs(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed.env.apply(monkeypatch)
    shown = run_task(
        deployed.env,
        deployed.paths,
        ENV,
        lambda o: o.show_outputs(None, json_target=OutputTarget(None)),
        aws=False,  # like `invoke outputs`: reading state reaches no cloud
    )
    assert shown.code == 0, shown.text
    outputs = json.loads(shown.out)
    operator = deployed.env.operator
    assert outputs["security"]["kms_key_arn"] in {operator.key_arn(k) for k in operator.live_keys()}
    assert outputs["storage"]["bucket_arn"] == f"arn:aws:s3:::{deployed.data_bucket}"
    assert outputs["compute"]["url"].startswith("http://")
    assert len(outputs["compute"]["instance_ids"]) == 1


def test_a_second_deploy_changes_nothing(deployed: Deployed) -> None:
    assert deployed.second.code == 0, deployed.second.text
    rows = summary_rows(deployed.second.out)
    assert len(rows) == 3
    for row in rows.values():
        assert "succeeded" in row
        assert "same" in row
        assert not any(op in row for op in ("create", "update", "replace", "delete")), row
    assert deployed.inventory_after_second == deployed.inventory_after_first


def test_drift_is_clean_then_names_the_stack_and_resource_changed_behind_pulumi(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed.env.apply(monkeypatch)

    def drift(project: str | None = None) -> TaskRun:
        return run_task(
            deployed.env, deployed.paths, ENV, lambda o: o.drift(project), project=project
        )

    clean = drift()
    assert clean.code == 0, clean.text
    kms = deployed.env.operator.client("kms")
    [key] = deployed.env.operator.live_keys()
    kms.disable_key_rotation(KeyId=key)  # what an operator does in the console
    try:
        drifted = drift()
    finally:
        kms.enable_key_rotation(KeyId=key)
    assert drifted.code == 2, drifted.text
    rows = summary_rows(drifted.out)
    assert "drifted" in rows[f"organization/security/{ENV}"]
    assert "clean" in rows[f"organization/storage/{ENV}"]
    assert any(
        line.startswith(f"[security/{ENV}]") and "webapp-development-key" in line and "~" in line
        for line in drifted.out.splitlines()
    ), drifted.out
    assert drift("security").code == 0


def test_verify_passes_against_the_endpoint_the_environment_was_deployed_to(
    deployed: Deployed,
) -> None:
    verified = deployed.verify()
    assert verified.code == 0, verified.text
    assert "0 failed" in verified.text


def test_a_control_removed_behind_pulumis_back_fails_verify_and_deploy_repairs_it(
    deployed: Deployed,
) -> None:
    s3 = deployed.env.operator.client("s3")
    s3.delete_public_access_block(Bucket=deployed.data_bucket)

    broken = deployed.verify()
    assert broken.code == 1, broken.text
    failed = [line for line in broken.text.splitlines() if line.startswith("FAIL")]
    assert failed, broken.text
    assert all("s3-bucket-public-access-block" in line for line in failed), failed

    repaired = deployed.run(lambda o: o.deploy(None, yes=True))
    assert repaired.code == 0, repaired.text
    block = s3.get_public_access_block(Bucket=deployed.data_bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())
    again = deployed.verify()
    assert again.code == 0, again.text


def test_destroy_leaves_nothing_tagged_for_the_environment(deployed: Deployed) -> None:
    """Last in this module: it takes the shared environment down."""
    destroyed = deployed.run(lambda o: o.destroy(None, yes=True))
    assert destroyed.code == 0, destroyed.text
    operator = deployed.env.operator
    left = [arn for arn in operator.census(ENV) if operator.live(arn)]
    assert left == []
    assert operator.inventory() == []
